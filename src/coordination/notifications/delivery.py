"""Delivery of outbox rows through apprise.

Claim, send, mark. A claim is one UPDATE ... RETURNING over a sub-select that PostgreSQL runs
with FOR UPDATE SKIP LOCKED, so parallel deliverers never claim the same row, and it stamps the
rows with the delivery run's token. A row whose claim is older than the lease (its deliverer
crashed) is claimed again: a crash between sending and marking re-sends at most once.

Claims are fenced. A deliverer renews the claims it holds as it works through a batch, so a slow
batch never looks abandoned, and it marks a row (a send, sent, pending, no_target, failed) only
while the row still carries its token. A deliverer that finds it lost a claim (it stalled past
the lease and another run took over) stops at once rather than send what it no longer owns.

Sends run concurrently (`concurrency`, default 8) on notifiers built once per target and thread.
Each worker checks its claim right before a send and writes the send's mark right after it, before
it takes the next send, so a crash re-sends at most the one send each worker had in flight, and a
worker that finds a claim lost stops every worker of the run. When a batch is taken up for sending,
the consent is asked again at that moment: a message whose recipient the consent no longer covers
is cancelled with the reason, and a digest loses its lines about such cases.

Each target of a row is settled on its own (`OutboxSend`): a retry goes only to targets that
have not succeeded, and a URL apprise cannot use is recorded as invalid for that target without
holding up the others. A failed send goes back to pending with its attempt count, last error and
an exponential backoff. Rows that ended without a target, or with only invalid ones, are retried
when what their recipient's targets resolve to changes (a variable set, a URL fixed).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import html
import json
import os
import re
import secrets
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import apprise
from sqlalchemy import and_, func, insert, or_, select, update
from sqlmodel import col

from coordination.notifications import mailbox  # noqa: F401  (registers mailbox://)
from coordination.notifications import outbox

from coordination.domain.vocabulary import OutboxStatus
from coordination.persistence.engine import get_engine, unit_of_work
from coordination.persistence.models import AuditEvent, CareCase, Member, Outbox, OutboxSend, SweepNotice

LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)
BATCH = 100  # rows a claim takes; a run drains batch after batch
POLL = 0.05  # seconds: how often the main thread looks at its workers
RENEW_EVERY = 10  # a claim is renewed after a tenth of the lease: a stalled run loses it, a slow one never
WAITING = (OutboxStatus.NO_TARGET, OutboxStatus.FAILED)  # ended, but deliverable again after a fix
_OUTBOX, _SEND, _AUDIT = Outbox.__table__, OutboxSend.__table__, AuditEvent.__table__  # type: ignore[attr-defined]


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # sends that failed for now: the rows are pending again, with a backoff
    no_target: int = 0
    undeliverable: int = 0  # rows whose every target is permanently invalid (status failed)
    batches: int = 0
    revived: int = 0  # no_target/failed rows made pending again: their targets changed
    lost_claims: int = 0  # rows another run took over while this one stalled: it stopped there
    cancelled: int = 0  # rows the consent no longer let go when they were to be sent
    expired: int = 0  # sign-in messages whose link expired before they could be delivered
    unroutable: int = 0  # events recorded as told to no one, reported to operations in this run
    remaining: int = 0  # rows still due when the run ended (its time budget ran out)
    # member codes with no working target: reported, never dropped silently
    members_without_target: list[str] = field(default_factory=list)
    # "error class on channel kind" -> count, for operators: never a URL or a token
    errors: dict[str, int] = field(default_factory=dict)

    def reasons(self) -> str:
        return ", ".join(f"{reason} x{n}" for reason, n in sorted(self.errors.items()))

    def add(self, other: DeliveryReport) -> None:
        """Count one row's outcome (a report of its own) in this run's."""
        for name in ("sent", "failed", "no_target", "undeliverable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.errors.items():
            self.errors[reason] = self.errors.get(reason, 0) + n
        for code in other.members_without_target:
            _without_target(self, code)


def failure_class(text: str) -> str:
    """A send's error as a class an operator can act on; the text itself stays in the row."""
    lowered = text.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return "timeout"
    if "not a valid apprise url" in lowered:
        return "invalid_target"
    if "connection" in lowered or "refused" in lowered or "unreachable" in lowered:
        return "connection_error"
    if re.search(r"\b5\d\d\b", lowered):
        return "http_5xx"
    if re.search(r"\b4\d\d\b", lowered):
        return "http_4xx"
    return "send_failed"


def channel_kinds(targets: list[str]) -> str:
    """The kinds of channel (mailto, json, slack …), never the URLs: they can hold tokens."""
    return ",".join(sorted({t.split("://", 1)[0] for t in targets}))


def redacted(text: str) -> str:
    return _URL.sub(lambda m: m.group(0).split("://", 1)[0] + "://…", text)


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class Resolution:
    targets: list[str]
    unresolved: list[str]  # why an entry gave nothing: names a variable or tag, never a URL

    def fingerprint(self) -> str:
        """What the resolution was, without the URLs: changes whenever a target is added, fixed or
        removed, or a missing variable is set."""
        data = json.dumps([sorted(target_key(t) for t in self.targets), sorted(self.unresolved)])
        return hashlib.sha256(data.encode()).hexdigest()


def resolve(entries: list[str], tags: dict[str, list[str]] | None = None) -> Resolution:
    """Every entry on its own: an unset variable or unknown tag is reported and the other entries
    still count, so one missing entry never silences a recipient's working targets."""
    targets: list[str] = []
    unresolved: list[str] = []
    for entry in entries:
        if entry.startswith("tag:"):
            routed = (tags or {}).get(entry[4:])
            if not routed:
                unresolved.append(f"tag {entry[4:]} is not configured")
                continue
            inner = resolve(routed)
            targets += inner.targets
            unresolved += [f"{reason} (tag {entry[4:]})" for reason in inner.unresolved]
        elif entry.startswith("env:"):
            value = os.environ.get(entry[4:], "").strip()
            if value:
                targets.append(value)
            else:
                unresolved.append(f"environment variable {entry[4:]} is not set")
        else:
            targets.append(entry)
    return Resolution(list(dict.fromkeys(targets)), unresolved)


def _wall() -> dt.datetime:
    """Leases are judged by the real clock, never by the business time a run is given (`--now`):
    a run that simulates another day must still see another run's claim as alive."""
    return dt.datetime.now(dt.timezone.utc)


def _due(now: dt.datetime, lease: dt.timedelta):
    return or_(and_(col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.next_attempt_at) <= now),
               and_(col(Outbox.status) == OutboxStatus.SENDING, col(Outbox.claimed_at) < _wall() - lease))


def claim(url: str | None, *, now: dt.datetime, token: str, limit: int = BATCH, keys: list[str] | None = None,
          lease: dt.timedelta = LEASE) -> list[int]:
    """Take up to `limit` due rows for the run `token`: pending rows whose backoff has passed by
    `now`, and rows whose claim is older than the lease."""
    with unit_of_work(url) as session:
        ids = select(Outbox.id).where(_due(now, lease)).order_by(col(Outbox.id)).limit(limit)
        if keys is not None:
            ids = ids.where(col(Outbox.key).in_(keys))
        if session.get_bind().dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        stmt = (update(Outbox).where(col(Outbox.id).in_(ids.scalar_subquery()))
                .values(status=OutboxStatus.SENDING, claimed_at=_wall(), claim_token=token,
                        attempts=Outbox.attempts + 1)
                .returning(Outbox.id))
        return sorted(session.execute(stmt).scalars().all())


def renew(url: str | None, *, token: str, skip: set[int] = frozenset()) -> set[int]:
    """Renew the claims the run still holds, but those in `skip`; returns their ids (a row
    missing was taken over)."""
    with unit_of_work(url) as session:
        stmt = update(Outbox).where(col(Outbox.claim_token) == token, col(Outbox.status) == OutboxStatus.SENDING)
        if skip:
            stmt = stmt.where(col(Outbox.id).not_in(skip))
        return set(session.execute(stmt.values(claimed_at=_wall()).returning(Outbox.id)).scalars())


def due_count(url: str | None, *, now: dt.datetime, keys: list[str] | None = None,
              lease: dt.timedelta = LEASE) -> int:
    with unit_of_work(url, read_only=True) as session:
        query = select(func.count()).select_from(Outbox).where(_due(now, lease))
        if keys is not None:
            query = query.where(col(Outbox.key).in_(keys))
        return session.execute(query).scalar_one()


def revive_changed(url: str | None, *, tags: dict[str, list[str]] | None, now: dt.datetime) -> int:
    """Rows that ended without a working target become pending again when what their recipient's
    targets resolve to has changed since: the configuration was fixed."""
    with unit_of_work(url) as session:
        groups = session.execute(select(Outbox.member_id, Outbox.target, Outbox.target_fingerprint)
                                 .where(col(Outbox.status).in_(WAITING)).distinct()).all()
        if not groups:
            return 0
        notify = dict(session.execute(select(Member.id, Member.notify).where(
            col(Member.id).in_({m for m, _, _ in groups if m is not None}))).all())
        revived = 0
        for member_id, target, fingerprint in groups:
            entries = list(notify.get(member_id) or []) if member_id is not None else ([target] if target else [])
            if resolve(entries, tags).fingerprint() == fingerprint:
                continue
            same = col(Outbox.member_id) == member_id if member_id is not None else and_(col(Outbox.member_id) == None,  # noqa: E711
                                                                                      col(Outbox.target) == target)
            stale = col(Outbox.target_fingerprint) == fingerprint if fingerprint else col(Outbox.target_fingerprint) == None  # noqa: E711
            revived += session.execute(update(Outbox).where(col(Outbox.status).in_(WAITING), same, stale)
                                       .values(status=OutboxStatus.PENDING, next_attempt_at=now)).rowcount
        return revived


_URL = re.compile(r"https?://[^\s<>\"']+")


def as_html(text: str) -> str:
    """The plain-text message as HTML: escaped, links made links, each line kept."""
    escaped = html.escape(text, quote=True)
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return "<br>".join(linked.split("\n"))




INVALID = "a notification target is not a valid apprise URL"
CONCURRENCY = 8  # sends in flight at once; notifications.yaml `delivery.concurrency` sets it

_local = threading.local()
# Each send runs in the calling pool thread. apprise would otherwise hand it to its own shared pool
# (six threads on two cores), which caps the configured concurrency; the plugins' own connect and
# read timeouts still bound a send, and a send that hangs past the lease loses its claim.
_IN_THIS_THREAD = apprise.AppriseAsset(async_mode=False, service_timeout=0)


def _notifier(target: str) -> apprise.Apprise | None:
    """One notifier per target and sending thread, built once per run: apprise parses the URL and
    loads the plugin when a target is added, which costs more than a send to a fast receiver.
    None when apprise cannot use the URL at all."""
    cache = _local.__dict__.setdefault("notifiers", {})
    if target not in cache:
        notifier = apprise.Apprise(asset=_IN_THIS_THREAD)
        cache[target] = notifier if notifier.add(target) else None
    return cache[target]


def send(targets: list[str], subject: str, body: str, attachment: tuple[str, str] | None = None) -> str | None:
    """Send to every target; None on success, else the error text (`INVALID` when apprise cannot
    use a URL at all). Safe to call from several threads at once."""
    notifiers = [_notifier(target) for target in targets]
    if None in notifiers:
        return INVALID
    # handed over as HTML with real links: e-mail gets an HTML part and a plain-text part with
    # the same line breaks; text channels (SMS, chat, webhooks) get the text back
    with tempfile.TemporaryDirectory(prefix="coordination-attach-") if attachment else _nothing() as folder:
        attach = None
        if attachment:
            path = Path(folder) / attachment[0]
            path.write_text(attachment[1], encoding="utf-8")
            attach = str(path)
        for notifier in notifiers:
            # the result carries the call's own warnings: why it failed, whatever thread sent it
            result = notifier.notify(title=subject, body=as_html(body), body_format=apprise.NotifyFormat.HTML,
                                     attach=attach)
            if not result:
                lines = [entry.message for entry in result.logs()]
                return (lines or ["delivery failed"])[-1].strip()[:500]
    return None


@contextlib.contextmanager
def _nothing():
    yield None


@contextlib.contextmanager
def _connected(url: str | None, connection):
    """`connection` when there is one, else one from the pool for this block."""
    if connection is not None:
        yield connection
    else:
        with get_engine(url).connect() as own:
            yield own


class ClaimLost(Exception):
    """Another run took over a row this one held: it stalled past the lease."""


def deliver_pending(url: str | None = None, *, now: dt.datetime, limit: int = BATCH,
                    tags: dict[str, list[str]] | None = None, keys: list[str] | None = None,
                    lease: dt.timedelta = LEASE, budget: dt.timedelta | None = None,
                    concurrency: int = CONCURRENCY, operations: str | None = None) -> DeliveryReport:
    """Deliver what is due (only the rows with `keys`, when given), batch after batch until
    nothing due is left or the time `budget` is spent, with up to `concurrency` sends in flight.
    `now` is the run's business time (what is due, when a row was sent); it moves on with the
    time the run really takes. Claims and their leases follow the real clock. `operations`: the
    target (a tag) that hears, once, about events recorded as unroutable; the alert goes out in this
    run."""
    report = DeliveryReport()
    started = time.monotonic()

    def clock() -> dt.datetime:
        return now + dt.timedelta(seconds=time.monotonic() - started)

    with unit_of_work(url) as session:
        report.expired = outbox.expire_signin_messages(session, now=now)
        if operations and keys is None:
            report.unroutable = outbox.alert_unroutable(session, target=operations, now=now)
    if keys is None:
        report.revived = revive_changed(url, tags=tags, now=now)
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="deliver")
    try:
        while budget is None or time.monotonic() - started < budget.total_seconds():
            token = secrets.token_hex(16)
            claimed = claim(url, now=clock(), token=token, limit=limit, keys=keys, lease=lease)
            if not claimed:
                break
            report.claimed += len(claimed)
            report.batches += 1
            _Batch(url, token, tags, clock, lease, report, concurrency).deliver(claimed, pool)
    except ClaimLost:
        pass  # the run that took over delivers the rest; this one must not touch them
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    report.remaining = due_count(url, now=clock(), keys=keys, lease=lease)
    return report


@dataclass
class _Row:
    """A claimed row with what sending it needs, loaded for the whole batch at once."""

    id: int
    key: str
    kind: str
    member_id: int | None
    member_code: str | None
    case_number: str | None
    subject: str
    body: str
    attachment: tuple[str, str] | None
    attempts: int
    resolution: Resolution
    settled: dict[str, str]  # target key -> sent | invalid
    told: list[tuple[str, int]]  # (case number, person id) the message discloses, audited once it is sent
    failures: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    sending_since: float | None = None


class _Batch:
    """One claimed batch, sent by up to `concurrency` workers. The consent is asked again for the
    whole batch when it is loaded. Each worker checks, right before a send, that the run still
    holds the row's claim, sends, and writes that send's mark in its own fenced transaction before
    it takes the next send: a crash re-sends at most the one send each worker had in flight. A
    worker that finds a claim lost stops every worker of the run; the main thread renews the
    claims meanwhile."""

    def __init__(self, url, token: str, tags, clock, lease: dt.timedelta, report: DeliveryReport,
                 concurrency: int) -> None:
        self.url, self.token, self.tags, self.clock, self.lease, self.report = url, token, tags, clock, lease, report
        self.concurrency = concurrency
        self.lock = threading.Lock()  # the rows' counters and the report
        self.lost = threading.Event()  # set by whoever finds a claim taken over: every worker stops
        # SQLite has one writer at a time, and a writer that finds it busy sleeps in steps of up to
        # 100 ms: this process's workers queue for their marks here instead, and wake at once
        sqlite = get_engine(url).dialect.name == "sqlite"
        self.writing = threading.Lock() if sqlite else contextlib.nullcontext()

    def deliver(self, claimed: list[int], pool: ThreadPoolExecutor) -> None:
        rows = self._load(claimed)
        todo: collections.deque[tuple[_Row, str]] = collections.deque()
        for row in rows:
            # each target is its own send, recorded as it succeeds: a retry goes only to the
            # targets that failed, so the one that works never gets the message twice
            targets = [t for t in row.resolution.targets if target_key(t) not in row.settled]
            row.in_flight = len(targets)
            todo.extend((row, target) for target in targets)
            if not targets:  # nothing to send (no target, or every target settled before): mark it
                self._settle(row, None, None)
        workers = [pool.submit(self._work, todo) for _ in range(min(self.concurrency, len(todo)))]
        renew_every = (self.lease / RENEW_EVERY).total_seconds()
        renewed_at = time.monotonic()
        while workers:
            # short sleeps rather than a timed wait on the futures: a timed wait can overshoot
            # where the clocks are shifted (a test's faketime), and the claims must be renewed
            time.sleep(min(POLL, renew_every))
            for future in [f for f in workers if f.done()]:
                future.result()  # a worker's own error (the database gone) ends the run
            workers = [f for f in workers if not f.done()]
            if workers and not self.lost.is_set() and time.monotonic() - renewed_at >= renew_every:
                renewed_at = time.monotonic()
                self._renew(rows)
        if self.lost.is_set():
            raise ClaimLost

    def _work(self, todo: collections.deque) -> None:
        """Send after send: the claim of each is checked right before it (the first alone, every
        later one in the transaction that marks the send before it), and each send is marked
        before the next is taken."""
        item = self._next(todo)
        if item is None or not self._may_send(item[0]):
            return
        confirmed = time.monotonic()  # when the claim of the next send was last seen held
        stale = self.lease.total_seconds() / RENEW_EVERY
        # one connection for the worker's marks, each its own transaction: taking one from the
        # pool for every send would also ping the database every time
        with get_engine(self.url).connect() as connection:
            while item is not None and not self.lost.is_set():
                row, target = item
                # stalled between the check and the send (a paused process, a long GC): look again
                if time.monotonic() - confirmed > stale and not self._may_send(row):
                    return
                if row.sending_since is None:
                    row.sending_since = time.monotonic()
                error = send([target], row.subject, row.body, row.attachment)
                item = self._next(todo)
                if not self._settle(row, target, error, then=item[0] if item else None, connection=connection):
                    return
                confirmed = time.monotonic()

    def _next(self, todo: collections.deque) -> tuple[_Row, str] | None:
        with self.lock:
            return todo.popleft() if todo and not self.lost.is_set() else None

    def _may_send(self, row: _Row) -> bool:
        """Right before a send: the run still holds the row, else every worker stops."""
        with unit_of_work(self.url, read_only=True) as session:
            held = self._holds(session.connection(), row)
        if not held:
            self._lose(row)
        return held

    def _holds(self, connection, row: _Row) -> bool:
        return connection.execute(select(_OUTBOX.c.id).where(
            _OUTBOX.c.id == row.id, _OUTBOX.c.claim_token == self.token,
            _OUTBOX.c.status == OutboxStatus.SENDING)).first() is not None

    def _lose(self, row: _Row) -> None:
        with self.lock:
            self.report.lost_claims += 1
        self.lost.set()

    def _settle(self, row: _Row, target: str | None, error: str | None, then: _Row | None = None,
                connection=None) -> bool:
        """Mark one send (and the row, when it was the row's last), fenced by the claim, and check
        in the same transaction that the run still holds `then`, the row sent next. `target` None:
        the row had nothing to send. `connection`: the worker's own, else one from the pool. False
        when a claim was lost: every worker stops."""
        with self.lock:
            outcome = None
            if target is not None:
                row.in_flight -= 1
                if error == INVALID:  # for good: recorded, and the other targets go on
                    outcome = row.settled[target_key(target)] = "invalid"
                elif error:
                    row.failures.append((target, error))
                else:
                    outcome = row.settled[target_key(target)] = "sent"
            finished = row.in_flight == 0
        counted = DeliveryReport()  # added to the run's report only if the mark is written
        status, note = self._outcome(row, counted) if finished else (None, None)
        now = self.clock()
        fence = update(_OUTBOX).where(_OUTBOX.c.id == row.id, _OUTBOX.c.claim_token == self.token,
                                      _OUTBOX.c.status == OutboxStatus.SENDING)
        if finished:
            values = dict(status=status, last_error=note, claim_token=None)
            if status == OutboxStatus.SENT:
                values["sent_at"] = now
                if row.kind == "signin_link":  # no live secret at rest once it reached the member
                    values["body"] = outbox.without_links(row.body)
            elif status == OutboxStatus.PENDING:
                values["next_attempt_at"] = now + backoff(row.attempts)
            else:
                values["target_fingerprint"] = row.resolution.fingerprint()
        else:
            values = dict(claimed_at=_wall())  # marked, and the claim renewed for the other targets
        audit = []
        if outcome == "sent":
            audit.append(dict(at=now, actor="system:delivery", action="send", record_type="outbox",
                              record_id=f"{row.key} via {channel_kinds([target])}", person_id=None,
                              recipient_id=row.member_id))
        if status == OutboxStatus.SENT:
            audit += _told_events(row, now)
        # Core statements: a send's mark is the hot path of a run (one transaction per send), and
        # the ORM's bulk paths cost more per statement than the database does here
        with self.writing, _connected(self.url, connection) as connection, connection.begin():
            if connection.execute(fence.values(**values).returning(Outbox.id)).first() is None:
                self._lose(row)
                return False
            if outcome:
                connection.execute(insert(_SEND), dict(
                    outbox_id=row.id, target_key=target_key(target), channel=channel_kinds([target]),
                    sent_at=now, outcome=outcome))
            if audit:
                connection.execute(insert(_AUDIT), audit)
            held_next = then is None or self._holds(connection, then)
        with self.lock:
            self.report.add(counted)
        if not held_next:
            self._lose(then)
        return held_next

    def _load(self, claimed: list[int]) -> list[_Row]:
        """The claimed rows with what sending them needs. The consent is asked again here, at the
        moment of sending: a row no longer covered is cancelled with the reason, and a digest loses
        the lines about such cases (fenced by the claim, before any send of the batch)."""
        with unit_of_work(self.url, read_only=True) as session:
            lost = outbox.uncovered(session, session.execute(
                select(Outbox).where(col(Outbox.id).in_(claimed))).scalars().all(), now=self.clock())
        if lost:
            with self.writing, unit_of_work(self.url) as session:
                for current in session.execute(select(Outbox).where(
                        col(Outbox.id).in_(lost), col(Outbox.claim_token) == self.token,
                        col(Outbox.status) == OutboxStatus.SENDING)).scalars():
                    numbers = set(session.execute(select(SweepNotice.case_number).where(
                        col(SweepNotice.digest_key) == current.key)).scalars()) if current.kind == "digest" else set()
                    if numbers - lost[current.id]:
                        outbox.trim_digest(session, current, lost[current.id], reason=outbox.CONSENT_GONE)
                    else:
                        outbox.cancel(session, current.id, reason=outbox.CONSENT_GONE, token=self.token)
                        self.report.cancelled += 1
        with unit_of_work(self.url, read_only=True) as session:
            outbox_rows = session.execute(select(Outbox).where(
                col(Outbox.id).in_(claimed), col(Outbox.status) == OutboxStatus.SENDING).order_by(col(Outbox.id))).scalars().all()
            members = {m.id: m for m in session.execute(select(Member).where(
                col(Member.id).in_({r.member_id for r in outbox_rows if r.member_id}))).scalars()}
            settled: dict[int, dict[str, str]] = {}
            for outbox_id, key, outcome in session.execute(
                    select(OutboxSend.outbox_id, OutboxSend.target_key, OutboxSend.outcome)
                    .where(col(OutboxSend.outbox_id).in_(claimed))):
                settled.setdefault(outbox_id, {})[key] = outcome
            told = _disclosed(session, outbox_rows)
            rows = []
            for r in outbox_rows:
                member = members.get(r.member_id)
                entries = list(member.notify) if member else ([r.target] if r.target else [])
                rows.append(_Row(r.id, r.key, r.kind, r.member_id, member.code if member else None, r.case_number,
                                 r.subject, r.body, (r.attachment_name, r.attachment) if r.attachment else None,
                                 r.attempts, resolve(entries, self.tags), settled.get(r.id, {}), told.get(r.id, [])))
        return rows

    def _renew(self, rows: list[_Row]) -> None:
        """Renew the claims of the rows not yet marked, but not of a row whose send has hung for
        longer than the lease: that row is abandoned to the next run, as if this one had died."""
        with self.lock:
            pending = {row.id for row in rows if row.in_flight > 0}
            stalled = {row.id for row in rows if row.id in pending and row.sending_since is not None
                       and time.monotonic() - row.sending_since > self.lease.total_seconds()}
        held = renew(self.url, token=self.token, skip=stalled)
        with self.lock:  # rows marked meanwhile are no longer held, and that is no loss
            lost = {row.id for row in rows if row.in_flight > 0} & pending - stalled - held
        if lost:
            with self.lock:
                self.report.lost_claims += len(lost)
            self.lost.set()

    @staticmethod
    def _outcome(row: _Row, report: DeliveryReport) -> tuple[OutboxStatus, str | None]:
        """The row's status and note from its targets' results, counted in `report`."""
        notes = list(row.resolution.unresolved)
        if not row.resolution.targets:
            report.no_target += 1
            _without_target(report, row.member_code)
            return OutboxStatus.NO_TARGET, "; ".join(notes) or "the recipient has no notification target"
        invalid = sorted({channel_kinds([t]) for t in row.resolution.targets
                          if row.settled.get(target_key(t)) == "invalid"})
        notes += [f"invalid_target on {kind}: not a valid apprise URL, fix it in the member's notify list"
                  for kind in invalid]
        for kind in invalid:
            report.errors[f"invalid_target on {kind}"] = report.errors.get(f"invalid_target on {kind}", 0) + 1
        if row.failures:
            report.failed += 1
            reasons = [f"{failure_class(e)} on {channel_kinds([t])}" for t, e in row.failures]
            for reason in sorted(set(reasons)):
                report.errors[reason] = report.errors.get(reason, 0) + 1
            return OutboxStatus.PENDING, "; ".join(
                [f"{r}: {redacted(e)}" for r, (_, e) in zip(reasons, row.failures)] + notes)
        if "sent" in row.settled.values():
            report.sent += 1
            return OutboxStatus.SENT, "; ".join(notes) or None
        # every target is invalid: a permanent error, reported, retried once the targets change
        report.undeliverable += 1
        _without_target(report, row.member_code)
        return OutboxStatus.FAILED, "; ".join(notes)


def _without_target(report: DeliveryReport, member_code: str | None) -> None:
    if member_code and member_code not in report.members_without_target:
        report.members_without_target.append(member_code)


def target_key(target: str) -> str:
    """What identifies a target in the send log: a hash, since a URL can hold a token."""
    return hashlib.sha256(target.encode()).hexdigest()


def _disclosed(session, rows: list[Outbox]) -> dict[int, list[tuple[str, int]]]:
    """What each message to a member discloses: (case number, person id) for its case, and for a
    digest every case among its notices. Read once per batch, after the consent has trimmed the
    digests, so a send's mark adds only the audit rows."""
    told: dict[int, set[str]] = {}  # row id -> case numbers
    digests = {row.key: row.id for row in rows if row.member_id is not None and row.kind == "digest"}
    if digests:
        for key, number in session.execute(select(SweepNotice.digest_key, SweepNotice.case_number).distinct()
                                           .where(col(SweepNotice.digest_key).in_(digests))):
            told.setdefault(digests[key], set()).add(number)
    for row in rows:
        if row.member_id is not None and row.kind != "digest" and row.case_number:
            told.setdefault(row.id, set()).add(row.case_number)
    numbers = set().union(*told.values()) if told else set()
    if not numbers:
        return {}
    persons = dict(session.execute(select(CareCase.number, CareCase.person_id)
                                   .where(col(CareCase.number).in_(numbers))).all())
    return {row_id: [(number, persons[number]) for number in sorted(cases) if number in persons]
            for row_id, cases in told.items()}


def _told_events(row: _Row, now: dt.datetime) -> list[dict]:
    """A delivered message about a case is a disclosure: who was told, which case, when."""
    return [dict(at=now, actor="system:delivery", action="notify", record_type="case", record_id=number,
                 person_id=person_id, recipient_id=row.member_id) for number, person_id in row.told]
