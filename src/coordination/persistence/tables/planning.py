"""The SIP, its meetings and participants, its actions and follow-ups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import ActionStatus, ConsentGiver, HandlingTime, PersonVerdict, SipAnswer
from coordination.persistence.tables._columns import key, enum, utc


class Sip(SQLModel, table=True):
    """One version of a SIP. A revision adds a row; no version is ever changed after it is
    superseded."""

    __table_args__ = (UniqueConstraint("case_id", "version"),
                      Index("ix_sip_current_follow_up", "current", "next_follow_up", "case_id"),  # "my cases" walks it
                      # and probes each case's current plan's follow-up from it alone
                      Index("ix_sip_case_current_follow_up", "case_id", "current", "next_follow_up"))
    id: int = key()
    case_id: int = Field(foreign_key="care_case.id")
    version: int
    current: bool = True
    created_at: dt.datetime = utc()
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    coordinator_id: int = Field(foreign_key="member.id")
    what_matters: str
    plan_b: str | None = None
    other_plans: list[str] = Field(default_factory=list, sa_type=JSON)
    relatives_support: str | None = None  # the relatives' support and relief, as the plan gives it
    next_follow_up: dt.date
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id")
    superseded_at: dt.datetime | None = utc(default=None)


class SipMeeting(SQLModel, table=True):
    """The SIP meeting with the person, and what came of it: the person's (or a guardian's)
    answer to the plan and, when they agree, the patient contract's four parts."""

    __tablename__ = "sip_meeting"
    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    sip_id: int = Field(foreign_key="sip.id", index=True)  # the version discussed (current when recorded)
    scheduled_for: dt.datetime = utc()
    place: str  # staff's words; may locate the person: shown in the workspace only
    invite_guardians: bool = False
    invite_relatives: bool = False
    scheduled_by_id: int | None = Field(default=None, foreign_key="member.id")
    scheduled_at: dt.datetime = utc()
    answer: SipAnswer | None = enum(SipAnswer, default=None)
    answered_by: ConsentGiver | None = enum(ConsentGiver, default=None)
    refusal_reason: str | None = None
    # the patient contract: agreement, fixed care contact, coherent plan (sip_id), agreed time
    agreement: str | None = None
    fixed_care_contact_id: int | None = Field(default=None, foreign_key="member.id")
    agreed_time: dt.datetime | None = utc(default=None)
    # a child is informed and heard according to age and maturity (seed 002): how, in staff's words
    child_informed: str | None = None
    child_heard: str | None = None
    recorded_by_id: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: dt.datetime | None = utc(default=None)


class SipParticipant(SQLModel, table=True):
    __table_args__ = (Index("ix_sipparticipant_member", "member_id", "sip_id"),)  # the SIPs a member is in
    sip_id: int = Field(foreign_key="sip.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class Action(SQLModel, table=True):
    __table_args__ = (Index("ix_action_status_due", "status", "due_date", "case_id"),  # "my cases" walks it
                      Index("ix_action_status_follow_up", "status", "follow_up_date"),
                      # a member's open actions by due date (what is due for her), and their
                      # cases without reading the actions
                      Index("ix_action_responsible_status_due", "responsible_id", "status", "due_date", "case_id"))
    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    # the SIP version that introduced it; none for an action the coordination meeting decided
    # for an identified person before any SIP
    sip_id: int | None = Field(default=None, foreign_key="sip.id")
    description: str
    responsible_id: int = Field(foreign_key="member.id")
    handling_time: HandlingTime = enum(HandlingTime)
    status: ActionStatus = enum(ActionStatus, default=ActionStatus.PLANNED)
    due_date: dt.date | None = None
    follow_up_date: dt.date
    created_at: dt.datetime = utc()
    assigned_at: dt.datetime | None = utc(default=None)
    completed_at: dt.datetime | None = utc(default=None)
    # who marked it done: any member taking part may, so the case page says who it was
    completed_by_id: int | None = Field(default=None, foreign_key="member.id")
    completion_note: str | None = None


class FollowUp(SQLModel, table=True):
    """An outcome recorded by staff; applying it revises the SIP or closes the case."""

    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    sip_id: int = Field(foreign_key="sip.id")
    recorded_by_id: int = Field(foreign_key="member.id")
    recorded_at: dt.datetime = utc()
    outcome: str
    needs_remain: bool
    next_follow_up: dt.date | None = None
    # the person's own verdict, asked at the follow-up; None when it was not asked (or not answered)
    person_verdict: PersonVerdict | None = enum(PersonVerdict, default=None)
    applied_at: dt.datetime | None = utc(default=None)
    resulting_sip_id: int | None = Field(default=None, foreign_key="sip.id")
