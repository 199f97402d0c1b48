"""Rules for the SIP (coordinated individual plan), its revisions and follow-up outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from coordination.domain.vocabulary import CaseStatus, Role
from coordination.errors import InvalidInput, RuleViolation

CASE_NUMBER_PREFIX = "K"


def format_case_number(year: int, sequence: int) -> str:
    return f"{CASE_NUMBER_PREFIX}-{year}-{sequence:04d}"


@dataclass(frozen=True)
class SipDraft:
    coordinator_role: Role | None
    participant_roles: tuple[Role, ...]
    participant_organisations: frozenset[str]
    plan_b: str | None
    next_follow_up: dt.date | None


def check_sip(draft: SipDraft, *, today: dt.date, child: bool, seriously_ill: bool,
              fixed_care_contact_named: bool, fixed_doctor_named: bool, record: str) -> dt.date:
    """What every SIP must name (Jönköping, Socialstyrelsen): a coordinator, participants from
    more than one organisation, and a follow-up date. A seriously ill child's plan also has a
    plan B, a fixed doctor (a named member who takes part, not any doctor) and a fixed care
    contact, named for the child before the plan is drawn up rather than defaulted by it.
    Returns the plan's follow-up date, now known to be set."""
    if draft.coordinator_role is None:
        raise RuleViolation("a SIP names a coordinator (samordningsansvarig)", record=record,
                            field="coordinator", hint="give --coordinator MEMBER")
    if len(draft.participant_organisations) < 2:
        raise RuleViolation("a SIP coordinates at least two organisations", record=record,
                            field="participants", hint="add participants from each organisation involved")
    next_follow_up = check_follow_up_date(draft.next_follow_up, today=today, record=record, field="next_follow_up")
    if child and seriously_ill:
        if not (draft.plan_b or "").strip():
            raise RuleViolation("a seriously ill child's SIP contains a plan B", record=record,
                                field="plan_b", hint="describe what to do if the condition changes")
        if not fixed_doctor_named:
            raise RuleViolation("a seriously ill child has a named fixed doctor who takes part in the SIP",
                                record=record, field="fixed_doctor",
                                hint="name the child's fixed doctor (`coordination case contacts CASE "
                                     "--fixed-doctor MEMBER`) and keep them among the participants")
        if not fixed_care_contact_named:
            raise RuleViolation("a seriously ill child has a named fixed care contact", record=record,
                                field="fixed_care_contact",
                                hint="name it (`coordination case contacts CASE --fixed-care-contact MEMBER`)")
    return next_follow_up


def check_follow_up_date(when: dt.date | None, *, today: dt.date, record: str, field: str) -> dt.date:
    """The follow-up date, refused when missing or not after today."""
    if when is None:
        raise RuleViolation("a follow-up date is required", record=record, field=field,
                            hint="plan when the SIP is followed up (YYYY-MM-DD)")
    if when <= today:
        raise InvalidInput(f"{when} is not after today ({today})", record=record, field=field,
                           hint="give a follow-up date in the future")
    return when


@dataclass(frozen=True)
class FollowUpDecision:
    close_case: bool
    next_follow_up: dt.date | None


def decide_follow_up(*, needs_remain: bool, next_follow_up: dt.date | None, today: dt.date,
                     record: str) -> FollowUpDecision:
    """Needs remain -> a new SIP version with a new follow-up date; needs met -> close."""
    if not needs_remain:
        return FollowUpDecision(close_case=True, next_follow_up=None)
    return FollowUpDecision(close_case=False, next_follow_up=check_follow_up_date(
        next_follow_up, today=today, record=record, field="next_follow_up"))


def choose_participants(professions: Iterable[Role], candidates: Iterable[tuple[int, Role, str]]
                        ) -> list[int]:
    """One member per profession needed, taken from candidates (member id, role, organisation)
    in the order given, e.g. fixed care contacts first."""
    chosen: list[int] = []
    wanted = list(dict.fromkeys(professions))
    pool = list(candidates)
    for role in wanted:
        for member_id, member_role, _org in pool:
            if member_role == role and member_id not in chosen:
                chosen.append(member_id)
                break
    return chosen


# Which step of the cycle may follow which; a closed case is re-opened by identification.
_ALLOWED = {
    "assess": {CaseStatus.CONSENTED, CaseStatus.ASSESSED, CaseStatus.PLANNED, CaseStatus.ACTIVE},
    # identified is allowed so that a missing consent is what the user is told about
    "plan": {CaseStatus.IDENTIFIED, CaseStatus.CONSENTED, CaseStatus.ASSESSED},
    "act": {CaseStatus.PLANNED, CaseStatus.ACTIVE},
    # the coordination meeting decides actions for identified persons with consent, before a SIP
    "decide_action": {CaseStatus.CONSENTED, CaseStatus.ASSESSED, CaseStatus.PLANNED, CaseStatus.ACTIVE},
    "follow_up": {CaseStatus.PLANNED, CaseStatus.ACTIVE},
}


def can(step: str, status: CaseStatus) -> bool:
    return CaseStatus(status) in _ALLOWED[step]


def require_step(step: str, status: CaseStatus, *, record: str) -> None:
    if CaseStatus(status) not in _ALLOWED[step]:
        allowed = ", ".join(sorted(_ALLOWED[step]))
        raise RuleViolation(f"cannot {step.replace('_', ' ')} a case that is {status}", record=record,
                            field="status", hint=f"the case must be one of: {allowed}")
