"""My cases: the open cases a member takes part in, as the policy lets them read each, with
the next step and its date. The start page lists them under the member's items, so a
coordinator finds their patients without an old message.

A page is found one of two ways, which give the same list:
- a member with few cases (most of them): their cases straight from the sources, ordered;
- a member with many (a unit manager of a large unit): the region's open actions and SIP
  follow-ups walked in date order along an index, keeping the member's cases, until the page is
  full. Ordering every one of a unit's cases for each page would cost a request seconds at
  region scale."""

from __future__ import annotations

import datetime as dt
import heapq
import re
from functools import lru_cache
from itertools import islice
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, tuple_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from coordination.domain.access import Purpose, Relationship, decide
from coordination.domain.calendar import local_date
from coordination.domain.vocabulary import ActionStatus, CaseStatus
from coordination.persistence.sql import among, among_parameter, rows_of
from coordination.persistence.models import (
    Action, CareCase, Deviation, Escalation, EscalationRecipient, Member, Person, Sip, SipParticipant,
)
from coordination.domain.personnummer import parse as parse_personnummer
from coordination.usecases.access import case_facts_for, member_facts
from coordination.usecases.common import Actor, audit

# the relationships that make a case "mine", in the order they are named
MINE = (Relationship.COORDINATOR, Relationship.FIXED_CARE_CONTACT, Relationship.SIP_PARTICIPANT,
        Relationship.RESPONSIBLE, Relationship.ESCALATED_TO, Relationship.MANAGER)
PARTS = frozenset(str(r) for r in MINE)
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
MANY = 5000  # source rows from which a member's cases are walked to rather than all ordered
BATCH = 1000  # rows a walk reads at once along an index, at most
FIRST_BATCH = 200  # and at first
WALK = 40  # rows a walk may read per case of the member's it found (a case has several actions)


def _sources(member_id: Any, part: str, within: Any = None) -> list[Any]:
    """One select of case ids per source of the member's part in a case (only `part`'s when it
    names one), each along an index; `within`: only the cases whose ids that select gives (a
    walk's chunk), so a source is probed per case instead of read whole."""
    def narrowed(query, case_id):
        return query if within is None else query.where(case_id.in_(within))

    responsible = narrowed(sa_select(col(Action.case_id)).where(
        col(Action.responsible_id) == member_id, col(Action.status).in_(OPEN_ACTION)), col(Action.case_id))
    participant = narrowed(sa_select(col(Sip.case_id)).join(SipParticipant, col(SipParticipant.sip_id) == Sip.id).where(
        col(Sip.current) == True, col(SipParticipant.member_id) == member_id), col(Sip.case_id))  # noqa: E712
    # a manager's: cases where a member of their unit is responsible for an open action, or an
    # open deviation went to them; MAS's, MAR's, MLA's: an unanswered question raised to them
    unit = narrowed(sa_select(col(Action.case_id)).join(Member, col(Member.id) == Action.responsible_id).where(
        col(Member.manager_id) == member_id, col(Action.status).in_(OPEN_ACTION)), col(Action.case_id))
    deviations = narrowed(sa_select(col(CareCase.id)).join(Deviation, col(Deviation.case_number) == CareCase.number)
                          .where(col(Deviation.manager_id) == member_id, col(Deviation.closed_at).is_(None)),
                          col(CareCase.id))
    questions = narrowed(sa_select(col(Escalation.case_id)).join(
        EscalationRecipient, col(EscalationRecipient.escalation_id) == Escalation.id).where(
        col(EscalationRecipient.member_id) == member_id, col(Escalation.answered_at).is_(None)), col(Escalation.case_id))
    by_part: dict[str, list[Any]] = {
        str(Relationship.COORDINATOR): [narrowed(sa_select(col(CareCase.id)).where(
            col(CareCase.coordinator_id) == member_id), col(CareCase.id))],
        str(Relationship.FIXED_CARE_CONTACT): [narrowed(sa_select(col(CareCase.id)).where(
            col(CareCase.fixed_care_contact_id) == member_id), col(CareCase.id))],
        str(Relationship.SIP_PARTICIPANT): [participant],
        str(Relationship.RESPONSIBLE): [responsible],
        str(Relationship.ESCALATED_TO): [questions],
        str(Relationship.MANAGER): [unit, deviations],
    }
    return by_part[part] if part in by_part else [s for selects in by_part.values() for s in selects]


# The statements below are built once per part (and order, and dialect) with the member and the
# ids as parameters: building the sources' union anew took a request longer than running it.
MEMBER = bindparam("member", type_=Integer)


@lru_cache(maxsize=16)
def _count_statement(part: str) -> Any:
    counted = union_all(*_sources(MEMBER, part)).limit(bindparam("many", type_=Integer)).subquery()
    return sa_select(func.count()).select_from(counted)


def _has_many(session: Session, member_id: int, part: str) -> bool:
    """Whether the member's sources hold MANY rows or more: counted no further than that."""
    return session.execute(_count_statement(part), {"member": member_id, "many": MANY}).scalar_one() >= MANY


def _all_ordered(session: Session, member_id: int, part: str, order: str, wanted: int | None = None) -> Iterator[int]:
    """The member's open cases, ordered, from their sources: each case's nearest open action
    date as the database keeps it on the case, and its current SIP's follow-up. Cheap when the
    member has few cases. `wanted`: read that many at first (most cases are readable), then twice
    as many as were read, until the caller stops asking; a start page took 51 of a nurse's
    2,200 cases and read them all."""
    if wanted is None:
        yield from (row[0] for row in session.execute(_ordered_statement(part, order), {"member": member_id}).all())
        return
    skip, size = 0, wanted
    while True:
        ids = [row[0] for row in session.execute(_paged_statement(part, order),
                                                 {"member": member_id, "size": size, "skip": skip}).all()]
        yield from ids
        if len(ids) < size:
            return
        skip, size = skip + size, (skip + size) * 2


@lru_cache(maxsize=16)
def _ordered_statement(part: str, order: str) -> Any:
    mine = (col(CareCase.status) != CaseStatus.CLOSED, col(CareCase.id).in_(union_all(*_sources(MEMBER, part))))
    if order == "number":
        return sa_select(col(CareCase.id)).where(*mine).order_by(col(CareCase.number))
    # `next_action_due` saves grouping the cases' open actions: a nurse's 2,000 open actions
    # and the cases' other 20,000 were read and grouped for each of her start pages
    due, follow_up = col(CareCase.next_action_due), col(Sip.next_follow_up)
    nearest = case((due.is_(None), follow_up), (follow_up.is_(None), due), (due <= follow_up, due), else_=follow_up)
    current_sip = (col(Sip.case_id) == CareCase.id) & (col(Sip.current) == True)  # noqa: E712
    return sa_select(col(CareCase.id)).outerjoin(Sip, current_sip).where(*mine) \
        .order_by(nearest.is_(None), nearest, col(CareCase.id))


@lru_cache(maxsize=16)
def _paged_statement(part: str, order: str) -> Any:
    return _ordered_statement(part, order).limit(bindparam("size", type_=Integer)).offset(bindparam("skip", type_=Integer))


def _keyset(session: Session, query: Any, key: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """`query`'s rows in `key` order, a batch at a time, each starting after the last key read:
    an index walk that never re-reads what it passed. The first batch is small (a page is
    often full within it), each next one twice the last, up to BATCH."""
    after: tuple[Any, ...] | None = None
    size = min(FIRST_BATCH, BATCH)
    while True:
        batch = query.order_by(*key).limit(size)
        if after is not None:
            batch = batch.where(tuple_(*key) > tuple_(*after))
        read = [tuple(row) for row in session.execute(batch)]
        yield from read
        if len(read) < size:
            return
        after, size = read[-1][:len(key)], min(size * 2, BATCH)


class _WalkTooLong(Exception):
    """A walk that cannot finish the page: it read WALK rows, or it met every dated case."""


def _walk(session: Session, member_id: int, part: str, order: str, wanted: int) -> Iterator[int]:
    """The member's open cases in order, found by walking every open case in that order and
    keeping the member's, a chunk at a time. In date order the walk merges the open actions (per
    status, along the status-date-case index) with the current SIPs' follow-ups: a case first
    met at its nearest date, so the cases come ordered by (nearest, id) as `_all_ordered` orders
    them. Gives up when it has read more than WALK rows per case it kept (the member's cases are
    sparse among all), or at the end of the dates: the caller then orders the member's cases
    instead."""
    if order == "number":
        streams: list[Iterable[tuple[Any, ...]]] = [_keyset(session, sa_select(col(CareCase.number), col(CareCase.id)).where(
            col(CareCase.status) != CaseStatus.CLOSED), (col(CareCase.number),))]
    else:
        streams = [_keyset(session, sa_select(col(Action.due_date), col(Action.case_id)).where(
            col(Action.status) == status, col(Action.due_date).is_not(None)), (col(Action.due_date), col(Action.case_id)))
            for status in OPEN_ACTION]
        streams.append(_keyset(session, sa_select(col(Sip.next_follow_up), col(Sip.case_id)).where(
            col(Sip.current) == True), (col(Sip.next_follow_up), col(Sip.case_id))))  # noqa: E712
    seen: set[int] = set()
    pending: list[int] = []
    kept, chunk = 0, min(CHUNK, wanted)
    for read, (_, case_id) in enumerate(heapq.merge(*streams) if len(streams) > 1 else streams[0], start=1):
        if case_id not in seen:
            seen.add(case_id)
            pending.append(case_id)
        if len(pending) == chunk:
            mine = _kept(session, member_id, part, pending)
            kept, pending = kept + len(mine), []
            yield from mine
            if read > WALK * kept:
                raise _WalkTooLong  # the member's cases are sparse here: a page would take long
    if pending:
        yield from _kept(session, member_id, part, pending)
    if order != "number":
        raise _WalkTooLong  # the cases with no date at all come last, and no walk meets them


def _kept(session: Session, member_id: int, part: str, ids: list[int]) -> list[int]:
    """Those of `ids` that are the member's open cases, in the order given: each source probed
    for these cases only (the ids bound once, in a CTE every source joins)."""
    statement = _kept_statement(part, session.get_bind().dialect.name)
    mine = {row[0] for row in session.execute(statement, {"member": member_id, "ids": ids})}
    return [i for i in ids if i in mine]


@lru_cache(maxsize=32)
def _kept_statement(part: str, dialect: str) -> Any:
    chunk = sa_select(col(CareCase.id)).where(among_parameter(dialect, col(CareCase.id), "ids"),
                                              col(CareCase.status) != CaseStatus.CLOSED).cte("chunk")
    return union_all(*_sources(MEMBER, part, within=sa_select(chunk.c.id)))


def my_cases(session: Session, member_id: int, *, now: dt.datetime, part: str = "", order: str = "next",
             offset: int = 0, limit: int | None = None) -> list[CaseEntry]:
    """The member's open cases, those with the nearest next step first, then by id (`order=
    "number"`: by case number), only those where they have `part` when it names one; `limit` of
    them from `offset` (all when None). A case the policy does not let the member read (a
    consent no longer covering their organisation, say) is left out, as the case page would
    refuse it, and takes no place on a page. The policy is asked a chunk at a time, so a page
    costs about the same however many cases a unit holds."""
    wanted = None if limit is None else offset + limit
    part = part if part in PARTS else ""  # any other: every part (and one statement each to cache)
    if wanted is not None and _has_many(session, member_id, part):
        try:
            return _readable(session, member_id, part, _walk(session, member_id, part, order, wanted), now, wanted)[offset:]
        except _WalkTooLong:
            pass  # a page deep into a sparse walk: ordering the member's cases is cheaper
    return _readable(session, member_id, part, _all_ordered(session, member_id, part, order, wanted), now,
                     wanted)[offset:]


def _readable(session: Session, member_id: int, part: str, ordered: Iterator[int], now: dt.datetime,
              wanted: int | None) -> list[CaseEntry]:
    """The entries of the `ordered` cases that the policy lets the member read, in order, until
    `wanted` of them (all when None). Each chunk is as many cases as the page still needs (most
    are readable), at most CHUNK."""
    me, today = member_facts(session, member_id), local_date(now)
    entries: list[CaseEntry] = []
    while wanted is None or len(entries) < wanted:
        ids = list(islice(ordered, CHUNK if wanted is None else min(CHUNK, wanted - len(entries))))
        if not ids:
            break
        # populate_existing: a case this session loaded before its actions changed holds a stale
        # `next_action_due` (the database's triggers set it, not the session)
        cases = {c.id: c for c in session.exec(select(CareCase).where(among(session, col(CareCase.id), ids))
                                               .execution_options(populate_existing=True))}
        facts = case_facts_for(session, list(cases.values()), now=now, member_id=member_id)
        # the nearest open action's date is the case's own (kept by the database); the undated
        # ones are counted along the status-date index
        undated: dict[int, int] = dict(rows_of(session, sa_select(col(Action.case_id), func.count()).where(
            among(session, col(Action.case_id), ids), col(Action.status).in_(OPEN_ACTION), col(Action.due_date).is_(None))
            .group_by(col(Action.case_id)), {}))
        follow_ups: dict[int, dt.date] = {case_id: date for case_id, date in rows_of(session, sa_select(col(Sip.case_id), col(
            Sip.next_follow_up)).where(among(session, col(Sip.case_id), ids), col(Sip.current) == True), {})}  # noqa: E712
        for case_id in ids:
            kinds = facts[case_id].relationships.get(member_id, frozenset())
            roles = tuple(str(k) for k in MINE if k in kinds)
            if part and part not in roles:
                continue
            if not decide(me, Purpose.READ, facts[case_id], at=now, on=today).allowed:
                continue
            due = cases[case_id].next_action_due
            steps = [(d, step) for step, d in (("action", due), ("follow_up", follow_ups.get(case_id))) if d is not None]
            next_date, next_step = min(steps) if steps else (None, None)
            entries.append(CaseEntry(cases[case_id].number, roles, str(cases[case_id].status), next_step, next_date,
                                     undated.get(case_id, 0)))
    return entries


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
    facts = case_facts_for(session, list({case.id: case for _, case in rows}.values()), now=now, member_id=member_id)
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
    facts = case_facts_for(session, cases, now=now, member_id=actor.member_id)
    me, today = member_facts(session, actor.member_id), local_date(now)
    return [Found(c.number, str(c.status), local_date(c.opened_at)) for c in cases
            if decide(me, Purpose.READ, facts[c.id], at=now, on=today).allowed]
