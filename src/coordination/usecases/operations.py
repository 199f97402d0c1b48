"""Operations alerts for failed or crashed flow runs, through the outbox: one alert per run and
state, however many watchers or hooks notice it."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast
from dataclasses import dataclass

from sqlmodel import Session, col

from coordination.notifications.outbox import enqueue
from coordination.notifications.templates import Message

_ERROR_CLASS = re.compile(r"\b([A-Z][A-Za-z0-9_]*(?:Error|Exception|Exit|Interrupt|Timeout|Missing|Found|Input|"
                          r"Violation|Unavailable))\b")


@dataclass(frozen=True)
class FailedRun:
    id: str
    name: str
    flow_name: str
    state: str  # Failed, Crashed, ...
    message: str | None  # the state's message; only the error class is kept from it


def error_class(run: FailedRun) -> str:
    """The class of the error, never its text: an error's text may quote data."""
    match = _ERROR_CLASS.search(run.message or "")
    return match.group(1) if match else run.state


def alert_message(run: FailedRun, ui_url: str) -> Message:
    link = f"{ui_url.rstrip('/')}/runs/flow-run/{run.id}"
    return Message("operations_alert", f"Flow run {run.state.lower()}: {run.flow_name}",
                   f"Flow '{run.flow_name}', run '{run.name}', ended {run.state}: {error_class(run)}.\n{link}")


def alert_key(run: FailedRun) -> str:
    return f"ops:flow_run:{run.id}:{run.state}"


def alert_operations(session: Session, runs: list[FailedRun], *, target: str, ui_url: str, now: dt.datetime) -> int:
    """Queue an alert per run and state; returns how many were new."""
    return sum(enqueue(session, key=alert_key(run), message=alert_message(run, ui_url),
                       member_id=None, target=target, case_number=None, now=now) for run in runs)


def outbox_rows(session: Session, *, status: str | None = None, limit: int = 1000) -> list[dict]:
    """Outbox rows for an operator: who or which channel, the case number, status, attempts, the
    last error (class, channel kind, redacted text) and the next attempt. No message bodies."""
    from sqlmodel import select

    from coordination.persistence.models import Member, Outbox

    query = select(Outbox, Member.code).join(Member, col(Member.id) == Outbox.member_id, isouter=True)
    if status is not None:
        query = query.where(col(Outbox.status) == status)
    rows = session.exec(query.order_by(col(Outbox.id)).limit(limit)).all()
    return [{"id": o.id, "kind": o.kind, "to": code or o.target, "case": o.case_number, "status": str(o.status),
             "attempts": o.attempts, "last_error": o.last_error, "cancel_reason": o.cancel_reason,
             "next_attempt_at": o.next_attempt_at.isoformat() if o.status == "pending" else None,
             "created_at": o.created_at.isoformat(), "sent_at": o.sent_at.isoformat() if o.sent_at else None}
            for o, code in rows]


def retry_outbox(session: Session, *, statuses: list[str], now: dt.datetime, member_id: int | None = None) -> int:
    """Make rows that ended without a working target (no_target, failed), or pending rows waiting
    out a backoff, due now: for an operator who fixed the configuration and will not wait."""
    from sqlalchemy import CursorResult, update

    from coordination.persistence.models import AuditEvent, Outbox

    stmt = update(Outbox).where(col(Outbox.status).in_(statuses)).values(status="pending", next_attempt_at=now)
    if member_id is not None:
        stmt = stmt.where(col(Outbox.member_id) == member_id)
    count = cast(CursorResult, session.execute(stmt)).rowcount
    session.add(AuditEvent(at=now, actor="system:cli", action="retry", record_type="outbox",
                           record_id=f"{count} row(s) in {','.join(statuses)}"))
    return count
