"""The log review that Swedish patient-data law requires (Patientdatalagen 4 kap. 3 §): who did
what to which record, and when, searched by person, member, case, period and kind; a list of
what a reviewer looks at first, with their marks; and the person's own log extract (logutdrag).

Audit rows are append-only (the database refuses to change or delete them), so a reviewer's
mark is a row of its own (`AuditReview`). Every look at the log is itself audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import cast

from sqlalchemy import select as select_rows
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from coordination.domain.access import LogScope, may_review_log
from coordination.errors import InvalidInput, NotFound, RuleViolation
from coordination.persistence.models import AuditEvent, AuditReview, CareCase, Member, Organisation, Person
from coordination.usecases.access import member_facts, require_verdict
from coordination.usecases.common import Actor, audit

# What counts as reading a record (the rest of a member's acts change one)
READS = frozenset({"read", "print", "compare", "review", "extract"})
KINDS = ("read", "change", "refused", "emergency")  # the search's "kind"
REFUSALS_IN_A_ROW = 3  # refusals by one member within the window below: a member trying doors
ROW_WINDOW = dt.timedelta(hours=1)
LIMIT = 500  # rows a page shows; a reviewer narrows the search for more


@dataclass(frozen=True)
class Review:
    at: dt.datetime
    reviewer: str  # member code
    note: str


@dataclass(frozen=True)
class Entry:
    """One audit event as the reviewer reads it."""
    id: int
    at: dt.datetime
    actor: str  # member code, or 'system:<entry point>'
    actor_name: str | None
    organisation: str | None  # the acting member's organisation's name
    role: str | None
    action: str
    record_type: str
    record_id: str
    personnummer: str | None
    why: str = ""  # on the review list: emergency | protected | closed_case | refusals
    review: Review | None = None


def kind_of(action: str) -> str:
    if action.startswith("refused:"):
        return "refused"
    if action == "emergency_access":
        return "emergency"
    return "read" if action in READS else "change"


def _scope(session: Session, actor: Actor, *, person_id: int | None = None) -> LogScope | None:
    """Who may review, and how much: a log reviewer all of it, a unit manager their own
    organisation's members. Refused for anyone else (and audited as a refusal)."""
    if actor.member_id is None:
        return None  # the command line's system actor: operations with the database's own access
    verdict, scope = may_review_log(member_facts(session, actor.member_id))
    require_verdict(verdict, actor, "review log", record="audit log", person_id=person_id)
    return scope


def _entries(session: Session, scope: LogScope | None, *conditions, limit: int = LIMIT,
             newest_first: bool = False) -> list[Entry]:
    actor_org = aliased(Organisation)
    reviewer = aliased(Member)
    query = (select_rows(AuditEvent, col(Person.personnummer), col(Member.name), col(Member.role),
                         col(actor_org.name), AuditReview, col(reviewer.code))
             .join(Person, col(Person.id) == AuditEvent.person_id, isouter=True)
             .join(Member, col(Member.id) == AuditEvent.actor_id, isouter=True)
             .join(actor_org, col(actor_org.id) == Member.organisation_id, isouter=True)
             .join(AuditReview, col(AuditReview.event_id) == AuditEvent.id, isouter=True)
             .join(reviewer, col(reviewer.id) == AuditReview.reviewer_id, isouter=True))
    if scope is not None and scope.organisation is not None:
        query = query.where(col(AuditEvent.actor_id).in_(select(Member.id).join(Organisation)
                                                         .where(col(Organisation.code) == scope.organisation)))
    for condition in conditions:
        query = query.where(condition)
    order = (col(AuditEvent.at).desc(), col(AuditEvent.id).desc()) if newest_first \
        else (col(AuditEvent.at), col(AuditEvent.id))
    entries = []
    for row in session.execute(query.order_by(*order).limit(limit)):
        e, mark = cast(AuditEvent, row[0]), cast(AuditReview | None, row[5])
        pnr, name, role, org, code = (cast("str | None", v) for v in (row[1], row[2], row[3], row[4], row[6]))
        entries.append(Entry(e.id, e.at, e.actor, name, org, str(role) if role else None, e.action, e.record_type,
                             e.record_id, pnr, review=Review(mark.at, code or "", mark.note) if mark else None))
    return entries


def search(session: Session, actor: Actor, *, now: dt.datetime, person: Person | None = None,
           member_id: int | None = None, case_number: str | None = None, since: dt.datetime | None = None,
           until: dt.datetime | None = None, kind: str | None = None, limit: int = LIMIT) -> list[Entry]:
    """The log by person, member, case, period and kind (read, change, refused, emergency),
    oldest first. Open to a log reviewer, or a unit manager for their own organisation's members."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"'{kind}' is not a kind of log entry", record="log search", field="kind",
                           hint="use read, change, refused or emergency")
    scope = _scope(session, actor, person_id=person.id if person else None)
    conditions = []
    if person is not None:
        conditions.append(col(AuditEvent.person_id) == person.id)
    if member_id is not None:
        conditions.append(col(AuditEvent.actor_id) == member_id)
    if case_number is not None:
        # a case's events name it, or its person within the case's time (a SIP, an action)
        case = session.exec(select(CareCase).where(col(CareCase.number) == case_number)).first()
        if case is None:
            raise NotFound("no case with this number", record=f"case {case_number}", field="case",
                           hint="write the number as on the case page, e.g. K-2026-0001")
        within = (col(AuditEvent.person_id) == case.person_id) & (col(AuditEvent.at) >= case.opened_at)
        if case.closed_at is not None:
            within &= col(AuditEvent.at) <= case.closed_at + dt.timedelta(days=1)
        conditions.append(within | (col(AuditEvent.record_id) == case_number))
    if kind == "refused":
        conditions.append(col(AuditEvent.action).startswith("refused:"))
    elif kind == "emergency":
        conditions.append(col(AuditEvent.action) == "emergency_access")
    elif kind == "read":
        conditions.append(col(AuditEvent.action).in_(READS))
    elif kind == "change":
        conditions.append(col(AuditEvent.action).not_in(READS | {"emergency_access", "notify"})
                          & ~col(AuditEvent.action).startswith("refused:"))
    if since is not None:
        conditions.append(col(AuditEvent.at) >= since)
    if until is not None:
        conditions.append(col(AuditEvent.at) < until)
    found = _entries(session, scope, *conditions, limit=limit)
    # reviewing the log is itself a read of personal data
    audit(session, actor, "review", "audit_log", person.personnummer if person else case_number or "all", now=now,
          person_id=person.id if person else None)
    return found


def list_events(session: Session, actor: Actor, *, person: Person | None, member_id: int | None,
                since: dt.datetime | None, until: dt.datetime | None, now: dt.datetime,
                limit: int = 10_000, to_review: bool = False, case_number: str | None = None,
                kind: str | None = None) -> list[tuple]:
    """The command line's rows: (at, actor, action, record type, record id, personnummer)."""
    if to_review:
        entries = [e for e in to_be_reviewed(session, actor, now=now, limit=limit)
                   if (since is None or e.at >= since) and (until is None or e.at < until)
                   and (person is None or e.personnummer == person.personnummer)]
        entries.sort(key=lambda e: (e.at, e.id))
    else:
        entries = search(session, actor, now=now, person=person, member_id=member_id, since=since, until=until,
                         limit=limit, case_number=case_number, kind=kind)
    return [(e.at, e.actor, e.action, e.record_type, e.record_id, e.personnummer) for e in entries]


def to_be_reviewed(session: Session, actor: Actor, *, now: dt.datetime, reviewed: bool = False,
                   limit: int = LIMIT) -> list[Entry]:
    """What a reviewer looks at first, newest first: every emergency access; reads of a person
    with protected identity; reads of a case after it was closed (whatever relationship remained,
    the work it served had ended); and refusals in a row (three by one member within an hour).
    `reviewed`: those already marked, instead of those still to look at."""
    scope = _scope(session, actor)
    marked = col(AuditReview.id).is_not(None) if reviewed else col(AuditReview.id).is_(None)
    protected = select(Person.id).where(col(Person.protected_identity) == True)  # noqa: E712
    closed = select(CareCase.number).where(col(CareCase.closed_at).is_not(None))
    flagged = [replace(e, why="emergency") for e in _entries(
        session, scope, marked, col(AuditEvent.action) == "emergency_access", limit=limit, newest_first=True)]
    flagged += [replace(e, why="protected") for e in _entries(
        session, scope, marked, col(AuditEvent.action).in_(READS), col(AuditEvent.person_id).in_(protected),
        limit=limit, newest_first=True)]
    after_close = _entries(session, scope, marked, col(AuditEvent.action) == "read",
                           col(AuditEvent.record_type) == "case", col(AuditEvent.record_id).in_(closed),
                           limit=limit, newest_first=True)
    if after_close:
        closed_at = dict(session.exec(select(CareCase.number, CareCase.closed_at)
                                      .where(col(CareCase.number).in_({e.record_id for e in after_close}))).all())
        flagged += [replace(e, why="closed_case") for e in after_close
                    if (at := closed_at.get(e.record_id)) is not None and e.at > at]
    refusals = _entries(session, scope, col(AuditEvent.action).startswith("refused:"), limit=10 * limit,
                        newest_first=True)
    flagged += [replace(e, why="refusals") for e in in_a_row(refusals) if (e.review is not None) == reviewed]
    unique: dict[int, Entry] = {}  # an event flagged twice (a protected read of a closed case) once
    for e in sorted(flagged, key=lambda e: (e.at, e.id), reverse=True):
        unique.setdefault(e.id, e)
    return list(unique.values())[:limit]


def in_a_row(refusals: Iterable[Entry]) -> list[Entry]:
    """The refusals that are part of a run: `REFUSALS_IN_A_ROW` or more by one member, each within
    `ROW_WINDOW` of the run's first."""
    by_member: dict[str, list[Entry]] = {}
    for entry in sorted(refusals, key=lambda e: (e.at, e.id)):
        by_member.setdefault(entry.actor, []).append(entry)
    found: list[Entry] = []
    for entries in by_member.values():
        for i, entry in enumerate(entries):
            run = [e for e in entries[i:] if e.at - entry.at <= ROW_WINDOW]
            if len(run) >= REFUSALS_IN_A_ROW:
                found += [e for e in run if e not in found]
    return found


def mark_reviewed(session: Session, actor: Actor, *, event_id: int, note: str, now: dt.datetime) -> None:
    """A reviewer marks an event looked at, saying what they found. Once: a second mark would
    overwrite the first reviewer's finding."""
    scope = _scope(session, actor)
    found = _entries(session, scope, col(AuditEvent.id) == event_id, limit=1)
    if not found:  # a unit manager's scope hides other organisations' events: not found, as for a wrong id
        raise NotFound("no log entry with this number that you may review", record=f"log entry {event_id}",
                       field="event", hint="pick the entry from the log review's list")
    if found[0].review is not None:
        raise RuleViolation(f"was already marked reviewed by {found[0].review.reviewer}",
                            record=f"log entry {event_id}", field="event", hint="the first mark stands")
    if actor.member_id is None:
        raise RuleViolation("a mark names its reviewer", record=f"log entry {event_id}", field="by",
                            hint="mark it as a member (`--by`)")
    session.add(AuditReview(event_id=event_id, reviewer_id=actor.member_id, at=now, note=note))
    audit(session, actor, "mark_reviewed", "audit_event", event_id, now=now)


@dataclass(frozen=True)
class ExtractLine:
    """One line of the person's log extract: when, which organisation, in which role, did what
    to which part of the record. No member's name or code: staff's own details stay with the
    care provider, who answers the person's questions about a line."""
    at: dt.datetime
    organisation: str | None  # None: the system itself (a scheduled run, an import)
    role: str | None
    action: str
    record_type: str


def extract(session: Session, actor: Actor, *, person: Person, now: dt.datetime) -> list[ExtractLine]:
    """The person's log extract (logutdrag): who read or changed what in their record, oldest
    first. Refusals opened nothing and messages carry no personal data, so neither is listed.
    Made by a log reviewer (all organisations) or a unit manager (their own organisation's acts)."""
    scope = _scope(session, actor, person_id=person.id)
    lines = [ExtractLine(e.at, e.organisation, e.role, e.action, e.record_type)
             for e in _entries(session, scope, col(AuditEvent.person_id) == person.id, limit=100_000)
             if kind_of(e.action) != "refused" and e.action != "notify"]
    audit(session, actor, "extract", "audit_log", person.personnummer, now=now, person_id=person.id)
    return lines
