"""Signals, cases and what is recorded on a case: SBAR assessments, handovers and return reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import CaseStatus, HandlingTime, Initiator, SignalKind
from coordination.persistence.tables._columns import key, enum, utc


class SignalRecord(SQLModel, table=True):
    __tablename__ = "signal"
    id: int = key()
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: SignalKind = enum(SignalKind)
    occurred_on: dt.date
    days: int | None = None
    reported_by_id: int | None = Field(default=None, foreign_key="member.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    screened_at: dt.datetime | None = utc(default=None, index=True)
    # a journal system's own identifier of what it sent (FHIR): the same one sent again is the same signal
    source: str | None = Field(default=None, unique=True, max_length=400)


class UnregisteredSignal(SQLModel, table=True):
    """A member's signal about a personnummer that no registered person has. Kept, not refused,
    so that the answer to a report never tells whether a person is in coordination; adopted as a
    signal once the person is registered (`identify` does it first thing)."""

    __tablename__ = "unregistered_signal"
    id: int = key()
    personnummer: str = Field(index=True)  # canonical YYYYMMDD-NNNN
    kind: SignalKind = enum(SignalKind)
    occurred_on: dt.date
    days: int | None = None
    reported_by_id: int | None = Field(default=None, foreign_key="member.id", index=True)  # None: a system
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    reported_at: dt.datetime = utc()
    screened_at: dt.datetime | None = utc(default=None)  # looked at by identify: no one to screen
    source: str | None = Field(default=None, unique=True, max_length=400)  # as the signal's


class CaseSequence(SQLModel, table=True):
    year: int = Field(primary_key=True)
    last: int = 0


class CareCase(SQLModel, table=True):
    __tablename__ = "care_case"
    __table_args__ = (Index("ix_care_case_person_status", "person_id", "status"),
                      # a member's case list probes each of their cases for these alone
                      Index("ix_care_case_id_status_due", "id", "status", "next_action_due"))
    id: int = key()
    number: str = Field(index=True, unique=True)
    person_id: int = Field(foreign_key="person.id")
    status: CaseStatus = enum(CaseStatus, default=CaseStatus.IDENTIFIED)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    initiated_by: Initiator | None = enum(Initiator, default=None)  # None: opened before this was recorded
    flagged_for_meeting: bool = False
    seriously_ill: bool = False
    coordinator_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    fixed_care_contact_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    fixed_doctor_id: int | None = Field(default=None, foreign_key="member.id")  # named, for a seriously ill child
    opened_at: dt.datetime = utc()
    closed_at: dt.datetime | None = utc(default=None)
    # derived: the earliest due date of the case's open actions, kept by the database's triggers
    # on `action` (migration 0027) whoever writes; the application never sets it. A member's
    # case list is ordered by it rather than grouping every open action on each request.
    next_action_due: dt.date | None = None


class Assessment(SQLModel, table=True):
    """An SBAR handover plus the person's own answer to "What is important to you?".

    It also carries the proposal the SIP is drawn up from (actions, plan B, other plans,
    follow-up interval), so flows need nothing but the case number."""

    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    author_id: int = Field(foreign_key="member.id")
    submitted_at: dt.datetime = utc()
    accepted_at: dt.datetime | None = utc(default=None)
    what_matters: str
    situation: str
    background: str
    current_status: str  # the A of SBAR: assessment / aktuellt tillstånd
    recommendation: str
    needs: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # perspective -> need
    professions: list[str] = Field(default_factory=list, sa_type=JSON)
    handling_time: HandlingTime = enum(HandlingTime)
    frequency: str | None = None  # hur ofta, länge, när
    proposed_actions: list[dict] = Field(default_factory=list, sa_type=JSON)
    plan_b: str | None = None
    other_plans: list[str] = Field(default_factory=list, sa_type=JSON)
    follow_up_in_days: int = 28
    # the rest of Bilaga 2: the doctor's order, and the yes/no boxes; None where not filled in
    doctor_order: str | None = None
    medication_list_current: bool | None = None
    consent_obtained: bool | None = None
    seriously_ill: bool = False  # the assessor's finding for a child: the stricter SIP rules apply
    relatives_support_need: str | None = None  # relatives' need of support and relief (anhörigstöd)


class Share(SQLModel, table=True):
    """Information about a person handed from one organisation to another, under a consent."""

    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    from_organisation_id: int = Field(foreign_key="organisation.id")
    to_organisation_id: int = Field(foreign_key="organisation.id")
    consent_id: int = Field(foreign_key="consent.id")
    by_id: int = Field(foreign_key="member.id")
    at: dt.datetime = utc()


class ReturnReport(SQLModel, table=True):
    """Återrapportering (SBAR, Bilaga 2): who reported back on the handover, when, and what."""

    id: int = key()
    case_id: int = Field(foreign_key="care_case.id", index=True)
    reported_on: dt.date
    reporter_name: str
    profession: str
    text: str
    recorded_by_id: int = Field(foreign_key="member.id")
    recorded_at: dt.datetime = utc()
