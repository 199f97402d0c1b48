"""Delivery of outbox rows through apprise.

Claim, send, mark: a claim is one UPDATE ... RETURNING over a sub-select that PostgreSQL
runs with FOR UPDATE SKIP LOCKED, so parallel deliverers never claim the same row. A row
whose claim is older than the lease (its deliverer crashed) is claimed again: a crash
between sending and marking re-sends at most once. A failed send goes back to pending with
its attempt count, last error and an exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import logging
import re
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import apprise
from sqlalchemy import and_, or_, select, update

from coordination.notifications import mailbox  # noqa: F401  (registers mailbox://)

from coordination.domain.vocabulary import OutboxStatus
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent, CareCase, Member, Outbox, OutboxSend, SweepNotice

LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_target: int = 0
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


class UnresolvedTarget(Exception):
    pass


def resolve_targets(entry: str, tags: dict[str, list[str]] | None = None) -> list[str]:
    """Apprise URLs for one `notify` entry: a URL, `env:NAME` for a URL held in the environment
    (tokens stay out of git), or `tag:NAME` routed by the administrators' tag table."""
    if entry.startswith("tag:"):
        routed = (tags or {}).get(entry[4:])
        if not routed:
            raise UnresolvedTarget(f"tag {entry[4:]} is not configured")
        return [url for item in routed for url in resolve_targets(item)]
    if entry.startswith("env:"):
        value = os.environ.get(entry[4:])
        if not value:
            raise UnresolvedTarget(f"environment variable {entry[4:]} is not set")
        return [value]
    return [entry]


def claim(url: str | None, *, now: dt.datetime, limit: int = 500, keys: list[str] | None = None) -> list[int]:
    with unit_of_work(url) as session:
        due = or_(and_(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now),
                  and_(Outbox.status == OutboxStatus.SENDING, Outbox.claimed_at < now - LEASE))
        ids = select(Outbox.id).where(due).order_by(Outbox.id).limit(limit)
        if keys is not None:
            ids = ids.where(Outbox.key.in_(keys))
        if session.get_bind().dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        stmt = (update(Outbox).where(Outbox.id.in_(ids.scalar_subquery()))
                .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=Outbox.attempts + 1)
                .returning(Outbox.id))
        return sorted(session.execute(stmt).scalars().all())


_URL = re.compile(r"https?://[^\s<>\"']+")


def as_html(text: str) -> str:
    """The plain-text message as HTML: escaped, links made links, each line kept."""
    escaped = html.escape(text, quote=True)
    linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return "<br>".join(linked.split("\n"))


def send(targets: list[str], subject: str, body: str, attachment: tuple[str, str] | None = None) -> str | None:
    """Send to every target; None on success, else the error text."""
    notifier = apprise.Apprise()
    for target in targets:
        if not notifier.add(target):
            return "a notification target is not a valid apprise URL"
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


def deliver_pending(url: str | None = None, *, now: dt.datetime, limit: int = 500,
                    tags: dict[str, list[str]] | None = None, keys: list[str] | None = None) -> DeliveryReport:
    """Deliver what is due (only the rows with `keys`, when given)."""
    report = DeliveryReport()
    claimed = claim(url, now=now, limit=limit, keys=keys)
    report.claimed = len(claimed)
    for row_id in claimed:
        with unit_of_work(url) as session:
            row = session.get(Outbox, row_id)
            member = session.get(Member, row.member_id) if row.member_id else None
            subject, body = row.subject, row.body
            attachment = (row.attachment_name, row.attachment) if row.attachment else None
            member_code = member.code if member else None
            entries = list(member.notify) if member else ([row.target] if row.target else [])
        targets, unresolved = [], []
        for entry in entries:
            try:
                targets += resolve_targets(entry, tags)
            except UnresolvedTarget as exc:
                unresolved.append(str(exc))
        if not targets:
            report.no_target += 1
            if member_code and member_code not in report.members_without_target:
                report.members_without_target.append(member_code)
            _finish(url, row_id, OutboxStatus.NO_TARGET,
                    "; ".join(unresolved) or "the recipient has no notification target", now)
            continue
        # Each target is its own send, recorded as it succeeds: a retry goes only to the targets
        # that failed, so the one that works never gets the message twice.
        done = _sent_targets(url, row_id)
        failures = []
        for target in targets:
            if target_key(target) in done:
                continue
            error = send([target], subject, body, attachment)
            if error:
                failures.append((target, error))
            else:
                _record_send(url, row_id, target, now)
        if failures:
            report.failed += 1
            reasons = sorted({f"{failure_class(e)} on {channel_kinds([t])}" for t, e in failures})
            for reason in reasons:
                report.errors[reason] = report.errors.get(reason, 0) + 1
            _finish(url, row_id, OutboxStatus.PENDING,
                    "; ".join(f"{r}: {redacted(e)}" for r, (_, e) in zip(reasons, failures)), now)
        else:
            report.sent += 1
            _finish(url, row_id, OutboxStatus.SENT, "; ".join(unresolved) or None, now)
    return report


def target_key(target: str) -> str:
    """What identifies a target in the send log: a hash, since a URL can hold a token."""
    return hashlib.sha256(target.encode()).hexdigest()


def _sent_targets(url: str | None, row_id: int) -> set[str]:
    with unit_of_work(url) as session:
        return set(session.execute(select(OutboxSend.target_key).where(OutboxSend.outbox_id == row_id)).scalars())


def _record_send(url: str | None, row_id: int, target: str, now: dt.datetime) -> None:
    """One send to one target: logged, and audited (which channel kind, which message, when)."""
    with unit_of_work(url) as session:
        row = session.get(Outbox, row_id)
        session.add(OutboxSend(outbox_id=row_id, target_key=target_key(target), channel=channel_kinds([target]),
                               sent_at=now))
        session.add(AuditEvent(at=now, actor="system:delivery", action="send", record_type="outbox",
                               record_id=f"{row.key} via {channel_kinds([target])}", recipient_id=row.member_id))


def _finish(url: str | None, row_id: int, status: OutboxStatus, error: str | None, now: dt.datetime) -> None:
    with unit_of_work(url) as session:
        row = session.get(Outbox, row_id)
        row.status = status
        row.last_error = error
        if status == OutboxStatus.SENT:
            row.sent_at = now
            _audit_told(session, row, now)
        elif status == OutboxStatus.PENDING:
            row.next_attempt_at = now + backoff(row.attempts)
        session.add(row)


def _audit_told(session, row: Outbox, now: dt.datetime) -> None:
    """A delivered message about a case is a disclosure: who was told, which case, when. A
    digest tells about every case among its notices."""
    if row.member_id is None:
        return
    if row.kind == "digest":
        numbers = session.execute(select(SweepNotice.case_number).distinct().where(
            SweepNotice.recipient_id == row.member_id, SweepNotice.created_at == row.created_at)).scalars().all()
    else:
        numbers = [row.case_number] if row.case_number else []
    if not numbers:
        return
    for number, person_id in session.execute(select(CareCase.number, CareCase.person_id)
                                             .where(CareCase.number.in_(numbers))).all():
        session.add(AuditEvent(at=now, actor="system:delivery", action="notify", record_type="case",
                               record_id=number, person_id=person_id, recipient_id=row.member_id))
