"""SQLModel tables of the coordination database.

Each table keeps a `...Base` with the fields a person or an import file supplies, so
importers and the CLI validate against the same definition the table is built from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Enum as SAEnum, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import (
    ActionStatus, CaseStatus, ConsentForm, ConsentGiver, ContactKind, EscalationLevel, HandlingTime, Organiser,
    Initiator, OutboxStatus, PersonVerdict, Placement, PlacementLaw, Role, SignalKind, SipAnswer, UnitType,
)
from coordination.persistence.types import UTCDateTime


def _utc(**kw):
    return Field(sa_type=UTCDateTime, **kw)


def _enum(enum_cls, **kw):
    # Store the readable value ('next_working_day'), not the member name, as plain text:
    # admins and hand-written SQL read it, and new values need no enum-type migration.
    return Field(sa_type=SAEnum(enum_cls, values_callable=lambda e: [m.value for m in e],
                                native_enum=False, length=40), **kw)


# --- organisations and staff -------------------------------------------------------------

class OrganisationBase(SQLModel):
    code: str = Field(index=True, unique=True, min_length=1, max_length=64)
    name: str = Field(min_length=1)
    organiser: Organiser = _enum(Organiser)
    unit_type: UnitType = _enum(UnitType)


class Organisation(OrganisationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class MemberBase(SQLModel):
    code: str = Field(index=True, unique=True, min_length=1, max_length=64)
    name: str = Field(min_length=1)
    role: Role = _enum(Role)
    active: bool = True
    # apprise URLs, `env:VARIABLE` references to them, or `tag:NAME`; secrets stay in the env
    notify: list[str] = Field(default_factory=list, sa_type=JSON)
    locale: str = Field(default="sv", max_length=8)  # the language of the member's pages and messages
    # what the identity provider asserts about the member (e.g. an HSA-id), for OpenID Connect sign-in
    identity: str | None = Field(default=None, unique=True, max_length=128)
    # the number the person calls to reach the member (a work number): printed on the person's SIP
    phone: str | None = Field(default=None, max_length=40)


class Member(MemberBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="member.id")


# --- persons -----------------------------------------------------------------------------

class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    personnummer: str = Field(index=True, unique=True)  # canonical YYYYMMDD-NNNN
    is_coordination_number: bool = False
    birth_date: dt.date
    given_name: str
    family_name: str
    address: str | None = None
    phone: str | None = None
    protected_identity: bool = False  # skyddade personuppgifter
    placement: Placement | None = _enum(Placement, default=None)
    placement_law: PlacementLaw | None = _enum(PlacementLaw, default=None)
    residence_hidden_from_guardians: bool = False


class Contact(SQLModel, table=True):
    """Guardians, relatives, the social secretary and carers of a person."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: ContactKind = _enum(ContactKind)
    name: str
    phone: str | None = None
    email: str | None = None
    personnummer: str | None = None
    may_be_involved: bool = True  # how guardians may be involved (placed children)


# --- consent -----------------------------------------------------------------------------

class Consent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    given_by: ConsentGiver = _enum(ConsentGiver)
    guardian_id: int | None = Field(default=None, foreign_key="contact.id")
    # a child's two guardians consent together; or the record says why one guardian's is enough
    second_guardian_id: int | None = Field(default=None, foreign_key="contact.id")
    sole_guardian_reason: str | None = None
    form: ConsentForm = _enum(ConsentForm)
    valid_from: dt.date
    valid_until: dt.date | None = None
    withdrawn_at: dt.datetime | None = _utc(default=None)
    recorded_by_id: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: dt.datetime = _utc()


class ConsentParty(SQLModel, table=True):
    """An organisation the consent names; `documented_at` once its own record holds it."""

    consent_id: int = Field(foreign_key="consent.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    documented_at: dt.datetime | None = _utc(default=None)


# --- identification and cases ------------------------------------------------------------

class SignalRecord(SQLModel, table=True):
    __tablename__ = "signal"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: SignalKind = _enum(SignalKind)
    occurred_on: dt.date
    days: int | None = None
    reported_by_id: int | None = Field(default=None, foreign_key="member.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    screened_at: dt.datetime | None = _utc(default=None, index=True)


class CaseSequence(SQLModel, table=True):
    year: int = Field(primary_key=True)
    last: int = 0


class CareCase(SQLModel, table=True):
    __tablename__ = "care_case"
    __table_args__ = (Index("ix_care_case_person_status", "person_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True)
    person_id: int = Field(foreign_key="person.id")
    status: CaseStatus = _enum(CaseStatus, default=CaseStatus.IDENTIFIED)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    initiated_by: Initiator | None = _enum(Initiator, default=None)  # None: opened before this was recorded
    flagged_for_meeting: bool = False
    seriously_ill: bool = False
    coordinator_id: int | None = Field(default=None, foreign_key="member.id")
    fixed_care_contact_id: int | None = Field(default=None, foreign_key="member.id")
    fixed_doctor_id: int | None = Field(default=None, foreign_key="member.id")  # named, for a seriously ill child
    opened_at: dt.datetime = _utc()
    closed_at: dt.datetime | None = _utc(default=None)


# --- assess and plan ---------------------------------------------------------------------

class Assessment(SQLModel, table=True):
    """An SBAR handover plus the person's own answer to "What is important to you?".

    It also carries the proposal the SIP is drawn up from (actions, plan B, other plans,
    follow-up interval), so flows need nothing but the case number."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    author_id: int = Field(foreign_key="member.id")
    submitted_at: dt.datetime = _utc()
    accepted_at: dt.datetime | None = _utc(default=None)
    what_matters: str
    situation: str
    background: str
    current_status: str  # the A of SBAR: assessment / aktuellt tillstånd
    recommendation: str
    needs: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # perspective -> need
    professions: list[str] = Field(default_factory=list, sa_type=JSON)
    handling_time: HandlingTime = _enum(HandlingTime)
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


class Sip(SQLModel, table=True):
    """One version of a SIP. A revision adds a row; no version is ever changed after it is
    superseded."""

    __table_args__ = (UniqueConstraint("case_id", "version"),
                      Index("ix_sip_current_follow_up", "current", "next_follow_up"))
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id")
    version: int
    current: bool = True
    created_at: dt.datetime = _utc()
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    coordinator_id: int = Field(foreign_key="member.id")
    what_matters: str
    plan_b: str | None = None
    other_plans: list[str] = Field(default_factory=list, sa_type=JSON)
    relatives_support: str | None = None  # the relatives' support and relief, as the plan gives it
    next_follow_up: dt.date
    assessment_id: int | None = Field(default=None, foreign_key="assessment.id")
    superseded_at: dt.datetime | None = _utc(default=None)


class SipMeeting(SQLModel, table=True):
    """The SIP meeting with the person, and what came of it: the person's (or a guardian's)
    answer to the plan and, when they agree, the patient contract's four parts."""

    __tablename__ = "sip_meeting"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    sip_id: int = Field(foreign_key="sip.id", index=True)  # the version discussed (current when recorded)
    scheduled_for: dt.datetime = _utc()
    place: str  # staff's words; may locate the person: shown in the workspace only
    invite_guardians: bool = False
    invite_relatives: bool = False
    scheduled_by_id: int | None = Field(default=None, foreign_key="member.id")
    scheduled_at: dt.datetime = _utc()
    answer: SipAnswer | None = _enum(SipAnswer, default=None)
    answered_by: ConsentGiver | None = _enum(ConsentGiver, default=None)
    refusal_reason: str | None = None
    # the patient contract: agreement, fixed care contact, coherent plan (sip_id), agreed time
    agreement: str | None = None
    fixed_care_contact_id: int | None = Field(default=None, foreign_key="member.id")
    agreed_time: dt.datetime | None = _utc(default=None)
    # a child is informed and heard according to age and maturity (seed 002): how, in staff's words
    child_informed: str | None = None
    child_heard: str | None = None
    recorded_by_id: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: dt.datetime | None = _utc(default=None)


class SipParticipant(SQLModel, table=True):
    sip_id: int = Field(foreign_key="sip.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class Action(SQLModel, table=True):
    __table_args__ = (Index("ix_action_status_due", "status", "due_date"),
                      Index("ix_action_status_follow_up", "status", "follow_up_date"))
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    # the SIP version that introduced it; none for an action the coordination meeting decided
    # for an identified person before any SIP
    sip_id: int | None = Field(default=None, foreign_key="sip.id")
    description: str
    responsible_id: int = Field(foreign_key="member.id")
    handling_time: HandlingTime = _enum(HandlingTime)
    status: ActionStatus = _enum(ActionStatus, default=ActionStatus.PLANNED)
    due_date: dt.date | None = None
    follow_up_date: dt.date
    created_at: dt.datetime = _utc()
    assigned_at: dt.datetime | None = _utc(default=None)
    completed_at: dt.datetime | None = _utc(default=None)
    completion_note: str | None = None


class FollowUp(SQLModel, table=True):
    """An outcome recorded by staff; applying it revises the SIP or closes the case."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    sip_id: int = Field(foreign_key="sip.id")
    recorded_by_id: int = Field(foreign_key="member.id")
    recorded_at: dt.datetime = _utc()
    outcome: str
    needs_remain: bool
    next_follow_up: dt.date | None = None
    # the person's own verdict, asked at the follow-up; None when it was not asked (or not answered)
    person_verdict: PersonVerdict | None = _enum(PersonVerdict, default=None)
    applied_at: dt.datetime | None = _utc(default=None)
    resulting_sip_id: int | None = Field(default=None, foreign_key="sip.id")


class Share(SQLModel, table=True):
    """Information about a person handed from one organisation to another, under a consent."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    from_organisation_id: int = Field(foreign_key="organisation.id")
    to_organisation_id: int = Field(foreign_key="organisation.id")
    consent_id: int = Field(foreign_key="consent.id")
    by_id: int = Field(foreign_key="member.id")
    at: dt.datetime = _utc()


# --- notifications and audit -------------------------------------------------------------

class Outbox(SQLModel, table=True):
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # derived from the business event: makes enqueue idempotent
    kind: str
    member_id: int | None = Field(default=None, foreign_key="member.id")
    target: str | None = None  # for messages to a channel rather than a member, e.g. 'tag:operations'
    case_number: str | None = None
    subject: str
    body: str
    status: OutboxStatus = _enum(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: int = 0
    last_error: str | None = None
    created_at: dt.datetime = _utc(index=True)
    next_attempt_at: dt.datetime = _utc()
    claimed_at: dt.datetime | None = _utc(default=None)
    # the delivery run that holds the claim: a deliverer may mark only the rows it still holds
    claim_token: str | None = Field(default=None, max_length=32)
    # what the recipient's targets resolved to when the row ended no_target or failed: a change
    # (a variable set, a URL fixed) makes it deliverable again
    target_fingerprint: str | None = Field(default=None, max_length=64)
    sent_at: dt.datetime | None = _utc(default=None)
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
    sent_at: dt.datetime = _utc()
    outcome: str = Field(default="sent", max_length=16)  # sent | invalid


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what to which record, and when."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _utc(index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    actor: str  # member code, or 'system:<entry point>'
    action: str
    record_type: str
    record_id: str
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    recipient_id: int | None = None  # for 'notify': the member who was told


# --- follow-up sweep ---------------------------------------------------------------------

class SweepNotice(SQLModel, table=True):
    """One item (an action or a SIP follow-up) told to one recipient in one class (due soon,
    due today, overdue, escalated). The unique key makes every such business event notified
    once; the sweep inserts these and the digest in one transaction."""

    __table_args__ = (UniqueConstraint("item_kind", "item_id", "due_date", "klass", "recipient_id",
                                       name="uq_sweepnotice_event"),)
    id: int | None = Field(default=None, primary_key=True)
    item_kind: str  # action | sip_follow_up
    item_id: int
    due_date: dt.date
    klass: str  # due_soon | due_today | overdue | escalated
    recipient_id: int = Field(foreign_key="member.id", index=True)
    case_number: str
    responsible_role: str
    organisation_id: int = Field(foreign_key="organisation.id")  # of the responsible member
    created_at: dt.datetime = _utc(index=True)
    # the outbox key of the digest that told it: pending digests about a case can be found
    digest_key: str | None = Field(default=None, index=True)


class Deviation(SQLModel, table=True):
    """Avvikelse: something agreed that did not happen, for the responsible member's manager.
    The sweep detects an action or follow-up not done in time (item_kind action | sip_follow_up,
    one row per item and due date); any member taking part reports one (item_kind report, no
    item: the description says what). The manager closes it with a note."""

    __table_args__ = (UniqueConstraint("item_kind", "item_id", "due_date", name="uq_deviation_item"),)
    id: int | None = Field(default=None, primary_key=True)
    item_kind: str
    item_id: int | None = None  # None for a report: NULLs never collide in the unique constraint
    due_date: dt.date
    case_number: str
    responsible_id: int = Field(foreign_key="member.id")
    manager_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    detected_at: dt.datetime = _utc()
    description: str | None = None  # a report's own words (inside the workspace only)
    reported_by_id: int | None = Field(default=None, foreign_key="member.id")
    closed_at: dt.datetime | None = _utc(default=None)
    closed_by_id: int | None = Field(default=None, foreign_key="member.id")
    closing_note: str | None = None


class Escalation(SQLModel, table=True):
    """A dispute or an unresolved professional question taken to MAS, MAR, MLA or the managers,
    with its reason and, once given, the answer."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    level: EscalationLevel = _enum(EscalationLevel)
    reason: str
    raised_by_id: int = Field(foreign_key="member.id")
    raised_at: dt.datetime = _utc()
    answer: str | None = None
    answered_by_id: int | None = Field(default=None, foreign_key="member.id")
    answered_at: dt.datetime | None = _utc(default=None)


class EscalationRecipient(SQLModel, table=True):
    """Who an escalation went to: they may read the case and answer."""

    escalation_id: int = Field(foreign_key="escalation.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class Block(SQLModel, table=True):
    """Spärr: the person has closed one organisation's information to the other organisations."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    placed_by_id: int | None = Field(default=None, foreign_key="member.id")
    placed_at: dt.datetime = _utc()
    lifted_by_id: int | None = Field(default=None, foreign_key="member.id")
    lifted_at: dt.datetime | None = _utc(default=None)


class ConsentCoverage(SQLModel, table=True):
    """Which organisation a consent lets share, and over which period: derived from the consent
    rules (domain/access.py) whenever a consent changes, so set-based queries (the sweep) can
    join on the same answer the access policy gives one case at a time."""

    __table_args__ = (Index("ix_consentcoverage_person_org", "person_id", "organisation_id"),)
    person_id: int = Field(foreign_key="person.id")
    consent_id: int = Field(foreign_key="consent.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    valid_from: dt.date
    valid_until: dt.date | None = None


class ReturnReport(SQLModel, table=True):
    """Återrapportering (SBAR, Bilaga 2): who reported back on the handover, when, and what."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="care_case.id", index=True)
    reported_on: dt.date
    reporter_name: str
    profession: str
    text: str
    recorded_by_id: int = Field(foreign_key="member.id")
    recorded_at: dt.datetime = _utc()


# --- the staff workspace -----------------------------------------------------------------

class SignInLink(SQLModel, table=True):
    """A one-time sign-in link; only the SHA-256 of its secret part is kept."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    next_path: str = "/"
    created_at: dt.datetime = _utc()
    expires_at: dt.datetime = _utc()
    used_at: dt.datetime | None = _utc(default=None)


class StaffSession(SQLModel, table=True):
    """A signed-in member's session, server-side so that it can be revoked; the id is the
    SHA-256 of the cookie's value."""

    id: str = Field(primary_key=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True)
    csrf: str
    created_at: dt.datetime = _utc()
    last_seen_at: dt.datetime = _utc()
    revoked_at: dt.datetime | None = _utc(default=None)


class AppSecret(SQLModel, table=True):
    """Secrets the installation makes for itself in embedded mode (the workspace's signing key)."""

    name: str = Field(primary_key=True, max_length=32)
    value: str


# --- coordination meetings ---------------------------------------------------------------

class Meeting(SQLModel, table=True):
    """One meeting of a series as it is held: its leader by the rotation (or whoever took over),
    its state, and the summary. Made when the meeting is prepared or first opened."""

    __table_args__ = (UniqueConstraint("series_id", "regular_date", name="uq_meeting_occurrence"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str
    series_id: str = Field(index=True)
    regular_date: dt.date  # its place in the cadence
    date: dt.date  # the day it is held (moved for a holiday)
    starts_at: dt.datetime = _utc()
    leader_id: int | None = Field(default=None, foreign_key="member.id")
    status: str = "planned"  # planned | open | closed
    summary: str = ""
    opened_at: dt.datetime | None = _utc(default=None)
    closed_at: dt.datetime | None = _utc(default=None)


class MeetingAttendance(SQLModel, table=True):
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    attendance: str  # present | digital | absent


class MeetingDecision(SQLModel, table=True):
    """What the meeting decided about a case: an action (made by the same use case as the CLI's),
    a coordinator who calls the SIP meeting, or a discharge item."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    case_number: str = Field(index=True)
    kind: str  # action | needs_sip | discharge
    action_id: int | None = Field(default=None, foreign_key="action.id")
    coordinator_id: int | None = Field(default=None, foreign_key="member.id")
    text: str = ""
    recorded_by_id: int = Field(foreign_key="member.id")
    recorded_at: dt.datetime = _utc()


class MeetingMinutes(SQLModel, table=True):
    """The minutes as closed: a whole snapshot per version (attendance, decisions, summary).
    Read through the access policy: a case's lines are shown only to whom it may be told."""

    __table_args__ = (UniqueConstraint("meeting_id", "version", name="uq_minutes_version"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    version: int
    content: dict = Field(default_factory=dict, sa_type=JSON)
    closed_by_id: int = Field(foreign_key="member.id")
    closed_at: dt.datetime = _utc()
