"""What happened that someone must hear about: one event a fact, recorded by the use case that made
it happen, inside its unit of work.

An event carries ids, dates and case numbers, never a person's name or personnummer. Who may be
told has already been asked of the access policy by the use case (`may_tell`, `recipients`): an
event states the answer, and `notifications/handlers.py` turns each event into its messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coordination.domain.vocabulary import HandlingTime, Role

# (member id, whether the access policy lets them be told about the case)
Recipients = tuple[tuple[int, bool], ...]


@dataclass(frozen=True)
class ActionAssigned:
    case_number: str
    action_id: int
    responsible_id: int
    responsible_role: Role
    handling_time: HandlingTime
    due_date: dt.date | None  # None: "vid behov", handled when the need arises
    follow_up_date: dt.date


@dataclass(frozen=True)
class CaseFlagged:
    """A case opened or flagged for the next coordination meeting; its coordinator hears of it."""
    case_number: str
    case_id: int
    coordinator_id: int
    may_tell: bool
    day: dt.date


@dataclass(frozen=True)
class CaseClosed:
    case_number: str
    case_id: int
    recipients: Recipients


@dataclass(frozen=True)
class SipVersionWritten:
    case_number: str
    sip_id: int
    version: int
    coordinator_role: Role
    next_follow_up: dt.date
    participant_ids: tuple[int, ...]
    cause: str | None


@dataclass(frozen=True)
class SipMeetingBooked:
    case_number: str
    meeting_id: int
    when: dt.datetime
    recipients: Recipients


@dataclass(frozen=True)
class SipRefused:
    case_number: str
    meeting_id: int
    version: int
    recipients: Recipients


@dataclass(frozen=True)
class ConsentWithdrawn:
    """Takes effect at once: what waits to be sent about the person's cases to organisations no
    longer covered is cancelled, and those who took part in each open case are told once, with
    the case number only, to stop sharing."""
    consent_id: int
    person_id: int
    open_cases: tuple[tuple[str, int, tuple[int, ...]], ...]  # (case number, case id, participants)


@dataclass(frozen=True)
class DeviationReported:
    case_number: str
    deviation_id: int
    manager_id: int
    covered: bool  # False: the manager hears only that a deviation concerns their unit


@dataclass(frozen=True)
class EscalationRaised:
    case_number: str
    escalation_id: int
    level: str
    recipient_ids: tuple[int, ...]


@dataclass(frozen=True)
class EscalationAnswered:
    case_number: str
    escalation_id: int
    raiser_id: int
    may_tell: bool


@dataclass(frozen=True)
class CoordinatorAppointed:
    """The coordination meeting found the case needs a SIP: its new coordinator calls the meeting."""
    case_number: str
    meeting_id: int
    meeting_date: dt.date
    coordinator_id: int


@dataclass(frozen=True)
class LeadershipTakenOver:
    meeting_id: int
    meeting_date: dt.date
    team_name: str
    scheduled_leader_id: int  # told, so a take-over is never a surprise
    new_leader_role: Role


@dataclass(frozen=True)
class MinutesClosed:
    """Each member of the team is told which of the decided cases the policy lets them hear of."""
    meeting_id: int
    version: int
    team_name: str
    meeting_date: dt.date
    leadership: bool
    told: tuple[tuple[int, tuple[str, ...]], ...]  # (member id, case numbers)


@dataclass(frozen=True)
class SignInLinkRequested:
    """The link is a secret: it lives in this event and the message only, and is scrubbed from the
    message once sent or expired."""
    link_id: str
    member_id: int
    url: str


Event = (ActionAssigned | CaseFlagged | CaseClosed | SipVersionWritten | SipMeetingBooked | SipRefused
         | ConsentWithdrawn | DeviationReported | EscalationRaised | EscalationAnswered | CoordinatorAppointed
         | LeadershipTakenOver | MinutesClosed | SignInLinkRequested)
