"""Organisations, members and persons: what an administrator imports."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordination.domain import personnummer
from coordination.domain.vocabulary import ContactKind, Placement, PlacementLaw
from coordination.errors import RuleViolation
from coordination.persistence.models import (
    Contact, Member, MemberBase, Organisation, OrganisationBase, Person,
)
from coordination.usecases.common import Actor, audit, member_by_code, organisation_by_code, referenced


def upsert_organisation(session: Session, data: OrganisationBase) -> int:
    org = session.exec(select(Organisation).where(col(Organisation.code) == data.code)).first()
    org = org or Organisation(**data.model_dump())
    org.sqlmodel_update(data.model_dump())
    session.add(org)
    session.flush()
    return org.id


def upsert_member(session: Session, data: MemberBase, *, organisation: str, manager: str | None,
                  record: str) -> int:
    org = organisation_by_code(session, organisation, field=f"{record}.organisation")
    manager_id = member_by_code(session, manager, field=f"{record}.manager").id if manager else None
    member = session.exec(select(Member).where(col(Member.code) == data.code)).first()
    member = member or Member(**data.model_dump(), organisation_id=org.id)
    member.sqlmodel_update(data.model_dump())
    member.organisation_id, member.manager_id = org.id, manager_id
    if manager_id is not None and manager_id == member.id:
        raise RuleViolation("a member cannot be their own manager", record=record, field="manager",
                            hint="name the unit manager")
    session.add(member)
    session.flush()
    return member.id


def upsert_person(session: Session, actor: Actor, *, number: str, given_name: str, family_name: str,
                  address: str | None, phone: str | None, protected_identity: bool,
                  placement: Placement | None, placement_law: PlacementLaw | None,
                  residence_hidden_from_guardians: bool, contacts: list[dict], today: dt.date,
                  now: dt.datetime, record: str) -> int:
    ident = personnummer.parse(number, today=today, record=record)
    person = session.exec(select(Person).where(col(Person.personnummer) == ident.canonical)).first()
    person = person or Person(personnummer=ident.canonical, birth_date=ident.birth_date,
                              given_name=given_name, family_name=family_name)
    person.sqlmodel_update(dict(
        is_coordination_number=ident.is_coordination_number, birth_date=ident.birth_date,
        given_name=given_name, family_name=family_name, address=address, phone=phone,
        protected_identity=protected_identity, placement=placement, placement_law=placement_law,
        residence_hidden_from_guardians=residence_hidden_from_guardians))
    if placement and not ident.is_child(today):
        raise RuleViolation("placement applies to children", record=record, field="placement",
                            hint="remove the placement or check the personnummer")
    session.add(person)
    session.flush()
    existing = {(c.kind, c.name) for c in session.exec(select(Contact).where(col(Contact.person_id) == person.id))}
    for contact in contacts:
        if (contact["kind"], contact["name"]) not in existing:
            session.add(Contact(person_id=person.id, **contact))
    if placement and not any(c["kind"] == ContactKind.SOCIAL_SECRETARY for c in contacts) and not any(
            k == ContactKind.SOCIAL_SECRETARY for k, _ in existing):
        raise RuleViolation("a placed child has the social secretary's contact details", record=record,
                            field="contacts", hint="add a contact of kind social_secretary")
    audit(session, actor, "register", "person", person.id, now=now, person_id=person.id)
    return person.id


def set_locale(session: Session, member_id: int, locale: str) -> None:
    """The member's language for pages and messages; an unknown one leaves it as it was."""
    from coordination.i18n import LOCALES

    member = referenced(session, Member, member_id)
    if locale in LOCALES:
        member.locale = locale
        session.add(member)


def list_members(session: Session) -> list[dict]:
    """Members for an administrator's listing. Notification entries are shown by name (`env:`,
    `tag:`); a URL written straight into the file shows only its scheme, never its token."""
    from coordination.persistence.models import Organisation

    rows = session.exec(select(Member, Organisation.code).join(Organisation).order_by(col(Member.code))).all()
    return [{"code": m.code, "name": m.name, "role": str(m.role), "organisation": org, "active": m.active,
             "locale": m.locale, "notify": [e if e.startswith(("env:", "tag:")) else e.split("://", 1)[0] + "://…"
                                            for e in m.notify]}
            for m, org in rows]
