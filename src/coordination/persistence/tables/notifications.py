"""The outbox and every send of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import OutboxStatus
from coordination.persistence.tables._columns import key, enum, utc


class Outbox(SQLModel, table=True):
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int = key()
    key: str = Field(unique=True)  # derived from the business event: makes enqueue idempotent
    kind: str
    member_id: int | None = Field(default=None, foreign_key="member.id")
    target: str | None = None  # for messages to a channel rather than a member, e.g. 'tag:operations'
    case_number: str | None = None
    subject: str
    body: str
    status: OutboxStatus = enum(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: int = 0
    last_error: str | None = None
    created_at: dt.datetime = utc(index=True)
    next_attempt_at: dt.datetime = utc()
    claimed_at: dt.datetime | None = utc(default=None)
    # the delivery run that holds the claim: a deliverer may mark only the rows it still holds
    claim_token: str | None = Field(default=None, max_length=32)
    # what the recipient's targets resolved to when the row ended no_target or failed: a change
    # (a variable set, a URL fixed) makes it deliverable again
    target_fingerprint: str | None = Field(default=None, max_length=64)
    sent_at: dt.datetime | None = utc(default=None)
    cancel_reason: str | None = None  # why a pending message may no longer be sent
    attachment_name: str | None = None  # a file sent with the message (a meeting's .ics)
    attachment: str | None = None


class OutboxSend(SQLModel, table=True):
    """One message settled for one target: delivered ('sent') or refused for good ('invalid', a
    URL apprise cannot use). A retry skips the targets already here. The target is kept as a hash
    (its URL may hold a token) beside its channel kind; a corrected URL is a new target."""

    outbox_id: int = Field(foreign_key="outbox.id", primary_key=True)
    target_key: str = Field(primary_key=True, max_length=64)
    channel: str
    sent_at: dt.datetime = utc()
    outcome: str = Field(default="sent", max_length=16)  # sent | invalid
