"""What a registered system reads (and, narrowly, writes) through the FHIR API: the person (searched by identifier), the
SIP as a CarePlan with its CareTeam, Tasks and Consents, and all of it in one Bundle. Every
answer asks the policy (`may_system_read`) and every read is audited as the organisation's
system, so the log review shows it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordination.domain import fhir
from coordination.domain.access import may_system_read
from coordination.domain.calendar import local_date
from coordination.domain.consent import why_not_valid
from coordination.domain.personnummer import parse as parse_personnummer
from coordination.domain.vocabulary import ConsentScope
from coordination.errors import AccessDenied, InvalidInput, NotFound
from coordination.persistence.models import (
    Action, CareCase, Consent, ConsentParty, Contact, Member, Organisation, Person, Sip, SipMeeting, SipParticipant,
)
from coordination.usecases.access import case_facts, case_facts_for
from coordination.usecases.common import audit, is_child
from coordination.usecases.fhir_clients import Caller


def _organisation_of(session: Session) -> dict[int, str]:
    return dict(session.exec(select(Member.id, Organisation.code).join(Organisation)).all())


def _require(session: Session, caller: Caller, case: CareCase, *, now: dt.datetime) -> None:
    verdict = may_system_read(caller.organisation, case_facts(session, case, now=now), _organisation_of(session),
                              at=now, on=local_date(now))
    if not verdict.allowed:
        raise AccessDenied(verdict.reason, rule=verdict.rule, purpose="read", record=f"case {case.number}",
                           hint=verdict.hint, actor_label=caller.actor.label, actor_id=None, person_id=case.person_id)


def search_patients(session: Session, caller: Caller, identifier: str, *, base: str, now: dt.datetime) -> dict:
    """`identifier`: system|value, the personnummer or samordningsnummer under its OID. The
    Bundle holds the person only when the caller may read one of their cases: an unknown person
    and one the caller may not read get the same empty answer. Every search is audited."""
    system, _, value = identifier.partition("|")
    if system not in (fhir.PERSONNUMMER, fhir.SAMORDNINGSNUMMER) or not value:
        raise InvalidInput(f"'{system}' is not a Swedish personal identity system", record="Patient search",
                           field="identifier", hint=f"search as {fhir.PERSONNUMMER}|YYYYMMDDNNNN")
    digits = value.replace("-", "")
    number = parse_personnummer(f"{digits[:8]}-{digits[8:]}" if len(digits) == 12 else value,
                                today=local_date(now), record="Patient search")
    person = session.exec(select(Person).where(col(Person.personnummer) == number.canonical)).first()
    readable = []
    if person is not None:
        cases = session.exec(select(CareCase).where(col(CareCase.person_id) == person.id)).all()
        facts = case_facts_for(session, cases, now=now)
        members = _organisation_of(session)
        readable = [c for c in cases if may_system_read(caller.organisation, facts[c.id], members, at=now,
                                                        on=local_date(now)).allowed]
    audit(session, caller.actor, "search", "person", "identifier", now=now, person_id=person.id if person else None)
    if not readable or person is None:
        return fhir.bundle([], base)
    return fhir.bundle([fhir.patient(person)], base)


def care_plan(session: Session, caller: Caller, number: str, *, now: dt.datetime,
              version: int | None = None) -> dict:
    case = _case(session, number)
    _require(session, caller, case, now=now)
    sips = session.exec(select(Sip).where(col(Sip.case_id) == case.id).order_by(col(Sip.version))).all()
    sip = next((s for s in sips if (s.version == version if version else s.current)), None)
    if sip is None:
        raise NotFound("has no such SIP version" if version else "has no SIP yet", record=f"CarePlan {number}",
                       field="version", hint="read the CarePlan's _history for its versions")
    audit(session, caller.actor, "read", "careplan", f"{number} v{sip.version}", now=now, person_id=case.person_id)
    return _care_plan(session, case, sip)


def history(session: Session, caller: Caller, number: str, *, base: str, now: dt.datetime) -> dict:
    """Every version of the SIP, newest first (a history Bundle)."""
    case = _case(session, number)
    _require(session, caller, case, now=now)
    sips = session.exec(select(Sip).where(col(Sip.case_id) == case.id).order_by(col(Sip.version).desc())).all()
    audit(session, caller.actor, "read", "careplan", f"{number} history", now=now, person_id=case.person_id)
    return fhir.bundle([_care_plan(session, case, s) for s in sips], base, kind="history")


def everything(session: Session, caller: Caller, number: str, *, base: str, now: dt.datetime) -> dict:
    """The case's current CarePlan with everything it refers to: the Patient, the CareTeam, the
    Tasks, the Practitioners and Organizations, and the Consents."""
    case = _case(session, number)
    _require(session, caller, case, now=now)
    sip = session.exec(select(Sip).where(col(Sip.case_id) == case.id, col(Sip.current) == True)).first()  # noqa: E712
    if sip is None:
        raise NotFound("has no SIP yet", record=f"CarePlan {number}", field="id",
                       hint="a case's CarePlan exists once its SIP is drawn up")
    person = session.get(Person, case.person_id)
    assert person is not None  # the case's foreign key
    actions = session.exec(select(Action).where(col(Action.case_id) == case.id).order_by(col(Action.id))).all()
    team = _team(session, case, sip)
    member_ids = {m.id for _, m, _ in team} | {a.responsible_id for a in actions}
    members = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids)))}
    orgs = {o.id: o for o in session.exec(select(Organisation))}
    resources = [_care_plan(session, case, sip), fhir.patient(person),
                 fhir.care_team(case, person.id, team)]
    coordinator = members.get(case.coordinator_id) if case.coordinator_id else None
    resources += [fhir.task(a, case.number, person.id, members[a.responsible_id].code,
                            coordinator.code if coordinator else None) for a in actions]
    resources += [fhir.practitioner(m) for m in members.values()]
    resources += [fhir.organization(orgs[i]) for i in sorted({m.organisation_id for m in members.values()})]
    resources += _consents(session, person, orgs, now=now)
    participants = [m.code for _, m, _ in team]
    resources += [fhir.appointment(m, person.id, participants, length=dt.timedelta(hours=1))
                  for m in session.exec(select(SipMeeting).where(col(SipMeeting.case_id) == case.id)
                                        .order_by(col(SipMeeting.id)))]
    resources += _provenance(session, case)
    audit(session, caller.actor, "read", "careplan", f"{number} everything", now=now, person_id=person.id)
    return fhir.bundle(resources, base, matches=1)


def _provenance(session: Session, case: CareCase) -> list[dict]:
    """Who made each version of the SIP, from the audit log (its `create sip` events)."""
    from coordination.persistence.models import AuditEvent

    sips = session.exec(select(Sip).where(col(Sip.case_id) == case.id).order_by(col(Sip.version))).all()
    made = dict(session.exec(select(AuditEvent.record_id, AuditEvent.actor).where(
        col(AuditEvent.action) == "create", col(AuditEvent.record_type) == "sip",
        col(AuditEvent.record_id).in_([f"{case.number} v{s.version}" for s in sips]))).all())
    return [fhir.provenance(case.number, s.version, s.created_at, made.get(f"{case.number} v{s.version}", "system"))
            for s in sips]


def _case(session: Session, number: str) -> CareCase:
    case = session.exec(select(CareCase).where(col(CareCase.number) == number)).first()
    if case is None:
        raise NotFound("no such CarePlan", record=f"CarePlan {number}", field="id",
                       hint="find the person with POST Patient/_search, then their CarePlan")
    return case


def _care_plan(session: Session, case: CareCase, sip: Sip) -> dict:
    actions = session.exec(select(Action.id).where(col(Action.case_id) == case.id).order_by(col(Action.id))).all()
    answer = session.exec(select(SipMeeting.answer).where(col(SipMeeting.sip_id) == sip.id,
                                                          col(SipMeeting.answer).is_not(None))
                          .order_by(col(SipMeeting.id).desc())).first()
    return fhir.care_plan(case, sip, case.person_id, actions, agreed=str(answer) if answer else None)


def _team(session: Session, case: CareCase, sip: Sip) -> list[tuple[tuple[str, ...], Member, str]]:
    codes = dict(session.exec(select(Organisation.id, Organisation.code)).all())
    taking_part = session.exec(select(Member).join(SipParticipant, col(SipParticipant.member_id) == Member.id)
                               .where(col(SipParticipant.sip_id) == sip.id).order_by(col(Member.id))).all()
    def roles(member_id: int) -> tuple[str, ...]:  # one member may be coordinator and fixed care contact both
        named = tuple(role for role, holder in (("coordinator", case.coordinator_id),
                                                ("fixed_care_contact", case.fixed_care_contact_id),
                                                ("fixed_doctor", case.fixed_doctor_id)) if holder == member_id)
        return named or ("participant",)
    return [(roles(m.id), m, codes[m.organisation_id]) for m in taking_part]


def _consents(session: Session, person: Person, orgs: dict[int, Organisation], *, now: dt.datetime) -> list[dict]:
    from coordination.usecases.access import block_facts, consent_facts

    facts = {f.id: f for f in consent_facts(session, person.id)}
    blocked = [b.organisation for b in block_facts(session, person.id) if b.in_force(now)]
    child = is_child(person, local_date(now))
    out = []
    for row in session.exec(select(Consent).where(col(Consent.person_id) == person.id).order_by(col(Consent.id))):
        named = [orgs[i].code for i in session.exec(select(ConsentParty.organisation_id)
                                                    .where(col(ConsentParty.consent_id) == row.id))]
        valid = why_not_valid(facts[row.id], scope=ConsentScope.SHARE_INFORMATION, organisations=(), on=local_date(now),
                              at=now, person_is_child=child) is None
        contact = session.get(Contact, row.guardian_id) if row.guardian_id else None
        guardian = contact.name if contact else None
        out.append(fhir.consent(row, person.id, named, active=valid, guardian=guardian, blocked=blocked))
    return out


def read_task(session: Session, caller: Caller, action_id: int, *, now: dt.datetime) -> dict:
    action, case = _action(session, action_id)
    _require(session, caller, case, now=now)
    audit(session, caller.actor, "read", "task", action.id, now=now, person_id=case.person_id)
    return _task(session, action, case)


TASK_UPDATES = ("in-progress", "completed")


def update_task(session: Session, caller: Caller, action_id: int, resource: dict, *, now: dt.datetime) -> dict:
    """The owner's organisation reports an action under way (`in-progress`) or done (`completed`,
    with a note): the same act as `action done`, under the same rules. Anything else is refused
    with the element named."""
    from coordination.domain.vocabulary import ActionStatus
    from coordination.usecases.acting import complete_action

    action, case = _action(session, action_id)
    _require(session, caller, case, now=now)
    if resource.get("resourceType") != "Task" or str(resource.get("id")) != str(action_id):
        raise InvalidInput("is not this Task", record=f"Task {action_id}", field="Task.id",
                           hint="send the Task read from this address, with its id")
    owner = session.get(Member, action.responsible_id)
    if owner is None or owner.organisation_id != caller.organisation_id:
        raise AccessDenied(f"{caller.organisation} does not own Task {action_id}", rule="commission",
                           purpose="act", record=f"Task {action_id}", hint="the owner's organisation reports it",
                           actor_label=caller.actor.label, actor_id=None, person_id=case.person_id)
    status = resource.get("status")
    if status not in TASK_UPDATES:
        raise InvalidInput(f"'{status}' cannot be set here", record=f"Task {action_id}", field="Task.status",
                           hint="report in-progress or completed")
    current = _task(session, action, case)
    changed = sorted(k for k in resource if k not in ("status", "note", "meta") and resource[k] != current.get(k))
    if changed:
        raise InvalidInput(f"{', '.join(changed)} cannot be written", record=f"Task {action_id}",
                           field=f"Task.{changed[0]}", hint="only the status and a note are written back")
    if status == "completed":
        notes = resource.get("note") or []
        complete_action(session, caller.actor, action_id=action.id, now=now,
                        note=str(notes[0].get("text", "")) if notes and isinstance(notes[0], dict) else None)
    elif action.status == ActionStatus.PLANNED:
        action.status, action.assigned_at = ActionStatus.ASSIGNED, action.assigned_at or now
        session.add(action)
    elif action.status not in (ActionStatus.ASSIGNED,):
        raise InvalidInput(f"is {action.status}", record=f"Task {action_id}", field="Task.status",
                           hint="a completed or cancelled task does not go back to in-progress")
    audit(session, caller.actor, "update", "task", action.id, now=now, person_id=case.person_id)
    session.flush()
    return _task(session, action, case)


def _action(session: Session, action_id: int) -> tuple[Action, CareCase]:
    action = session.get(Action, action_id)
    case = session.get(CareCase, action.case_id) if action else None
    if action is None or case is None:
        raise NotFound("no such Task", record=f"Task {action_id}", field="id",
                       hint="read the CarePlan's $everything for its Tasks")
    return action, case


def _task(session: Session, action: Action, case: CareCase) -> dict:
    responsible = session.get(Member, action.responsible_id)
    coordinator = session.get(Member, case.coordinator_id) if case.coordinator_id else None
    return fhir.task(action, case.number, case.person_id, responsible.code if responsible else "",
                     coordinator.code if coordinator else None)
