"""The audit log."""

from __future__ import annotations

import datetime as dt

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
