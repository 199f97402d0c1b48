"""The person's own SIP: the current plan as the person reads it (seed 000: "SIP är personens plan
och dokumentationen behöver vara tillgänglig för denne och alla aktörer"). Printed from the
workspace by someone who takes part in the plan; every print is audited. It never carries an
address, and for a protected identity nothing that locates the person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordination.domain.access import Purpose
from coordination.domain.vocabulary import ActionStatus
from coordination.persistence.models import Action, CareCase, Member, Organisation, Person
from coordination.usecases.access import require
from coordination.usecases.acting import current_sip
from coordination.usecases.common import Actor, audit, referenced
from coordination.usecases.sip_meeting import agreement_of


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    organisation: str
    phone: str | None  # the member's work number; None: reach them through the organisation


@dataclass(frozen=True)
class PlannedStep:
    what: str
    who: Contact
    handling_time: str
    due: dt.date | None
    follow_up: dt.date


@dataclass(frozen=True)
class PersonsPlan:
    case: str
    version: int
    drawn_up: dt.date
    person_name: str
    what_matters: str
    steps: tuple[PlannedStep, ...]
    coordinator: Contact
    fixed_care_contact: Contact | None
    fixed_doctor: Contact | None
    plan_b: str | None
    other_plans: tuple[str, ...]
    next_follow_up: dt.date
    relatives_support: str | None = None
    agreement: str | None = None  # agreed | refused | None (not yet asked at a SIP meeting)


def persons_plan(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime) -> PersonsPlan:
    require(session, actor, Purpose.PERSONS_PLAN, case, now=now)
    sip = current_sip(session, case)
    person = referenced(session, Person, case.person_id)
    organisations = dict(session.exec(select(Organisation.id, Organisation.name)).all())
    members: dict[int, Contact] = {}

    def contact(member_id: int) -> Contact:
        if member_id not in members:
            m = referenced(session, Member, member_id)
            members[member_id] = Contact(m.name, str(m.role), organisations[m.organisation_id], m.phone)
        return members[member_id]

    actions = session.exec(select(Action).where(
        col(Action.case_id) == case.id, col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]))
        .order_by(col(Action.due_date).is_(None), col(Action.due_date), col(Action.id))).all()
    plan = PersonsPlan(
        case=case.number, version=sip.version, drawn_up=sip.created_at.date(),
        person_name=f"{person.given_name} {person.family_name}", what_matters=sip.what_matters,
        steps=tuple(PlannedStep(a.description, contact(a.responsible_id), str(a.handling_time), a.due_date,
                                a.follow_up_date) for a in actions),
        coordinator=contact(sip.coordinator_id), fixed_care_contact=contact(case.fixed_care_contact_id) if case.fixed_care_contact_id else None,
        fixed_doctor=contact(case.fixed_doctor_id) if case.fixed_doctor_id else None, plan_b=sip.plan_b, other_plans=tuple(sip.other_plans),
        next_follow_up=sip.next_follow_up, relatives_support=sip.relatives_support,
        agreement=agreement_of(session, sip.id))
    audit(session, actor, "print", "sip", f"{case.number} v{sip.version}", now=now, person_id=person.id)
    return plan
