"""Delivery of outbox rows through apprise.

Claim, send, mark. A claim is one UPDATE ... RETURNING over a sub-select that PostgreSQL runs
with FOR UPDATE SKIP LOCKED, so parallel deliverers never claim the same row, and it stamps the
rows with the delivery run's token. A row whose claim is older than the lease (its deliverer
crashed) is claimed again: a crash between sending and marking re-sends at most once.

Claims are fenced. A deliverer renews the claims it holds as it works through a batch, so a slow
batch never looks abandoned, and it marks a row (a send, sent, pending, no_target, failed) only
while the row still carries its token. A deliverer that finds it lost a claim (it stalled past
the lease and another run took over) stops at once rather than send what it no longer owns.

Each target of a row is settled on its own (`OutboxSend`): a retry goes only to targets that
have not succeeded, and a URL apprise cannot use is recorded as invalid for that target without
holding up the others. A failed send goes back to pending with its attempt count, last error and
an exponential backoff. Rows that ended without a target, or with only invalid ones, are retried
when what their recipient's targets resolve to changes (a variable set, a URL fixed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import apprise
from sqlalchemy import and_, func, or_, select, update

from coordination.notifications import mailbox  # noqa: F401  (registers mailbox://)

from coordination.domain.vocabulary import OutboxStatus
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent, CareCase, Member, Outbox, OutboxSend, SweepNotice

LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)
BATCH = 100  # rows a claim takes; a run drains batch after batch
RENEW_EVERY = 10  # a claim is renewed after a tenth of the lease: a stalled run loses it, a slow one never
WAITING = (OutboxStatus.NO_TARGET, OutboxStatus.FAILED)  # ended, but deliverable again after a fix


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
    remaining: int = 0  # rows still due when the run ended (its time budget ran out)
    # member codes with no working target: reported, never dropped silently
    members_without_target: list[str] = field(default_factory=list)
    # "error class on channel kind" -> count, for operators: never a URL or a token
    errors: dict[str, int] = field(default_factory=dict)

    def reasons(self) -> str:
        return ", ".join(f"{reason} x{n}" for reason, n in sorted(self.errors.items()))


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
    return or_(and_(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now),
               and_(Outbox.status == OutboxStatus.SENDING, Outbox.claimed_at < _wall() - lease))


def claim(url: str | None, *, now: dt.datetime, token: str, limit: int = BATCH, keys: list[str] | None = None,
          lease: dt.timedelta = LEASE) -> list[int]:
    """Take up to `limit` due rows for the run `token`: pending rows whose backoff has passed by
    `now`, and rows whose claim is older than the lease."""
    with unit_of_work(url) as session:
        ids = select(Outbox.id).where(_due(now, lease)).order_by(Outbox.id).limit(limit)
        if keys is not None:
            ids = ids.where(Outbox.key.in_(keys))
        if session.get_bind().dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        stmt = (update(Outbox).where(Outbox.id.in_(ids.scalar_subquery()))
                .values(status=OutboxStatus.SENDING, claimed_at=_wall(), claim_token=token,
                        attempts=Outbox.attempts + 1)
                .returning(Outbox.id))
        return sorted(session.execute(stmt).scalars().all())


def renew(url: str | None, *, token: str) -> set[int]:
    """Renew every claim the run still holds; returns their ids (a row missing was taken over)."""
    with unit_of_work(url) as session:
        return set(session.execute(update(Outbox).where(Outbox.claim_token == token,
                                                        Outbox.status == OutboxStatus.SENDING)
                                   .values(claimed_at=_wall()).returning(Outbox.id)).scalars())


def _held(session, row_id: int, token: str, *columns, values: dict | None = None):
    """The fence: the row, if it is still this run's (its claim renewed, and `values` written, in
    the same statement); None when another run took it over. On PostgreSQL the UPDATE locks the
    row until commit, so no other run can take it in between."""
    stmt = (update(Outbox).where(Outbox.id == row_id, Outbox.claim_token == token,
                                 Outbox.status == OutboxStatus.SENDING)
            .values(claimed_at=_wall(), **(values or {})).returning(Outbox.id, *columns))
    return session.execute(stmt).first()


def due_count(url: str | None, *, now: dt.datetime, keys: list[str] | None = None,
              lease: dt.timedelta = LEASE) -> int:
    with unit_of_work(url, read_only=True) as session:
        query = select(func.count()).select_from(Outbox).where(_due(now, lease))
        if keys is not None:
            query = query.where(Outbox.key.in_(keys))
        return session.execute(query).scalar_one()


def revive_changed(url: str | None, *, tags: dict[str, list[str]] | None, now: dt.datetime) -> int:
    """Rows that ended without a working target become pending again when what their recipient's
    targets resolve to has changed since: the configuration was fixed."""
    with unit_of_work(url) as session:
        groups = session.execute(select(Outbox.member_id, Outbox.target, Outbox.target_fingerprint)
                                 .where(Outbox.status.in_(WAITING)).distinct()).all()
        if not groups:
            return 0
        notify = dict(session.execute(select(Member.id, Member.notify).where(
            Member.id.in_({m for m, _, _ in groups if m is not None}))).all())
        revived = 0
        for member_id, target, fingerprint in groups:
            entries = list(notify.get(member_id) or []) if member_id is not None else ([target] if target else [])
            if resolve(entries, tags).fingerprint() == fingerprint:
                continue
            same = Outbox.member_id == member_id if member_id is not None else and_(Outbox.member_id == None,  # noqa: E711
                                                                                      Outbox.target == target)
            stale = Outbox.target_fingerprint == fingerprint if fingerprint else Outbox.target_fingerprint == None  # noqa: E711
            revived += session.execute(update(Outbox).where(Outbox.status.in_(WAITING), same, stale)
                                       .values(status=OutboxStatus.PENDING, next_attempt_at=now)).rowcount
        return revived


_URL = re.compile(r"https?://[^\s<>\"']+")


def as_html(text: str) -> str:
    """The plain-text message as HTML: escaped, links made links, each line kept."""
    escaped = html.escape(text, quote=True)
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return "<br>".join(linked.split("\n"))




INVALID = "a notification target is not a valid apprise URL"


def send(targets: list[str], subject: str, body: str, attachment: tuple[str, str] | None = None) -> str | None:
    """Send to every target; None on success, else the error text (`INVALID` when apprise cannot
    use a URL at all)."""
    notifier = apprise.Apprise()
    for target in targets:
        if not notifier.add(target):
            return INVALID
    with apprise.LogCapture(level=logging.WARNING) as captured:
        # handed over as HTML with real links: e-mail gets an HTML part and a plain-text part with
        # the same line breaks; text channels (SMS, chat, webhooks) get the text back
        with tempfile.TemporaryDirectory(prefix="coordination-attach-") as folder:
            attach = None
            if attachment:
                path = Path(folder) / attachment[0]
                path.write_text(attachment[1], encoding="utf-8")
                attach = str(path)
            ok = notifier.notify(title=subject, body=as_html(body), body_format=apprise.NotifyFormat.HTML,
                                 attach=attach)
    if ok:
        return None
    return (captured.getvalue().strip().splitlines() or ["delivery failed"])[-1][:500]


class ClaimLost(Exception):
    """Another run took over a row this one held: it stalled past the lease."""


def deliver_pending(url: str | None = None, *, now: dt.datetime, limit: int = BATCH,
                    tags: dict[str, list[str]] | None = None, keys: list[str] | None = None,
                    lease: dt.timedelta = LEASE, budget: dt.timedelta | None = None) -> DeliveryReport:
    """Deliver what is due (only the rows with `keys`, when given), batch after batch until
    nothing due is left or the time `budget` is spent. `now` is the run's business time (what is
    due, when a row was sent); it moves on with the time the run really takes. Claims and their
    leases follow the real clock."""
    report = DeliveryReport()
    started = time.monotonic()

    def clock() -> dt.datetime:
        return now + dt.timedelta(seconds=time.monotonic() - started)

    if keys is None:
        report.revived = revive_changed(url, tags=tags, now=now)
    try:
        while budget is None or time.monotonic() - started < budget.total_seconds():
            token = secrets.token_hex(16)
            claimed = claim(url, now=clock(), token=token, limit=limit, keys=keys, lease=lease)
            if not claimed:
                break
            report.claimed += len(claimed)
            report.batches += 1
            _deliver_batch(url, claimed, token, tags, clock, lease, report)
    except ClaimLost:
        pass  # the run that took over delivers the rest; this one must not touch them
    report.remaining = due_count(url, now=clock(), keys=keys, lease=lease)
    return report


def _deliver_batch(url, claimed: list[int], token: str, tags, clock, lease: dt.timedelta,
                   report: DeliveryReport) -> None:
    renewed_at = time.monotonic()
    for row_id in claimed:
        if time.monotonic() - renewed_at >= (lease / RENEW_EVERY).total_seconds():
            renewed_at = time.monotonic()
            held = renew(url, token=token)
            if row_id not in held:
                report.lost_claims += len(set(claimed) - held)
                raise ClaimLost
        try:
            _deliver_row(url, row_id, token, tags, clock, report)
        except ClaimLost:
            report.lost_claims += 1
            raise


def _deliver_row(url, row_id: int, token: str, tags, clock, report: DeliveryReport) -> None:
    with unit_of_work(url, read_only=True) as session:
        row = session.get(Outbox, row_id)
        member = session.get(Member, row.member_id) if row.member_id else None
        subject, body, attempts = row.subject, row.body, row.attempts
        attachment = (row.attachment_name, row.attachment) if row.attachment else None
        member_code = member.code if member else None
        entries = list(member.notify) if member else ([row.target] if row.target else [])
        settled = dict(session.execute(select(OutboxSend.target_key, OutboxSend.outcome)
                                       .where(OutboxSend.outbox_id == row_id)).all())
    resolution = resolve(entries, tags)
    notes = list(resolution.unresolved)
    if not resolution.targets:
        report.no_target += 1
        _without_target(report, member_code)
        _finish(url, row_id, token, OutboxStatus.NO_TARGET,
                "; ".join(notes) or "the recipient has no notification target", clock(), resolution, attempts)
        return
    # Each target is its own send, recorded as it succeeds: a retry goes only to the targets
    # that failed, so the one that works never gets the message twice.
    failures = []
    for target in resolution.targets:
        if target_key(target) in settled:
            continue
        error = send([target], subject, body, attachment)
        if error == INVALID:  # for good: recorded, and the other targets go on
            settled[target_key(target)] = "invalid"
            _record(url, row_id, token, target, clock(), outcome="invalid")
        elif error:
            failures.append((target, error))
        else:
            settled[target_key(target)] = "sent"
            _record(url, row_id, token, target, clock(), outcome="sent")
    invalid = sorted({channel_kinds([t]) for t in resolution.targets if settled.get(target_key(t)) == "invalid"})
    notes += [f"invalid_target on {kind}: not a valid apprise URL, fix it in the member's notify list"
              for kind in invalid]
    for kind in invalid:
        report.errors[f"invalid_target on {kind}"] = report.errors.get(f"invalid_target on {kind}", 0) + 1
    if failures:
        report.failed += 1
        reasons = [f"{failure_class(e)} on {channel_kinds([t])}" for t, e in failures]
        for reason in sorted(set(reasons)):
            report.errors[reason] = report.errors.get(reason, 0) + 1
        _finish(url, row_id, token, OutboxStatus.PENDING,
                "; ".join([f"{r}: {redacted(e)}" for r, (_, e) in zip(reasons, failures)] + notes), clock(), resolution, attempts)
    elif "sent" in settled.values():
        report.sent += 1
        _finish(url, row_id, token, OutboxStatus.SENT, "; ".join(notes) or None, clock(), resolution, attempts)
    else:  # every target is invalid: a permanent error, reported, retried once the targets change
        report.undeliverable += 1
        _without_target(report, member_code)
        _finish(url, row_id, token, OutboxStatus.FAILED, "; ".join(notes), clock(), resolution, attempts)


def _without_target(report: DeliveryReport, member_code: str | None) -> None:
    if member_code and member_code not in report.members_without_target:
        report.members_without_target.append(member_code)


def target_key(target: str) -> str:
    """What identifies a target in the send log: a hash, since a URL can hold a token."""
    return hashlib.sha256(target.encode()).hexdigest()


def _record(url: str | None, row_id: int, token: str, target: str, now: dt.datetime, *, outcome: str) -> None:
    """One target settled: logged while the claim is still ours, and a send audited (which
    channel kind, which message, when)."""
    with unit_of_work(url) as session:
        row = _held(session, row_id, token, Outbox.key, Outbox.member_id)
        if row is None:
            raise ClaimLost
        session.add(OutboxSend(outbox_id=row_id, target_key=target_key(target), channel=channel_kinds([target]),
                               sent_at=now, outcome=outcome))
        if outcome == "sent":
            session.add(AuditEvent(at=now, actor="system:delivery", action="send", record_type="outbox",
                                   record_id=f"{row.key} via {channel_kinds([target])}", recipient_id=row.member_id))


def _finish(url: str | None, row_id: int, token: str, status: OutboxStatus, error: str | None, now: dt.datetime,
            resolution: Resolution, attempts: int) -> None:
    """Mark the row, in one fenced statement: only while the claim is still ours."""
    values = dict(status=status, last_error=error, claim_token=None)
    if status == OutboxStatus.SENT:
        values["sent_at"] = now
    elif status == OutboxStatus.PENDING:
        values["next_attempt_at"] = now + backoff(attempts)
    else:
        values["target_fingerprint"] = resolution.fingerprint()
    with unit_of_work(url) as session:
        row = _held(session, row_id, token, Outbox.kind, Outbox.key, Outbox.member_id, Outbox.case_number,
                    values=values)
        if row is None:
            raise ClaimLost
        if status == OutboxStatus.SENT:
            _audit_told(session, row, now)


def _audit_told(session, row, now: dt.datetime) -> None:
    """A delivered message about a case is a disclosure: who was told, which case, when. A
    digest tells about every case among its notices."""
    if row.member_id is None:
        return
    if row.kind == "digest":
        numbers = session.execute(select(SweepNotice.case_number).distinct()
                                  .where(SweepNotice.digest_key == row.key)).scalars().all()
    else:
        numbers = [row.case_number] if row.case_number else []
    if not numbers:
        return
    for number, person_id in session.execute(select(CareCase.number, CareCase.person_id)
                                             .where(CareCase.number.in_(numbers))).all():
        session.add(AuditEvent(at=now, actor="system:delivery", action="notify", record_type="case",
                               record_id=number, person_id=person_id, recipient_id=row.member_id))
