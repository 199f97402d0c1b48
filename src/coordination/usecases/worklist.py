"""My cases: the open cases a member takes part in, as the policy lets them read each, with
the next step and its date. The start page lists them under the member's items, so a
coordinator finds their patients without an old message."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_
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


PAGE = 50  # cases a page lists: a unit manager's unit may hold thousands
CHUNK = 200  # cases whose policy facts are read at once while a page is filled


def _candidates(member_id: int, part: str):
    """The open cases where the member has a part (only `part`, when it names one), as the
    sources say: each condition is one kind of relationship, so the database narrows the list
    before the policy is asked."""
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
    sources: dict[str, list[Any]] = {
        str(Relationship.COORDINATOR): [col(CareCase.coordinator_id) == member_id],
        str(Relationship.FIXED_CARE_CONTACT): [col(CareCase.fixed_care_contact_id) == member_id],
        str(Relationship.SIP_PARTICIPANT): [col(CareCase.id).in_(participant)],
        str(Relationship.RESPONSIBLE): [col(CareCase.id).in_(responsible)],
        str(Relationship.ESCALATED_TO): [col(CareCase.id).in_(questions)],
        str(Relationship.MANAGER): [col(CareCase.id).in_(unit), col(CareCase.number).in_(deviations)],
    }
    return or_(*(sources[part] if part in sources else [c for conditions in sources.values() for c in conditions]))


def my_cases(session: Session, member_id: int, *, now: dt.datetime, part: str = "", order: str = "next",
             offset: int = 0, limit: int | None = None) -> list[CaseEntry]:
    """The member's open cases, those with the nearest next step first (`order="number"`: by
    case number), only those where they have `part` when it names one; `limit` of them from
    `offset` (all when None). A case the policy does not let the member read (a consent no
    longer covering their organisation, say) is left out, as the case page would refuse it, and
    takes no place on a page. The database orders; the policy is asked a chunk at a time, so a
    page costs the same however many cases a unit holds."""
    due = select(func.min(col(Action.due_date))).where(col(Action.case_id) == CareCase.id,
                                                  col(Action.status).in_(OPEN_ACTION)).scalar_subquery()
    follow_up = select(col(Sip.next_follow_up)).where(col(Sip.case_id) == CareCase.id,
                                                 col(Sip.current) == True).limit(1).scalar_subquery()  # noqa: E712
    # each case's two dates once, in a derived table; the order over them outside it
    dates = select(col(CareCase.id).label("id"), col(CareCase.number).label("number"), due.label("due"),
                   follow_up.label("follow_up")).where(col(CareCase.status) != CaseStatus.CLOSED,
                                                      _candidates(member_id, part)).cte("dates")
    nearest = case((dates.c.due.is_(None), dates.c.follow_up), (dates.c.follow_up.is_(None), dates.c.due),
                   (dates.c.due <= dates.c.follow_up, dates.c.due), else_=dates.c.follow_up)
    query = select(dates.c.id, dates.c.due, dates.c.follow_up)
    query = query.order_by(dates.c.number) if order == "number" else \
        query.order_by(nearest.is_(None), nearest, dates.c.number)
    rows = session.exec(query).all()
    me, today = member_facts(session, member_id), local_date(now)
    entries: list[CaseEntry] = []
    wanted = None if limit is None else offset + limit
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        ids = [case_id for case_id, _, _ in chunk]
        cases = {c.id: c for c in session.exec(select(CareCase).where(col(CareCase.id).in_(ids)))}
        facts = case_facts_for(session, list(cases.values()), now=now)
        when_needed = dict(session.exec(select(col(Action.case_id), func.count()).where(
            col(Action.case_id).in_(ids), col(Action.status).in_(OPEN_ACTION), col(Action.due_date).is_(None))
            .group_by(col(Action.case_id))).all())
        for case_id, due_date, follow_up_date in chunk:
            kinds = facts[case_id].relationships.get(member_id, frozenset())
            roles = tuple(str(k) for k in MINE if k in kinds)
            if part in {str(r) for r in MINE} and part not in roles:
                continue
            if not decide(me, Purpose.READ, facts[case_id], at=now, on=today).allowed:
                continue
            steps = [(d, step) for step, d in (("action", due_date), ("follow_up", follow_up_date)) if d is not None]
            next_date, next_step = min(steps) if steps else (None, None)
            entries.append(CaseEntry(cases[case_id].number, roles, str(cases[case_id].status), next_step, next_date,
                                     when_needed.get(case_id, 0)))
        if wanted is not None and len(entries) >= wanted:
            break
    return entries[offset:wanted]


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
