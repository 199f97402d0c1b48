"""Look-ups that raise typed errors, the actor of a use case, and the audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam, insert
from sqlmodel import Session, SQLModel, col, select

from coordination.domain import personnummer
from coordination.domain.calendar import local_date
from coordination.errors import NotFound, RuleViolation
from coordination.persistence.models import (
    AuditEvent, CareCase, Member, Organisation, Person, Sip,
)


Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class Actor:
    """Who acts: a member (by code) or a system entry point such as 'system:flow'."""

    label: str
    member_id: int | None = None


SYSTEM = Actor("system")


def acting_member(actor: Actor, *, record: str) -> int:
    """The member behind an act that records who did it (an escalation, a report): a system
    entry point has no name to put there."""
    if actor.member_id is None:
        raise RuleViolation(f"{actor.label} is not a member", record=record, field="by",
                            hint="a member does this: give their member code")
    return actor.member_id


def actor_for(session: Session, member_code: str | None, *, system: str = "system") -> Actor:
    if member_code is None:
        return Actor(system)
    member = member_by_code(session, member_code, field="by")
    return Actor(member.code, member.id)


def member_by_code(session: Session, code: str, *, field: str = "member") -> Member:
    member = session.exec(select(Member).where(col(Member.code) == code)).first()
    if member is None:
        raise NotFound(f"unknown member '{code}'", record=f"member {code}", field=field,
                       hint="use a member code from the import file (`coordination members` lists them)")
    return member


def referenced(session: Session, model: type[Row], key: Any) -> Row:
    """The row a non-null foreign key points at. The schema's constraint guarantees it, so a
    missing row is a broken database, not bad input: it fails loudly rather than as a 404."""
    row = session.get(model, key)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} is referenced but missing")
    return row


def row_by_id(session: Session, model: type[Row], row_id: int, *, name: str, hint: str) -> Row:
    """A row by its id, or NotFound naming it (`name`: 'deviation', 'SIP meeting' ...)."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"unknown {name} {row_id}", record=f"{name} {row_id}", field=name.replace("SIP ", ""),
                       hint=hint)
    return row


def organisation_by_code(session: Session, code: str, *, field: str = "organisation") -> Organisation:
    org = session.exec(select(Organisation).where(col(Organisation.code) == code)).first()
    if org is None:
        raise NotFound(f"unknown organisation '{code}'", record=f"organisation {code}", field=field,
                       hint="use an organisation code from the import file")
    return org


# built once: every case page, command and link finds its case by number, and building the
# select anew cost about as much as running it
_CASE_BY_NUMBER = select(CareCase).where(col(CareCase.number) == bindparam("number"))


def case_by_number(session: Session, number: str) -> CareCase:
    case = session.exec(_CASE_BY_NUMBER, params={"number": number}).first()
    if case is None:
        raise unknown_case(number)
    return case


def unknown_case(number: str) -> NotFound:
    return NotFound(f"unknown case '{number}'", record=f"case {number}", field="case",
                    hint="case numbers look like K-2026-0042 (`coordination cases` lists them)")


def person_by_personnummer(session: Session, text: str, *, today: dt.date) -> Person:
    number = personnummer.parse(text, today=today)
    person = session.exec(select(Person).where(col(Person.personnummer) == number.canonical)).first()
    if person is None:
        raise NotFound("no person with this personnummer is registered", record="person",
                       field="personnummer", hint="import the person first")
    return person


class HasIdentity(Protocol):
    # a Person, or a plain row of its identity columns where a bulk use case reads no entities
    personnummer: str
    birth_date: dt.date
    is_coordination_number: bool


def is_child(person: HasIdentity, on: dt.date) -> bool:
    return personnummer.IdentityNumber(person.personnummer, person.birth_date,
                                       person.is_coordination_number).is_child(on)


def age(person: Person, on: dt.date) -> int:
    return personnummer.IdentityNumber(person.personnummer, person.birth_date,
                                       person.is_coordination_number).age(on)


def today_of(now: dt.datetime) -> dt.date:
    return local_date(now)


# built once, run on the session's connection: a use case writes its audit row and never loads
# it again, and the unit of work's flush of one object cost a case page more than the INSERT
# itself (issue 22)
_AUDIT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]


def audit(session: Session, actor: Actor, action: str, record_type: str, record_id: object, *,
          now: dt.datetime, person_id: int | None = None) -> None:
    session.connection().execute(_AUDIT, dict(
        at=now, actor_id=actor.member_id, actor=actor.label, action=action, record_type=record_type,
        record_id=str(record_id), person_id=person_id, recipient_id=None))


def audit_many(session: Session, actor: Actor, action: str, record_type: str,
               records: list[tuple[object, int | None]], *, now: dt.datetime) -> None:
    """One audit row per (record id, person id), in one statement: an agenda describes thousands
    of cases, and an ORM object per row cost it more than the reads did."""
    if records:
        session.execute(insert(AuditEvent), [
            dict(at=now, actor_id=actor.member_id, actor=actor.label, action=action, record_type=record_type,
                 record_id=str(record_id), person_id=person_id) for record_id, person_id in records])


def current_sip(session: Session, case: CareCase) -> Sip:
    sip = session.exec(select(Sip).where(col(Sip.case_id) == case.id, col(Sip.current) == True)).first()  # noqa: E712
    if sip is None:
        raise RuleViolation("has no SIP yet", record=f"case {case.number}", field="sip",
                            hint="draw up the SIP first (`coordination sip create`)")
    return sip
