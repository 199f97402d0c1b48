"""The team's coordination meetings as held: attendance, decisions, minutes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import MeetingStatus
from coordination.persistence.tables._columns import key, utc


class Meeting(SQLModel, table=True):
    """One meeting of a series as it is held: its leader by the rotation (or whoever took over),
    its state, and the summary. Made when the meeting is prepared or first opened."""

    __table_args__ = (UniqueConstraint("series_id", "regular_date", name="uq_meeting_occurrence"),)
    id: int = key()
    team_id: str
    series_id: str = Field(index=True)
    regular_date: dt.date  # its place in the cadence
    date: dt.date  # the day it is held (moved for a holiday)
    starts_at: dt.datetime = utc()
    leader_id: int | None = Field(default=None, foreign_key="member.id")
    # set when a member took over: the leader the rotation had appointed, and the stated reason
    taken_over_from_id: int | None = Field(default=None, foreign_key="member.id")
    take_over_reason: str | None = None
    status: str = MeetingStatus.PLANNED  # vocabulary.MeetingStatus: planned | open | closed
    summary: str = ""
    opened_at: dt.datetime | None = utc(default=None)
    closed_at: dt.datetime | None = utc(default=None)


class MeetingAttendance(SQLModel, table=True):
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    attendance: str  # present | digital | absent


class MeetingDecision(SQLModel, table=True):
    """What the meeting decided about a case: an action (made by the same use case as the CLI's),
    a coordinator who calls the SIP meeting, or a discharge item."""

    id: int = key()
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    case_number: str = Field(index=True)
    kind: str  # action | needs_sip | discharge | note | follow_up
    action_id: int | None = Field(default=None, foreign_key="action.id")
    verdict: str | None = None  # follow_up: continue | revise | close
    coordinator_id: int | None = Field(default=None, foreign_key="member.id")
    text: str = ""
    recorded_by_id: int = Field(foreign_key="member.id")
    recorded_at: dt.datetime = utc()


class MeetingMinutes(SQLModel, table=True):
    """The minutes as closed: a whole snapshot per version (attendance, decisions, summary).
    Read through the access policy: a case's lines are shown only to whom it may be told."""

    __table_args__ = (UniqueConstraint("meeting_id", "version", name="uq_minutes_version"),)
    id: int = key()
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    version: int
    content: dict = Field(default_factory=dict, sa_type=JSON)
    closed_by_id: int = Field(foreign_key="member.id")
    closed_at: dt.datetime = utc()
