"""The audit log, and the emergency accesses it reviews."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from coordination.persistence.tables._columns import key, utc


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what to which record, and when."""

    id: int = key()
    at: dt.datetime = utc(index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    actor: str  # member code, or 'system:<entry point>'
    action: str
    record_type: str
    record_id: str
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    recipient_id: int | None = None  # for 'notify': the member who was told


class EmergencyAccess(SQLModel, table=True):
    """Nödåtkomst: a member opened a case outside their relationships, with a stated reason,
    until `ends_at`. Only reading is opened; every opening is listed for the log review."""

    __tablename__ = "emergencyaccess"
    __table_args__ = (Index("ix_emergencyaccess_case_ends", "case_id", "ends_at"),)
    id: int = key()
    member_id: int = Field(foreign_key="member.id")
    case_id: int = Field(foreign_key="care_case.id")
    reason: str
    started_at: dt.datetime = utc()
    ends_at: dt.datetime = utc()


class AuditReview(SQLModel, table=True):
    """A log reviewer's mark on an audit event: looked at, with what they found. Kept beside the
    log, since the log itself is append-only; one mark an event."""

    __tablename__ = "auditreview"
    id: int = key()
    event_id: int = Field(foreign_key="auditevent.id", unique=True)
    reviewer_id: int = Field(foreign_key="member.id")
    at: dt.datetime = utc()
    note: str
