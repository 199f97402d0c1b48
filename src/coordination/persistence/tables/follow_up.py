"""What the follow-up sweep and staff record when things are not done: notices told, deviations, escalations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import EscalationLevel
from coordination.persistence.tables._columns import key, enum, utc


class SweepNotice(SQLModel, table=True):
    """One item (an action or a SIP follow-up) told to one recipient in one class (due soon,
    due today, overdue, escalated). The unique key makes every such business event notified
    once; the sweep inserts these and the digest in one transaction."""

    __table_args__ = (UniqueConstraint("item_kind", "item_id", "due_date", "klass", "recipient_id",
                                       name="uq_sweepnotice_event"),)
    id: int = key()
    item_kind: str  # action | sip_follow_up
    item_id: int
    due_date: dt.date
    klass: str  # due_soon | due_today | overdue | escalated
    recipient_id: int = Field(foreign_key="member.id", index=True)
    case_number: str
    responsible_role: str
    organisation_id: int = Field(foreign_key="organisation.id")  # of the responsible member
    created_at: dt.datetime = utc(index=True)
    # the outbox key of the digest that told it: pending digests about a case can be found
    digest_key: str | None = Field(default=None, index=True)


class Deviation(SQLModel, table=True):
    """Avvikelse: something agreed that did not happen, for the responsible member's manager.
    The sweep detects an action or follow-up not done in time (item_kind action | sip_follow_up,
    one row per item and due date); any member taking part reports one (item_kind report, no
    item: the description says what). The manager closes it with a note."""

    __table_args__ = (UniqueConstraint("item_kind", "item_id", "due_date", name="uq_deviation_item"),)
    id: int = key()
    item_kind: str
    item_id: int | None = None  # None for a report: NULLs never collide in the unique constraint
    due_date: dt.date
    case_number: str
    responsible_id: int = Field(foreign_key="member.id")
    manager_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    detected_at: dt.datetime = utc()
    description: str | None = None  # a report's own words (inside the workspace only)
    reported_by_id: int | None = Field(default=None, foreign_key="member.id")
    closed_at: dt.datetime | None = utc(default=None)
    closed_by_id: int | None = Field(default=None, foreign_key="member.id")
    closing_note: str | None = None


class Escalation(SQLModel, table=True):
    """A dispute or an unresolved professional question taken to MAS, MAR, MLA or the managers,
    with its reason and, once given, the answer."""

    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    level: EscalationLevel = enum(EscalationLevel)
    reason: str
    raised_by_id: int = Field(foreign_key="member.id")
    raised_at: dt.datetime = utc()
    answer: str | None = None
    answered_by_id: int | None = Field(default=None, foreign_key="member.id")
    answered_at: dt.datetime | None = utc(default=None)


class EscalationRecipient(SQLModel, table=True):
    """Who an escalation went to: they may read the case and answer."""

    escalation_id: int = Field(foreign_key="escalation.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
