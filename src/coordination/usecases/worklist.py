"""My cases: the open cases a member takes part in, as the policy lets them read each, with
the next step and its date. The start page lists them under the member's items, so a
coordinator finds their patients without an old message."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordination.domain.access import Purpose, Relationship, decide
from coordination.domain.calendar import local_date
from coordination.domain.vocabulary import ActionStatus, CaseStatus
from coordination.persistence.models import (
    Action, CareCase, Deviation, Escalation, EscalationRecipient, Member, Person, Sip, SipParticipant,
)
from coordination.domain.personnummer import parse as parse_personnummer
from coordination.usecases.access import case_facts_for, member_facts
from coordination.usecases.common import Actor, audit

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
    # a manager's: cases where a member of their unit is responsible for an open action, or an
    # open deviation went to them; MAS's, MAR's, MLA's: an unanswered question raised to them
    unit = select(Action.case_id).join(Member, col(Member.id) == Action.responsible_id).where(
        col(Member.manager_id) == member_id, col(Action.status).in_(OPEN_ACTION))
    deviations = select(Deviation.case_number).where(col(Deviation.manager_id) == member_id,
                                                     col(Deviation.closed_at).is_(None))
    questions = select(Escalation.case_id).join(EscalationRecipient, col(EscalationRecipient.escalation_id) == Escalation.id) \
        .where(col(EscalationRecipient.member_id) == member_id, col(Escalation.answered_at).is_(None))
    cases = session.exec(select(CareCase).where(
        col(CareCase.status) != CaseStatus.CLOSED,
        (col(CareCase.coordinator_id) == member_id) | (col(CareCase.fixed_care_contact_id) == member_id)
        | col(CareCase.id).in_(responsible) | col(CareCase.id).in_(participant) | col(CareCase.id).in_(unit)
        | col(CareCase.number).in_(deviations) | col(CareCase.id).in_(questions))
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


def arranged(entries: list[CaseEntry], *, part: str = "", order: str = "next") -> list[CaseEntry]:
    """The list as a nurse asks for it: only where I have one part (coordinator, responsible, …),
    and by the nearest next step (the default) or by case number. Unknown values change nothing."""
    if part in {str(r) for r in MINE}:
        entries = [e for e in entries if part in e.roles]
    return sorted(entries, key=lambda e: e.number) if order == "number" else entries


@dataclass(frozen=True)
class Question:
    """A question (escalation) raised to the member: what it was about only where the policy lets
    them read the case; the case number always, so none is lost."""
    id: int
    case_number: str
    level: str
    raised_at: dt.datetime
    answered_at: dt.datetime | None
    reason: str | None  # None: withheld (the consent does not cover the member's organisation)


def questions_to_me(session: Session, member_id: int, *, now: dt.datetime, limit: int = 100) -> list[Question]:
    """The questions raised to MAS, MAR, MLA or a manager: open ones first, then the latest answered."""
    rows = session.exec(select(Escalation, CareCase).join(CareCase, col(CareCase.id) == Escalation.case_id)
                        .join(EscalationRecipient, col(EscalationRecipient.escalation_id) == Escalation.id)
                        .where(col(EscalationRecipient.member_id) == member_id)
                        .order_by(col(Escalation.answered_at).is_not(None), col(Escalation.raised_at).desc())
                        .limit(limit)).all()
    if not rows:
        return []
    facts = case_facts_for(session, list({case.id: case for _, case in rows}.values()), now=now)
    me, today = member_facts(session, member_id), local_date(now)
    return [Question(q.id, case.number, str(q.level), q.raised_at, q.answered_at,
                     q.reason if decide(me, Purpose.READ, facts[case.id], at=now, on=today).allowed else None)
            for q, case in rows]


@dataclass(frozen=True)
class Found:
    number: str
    status: str
    opened_on: dt.date


CASE_NUMBER = re.compile(r"^K-\d{4}-\d{4,}$")


def find_cases(session: Session, actor: Actor, text: str, *, now: dt.datetime) -> list[Found]:
    """Search by case number or personnummer. The answer lists only the cases the policy lets
    the member read: an unknown number, a person nobody registered and a person whose cases are
    all closed to the member get the same empty answer. Every search is audited, with the person
    when there is one, so the log review sees who looked for whom."""
    query = text.strip().upper()
    if CASE_NUMBER.match(query):
        cases = session.exec(select(CareCase).where(col(CareCase.number) == query)).all()
        person_id = cases[0].person_id if cases else None
    else:
        number = parse_personnummer(text, today=local_date(now), record="search")
        person = session.exec(select(Person).where(col(Person.personnummer) == number.canonical)).first()
        person_id = person.id if person else None
        cases = session.exec(select(CareCase).where(col(CareCase.person_id) == person_id)
                             .order_by(col(CareCase.opened_at).desc())).all() if person else []
    audit(session, actor, "search", "case" if CASE_NUMBER.match(query) else "person",
          query if CASE_NUMBER.match(query) else "personnummer", now=now, person_id=person_id)
    if not cases or actor.member_id is None:
        return []
    facts = case_facts_for(session, cases, now=now)
    me, today = member_facts(session, actor.member_id), local_date(now)
    return [Found(c.number, str(c.status), local_date(c.opened_at)) for c in cases
            if decide(me, Purpose.READ, facts[c.id], at=now, on=today).allowed]
