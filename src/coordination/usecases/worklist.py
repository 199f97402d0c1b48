"""My cases: the open cases a member takes part in, as the policy lets them read each, with
the next step and its date. The start page lists them under the member's items, so a
coordinator finds their patients without an old message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordination.domain.access import Purpose, Relationship, decide
from coordination.domain.calendar import local_date
from coordination.domain.vocabulary import ActionStatus, CaseStatus
from coordination.persistence.models import Action, CareCase, Sip, SipParticipant
from coordination.usecases.access import case_facts_for, member_facts

# the relationships that make a case "mine", in the order they are named
MINE = (Relationship.COORDINATOR, Relationship.FIXED_CARE_CONTACT, Relationship.SIP_PARTICIPANT,
        Relationship.RESPONSIBLE, Relationship.ESCALATED_TO, Relationship.MANAGER)
OPEN_ACTION = (ActionStatus.PLANNED, ActionStatus.ASSIGNED)


@dataclass(frozen=True)
class CaseEntry:
    number: str
    roles: tuple[str, ...]  # the member's relationships with the case, from MINE
    status: str
    next_step: str | None = None  # follow_up | action | None
    next_date: dt.date | None = None
    when_needed: int = 0  # open actions handled "vid behov": no due date, never in the items


def my_cases(session: Session, member_id: int, *, now: dt.datetime) -> list[CaseEntry]:
    """The member's open cases, those with the nearest next step first. A case the policy does
    not let the member read (a consent no longer covering their organisation, say) is left out,
    as the case page would refuse it."""
    responsible = select(Action.case_id).where(col(Action.responsible_id) == member_id,
                                               col(Action.status).in_(OPEN_ACTION))
    participant = (select(Sip.case_id).join(SipParticipant, col(SipParticipant.sip_id) == Sip.id)
                   .where(col(Sip.current) == True, col(SipParticipant.member_id) == member_id))  # noqa: E712
    cases = session.exec(select(CareCase).where(
        col(CareCase.status) != CaseStatus.CLOSED,
        (col(CareCase.coordinator_id) == member_id) | (col(CareCase.fixed_care_contact_id) == member_id)
        | col(CareCase.id).in_(responsible) | col(CareCase.id).in_(participant))
        .order_by(col(CareCase.number))).all()
    if not cases:
        return []
    ids = [c.id for c in cases]
    facts = case_facts_for(session, cases, now=now)
    me = member_facts(session, member_id)
    today = local_date(now)
    follow_ups: dict[int, dt.date] = dict(session.exec(select(col(Sip.case_id), col(Sip.next_follow_up)).where(
        col(Sip.case_id).in_(ids), col(Sip.current) == True)).all())  # noqa: E712
    due: dict[int, dt.date] = {}
    when_needed: dict[int, int] = {}
    for case_id, due_date in session.exec(select(col(Action.case_id), col(Action.due_date)).where(
            col(Action.case_id).in_(ids), col(Action.status).in_(OPEN_ACTION))):
        if due_date is None:
            when_needed[case_id] = when_needed.get(case_id, 0) + 1
        elif case_id not in due or due_date < due[case_id]:
            due[case_id] = due_date
    entries = []
    for case in cases:
        if not decide(me, Purpose.READ, facts[case.id], at=now, on=today).allowed:
            continue
        kinds = facts[case.id].relationships.get(member_id, frozenset())
        steps = [(d, step) for step, d in (("action", due.get(case.id)), ("follow_up", follow_ups.get(case.id)))
                 if d is not None]
        next_date, next_step = min(steps) if steps else (None, None)
        entries.append(CaseEntry(case.number, tuple(str(k) for k in MINE if k in kinds), str(case.status),
                                 next_step, next_date, when_needed.get(case.id, 0)))
    return sorted(entries, key=lambda e: (e.next_date is None, e.next_date or dt.date.max, e.number))
