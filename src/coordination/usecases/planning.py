"""Assess and plan: SBAR assessments, the SIP and its versions, and sharing under consent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordination.domain import disclosure
from coordination.domain.calendar import add_working_days, is_working_day
from coordination.domain.consent import sip_parties
from coordination.domain.planning import SipDraft, check_sip, require_step
from coordination.domain.vocabulary import (
    CaseStatus, ConsentScope, HandlingTime, Perspective, Role,
)
from coordination.errors import ConsentMissing, InvalidInput, RuleViolation
from coordination.parsing import parse_enum
from coordination.domain.events import SipVersionWritten
from coordination.notifications.handlers import publish
from coordination.persistence.models import (
    Action, Assessment, CareCase, Member, Organisation, Person, Share, Sip, SipParticipant,
)
from coordination.usecases.common import (
    referenced, 
    Actor, audit, case_by_number, is_child, member_by_code, organisation_by_code, today_of,
)
from coordination.domain.access import Purpose
from coordination.usecases.access import consent_facts, require
from coordination.usecases.consent import gate


@dataclass(frozen=True)
class PlannedAction:
    description: str
    responsible_id: int
    handling_time: HandlingTime


def submit_assessment(session: Session, actor: Actor, *, case: CareCase, author: Member,
                      what_matters: str, situation: str, background: str, current_status: str,
                      recommendation: str, needs: dict[str, str], professions: list[str],
                      handling_time: str, frequency: str | None = None,
                      proposed_actions: list[dict] | None = None, plan_b: str | None = None,
                      other_plans: list[str] | None = None, follow_up_in_days: int = 28,
                      doctor_order: str | None = None, medication_list_current: bool | None = None,
                      consent_obtained: bool | None = None, seriously_ill: bool = False,
                      relatives_support_need: str | None = None, fixed_doctor: Member | None = None,
                      fixed_care_contact: Member | None = None,
                      now: dt.datetime, record: str = "assessment") -> int:
    """An SBAR handover for the case (Bilaga 2). Validated here; accepted by `accept_assessment`.
    `seriously_ill` is the assessor's finding that a child is seriously ill: it marks the case,
    and stays marked whatever a later import or assessment leaves out."""
    # writing an SBAR needs a relationship the case already gives (preparing it for the team's
    # meeting, taking part): writing one is no source of its own, or anyone could claim a case by
    # writing about it. The consent must still name and be documented in their organisation.
    require(session, actor, Purpose.PLAN, case, now=now)
    require_step("assess", case.status, record=f"case {case.number}")
    for name, text in dict(what_matters=what_matters, situation=situation, background=background,
                           current_status=current_status, recommendation=recommendation).items():
        if not (text or "").strip():
            raise InvalidInput("is empty", record=record, field=name, hint="fill in every SBAR field")
    needs = {str(parse_enum(Perspective, k, record=record, field="needs")): v for k, v in needs.items()}
    professions = [str(parse_enum(Role, p, record=record, field="professions")) for p in professions]
    handling = parse_enum(HandlingTime, handling_time, record=record, field="handling_time")
    actions = []
    for i, proposal in enumerate(proposed_actions or []):
        where = f"{record}.proposed_actions[{i}]"
        if not str(proposal.get("description", "")).strip():
            raise InvalidInput("is empty", record=where, field="description", hint="describe the action")
        if proposal.get("responsible"):
            member_by_code(session, proposal["responsible"], field=f"{where}.responsible")
        elif proposal.get("role"):
            parse_enum(Role, proposal["role"], record=where, field="role")
        else:
            raise InvalidInput("names neither a responsible member nor a role", record=where,
                               field="responsible", hint="give responsible: MEMBER or role: ROLE")
        actions.append({"description": proposal["description"], "responsible": proposal.get("responsible"),
                        "role": proposal.get("role"),
                        "handling_time": str(parse_enum(HandlingTime, proposal.get("handling_time", handling),
                                                   record=where, field="handling_time"))})
    if follow_up_in_days < 1 or follow_up_in_days > 366:
        raise InvalidInput(f"{follow_up_in_days} is out of range", record=record, field="follow_up_in_days",
                           hint="follow up within 1 to 366 days")
    if seriously_ill and not is_child(referenced(session, Person, case.person_id), today_of(now)):
        raise InvalidInput("applies to a child only", record=record, field="seriously_ill",
                           hint="the seriously ill child's SIP rules are for persons under 18; leave it out")
    assessment = Assessment(case_id=case.id, author_id=author.id, submitted_at=now,
                            what_matters=what_matters, situation=situation, background=background,
                            current_status=current_status, recommendation=recommendation, needs=needs,
                            professions=professions, handling_time=handling, frequency=frequency,
                            proposed_actions=actions, plan_b=plan_b, other_plans=other_plans or [],
                            follow_up_in_days=follow_up_in_days, doctor_order=(doctor_order or "").strip() or None,
                            medication_list_current=medication_list_current, consent_obtained=consent_obtained,
                            seriously_ill=seriously_ill,
                            relatives_support_need=(relatives_support_need or "").strip() or None)
    if fixed_doctor or fixed_care_contact:
        name_fixed_contacts(session, actor, case=case, fixed_doctor=fixed_doctor,
                            fixed_care_contact=fixed_care_contact, now=now, record=record)
    session.add(assessment)
    if seriously_ill and not case.seriously_ill:
        case.seriously_ill = True
        session.add(case)
    session.flush()
    audit(session, actor, "submit", "assessment", assessment.id, now=now, person_id=case.person_id)
    return assessment.id


def name_fixed_contacts(session: Session, actor: Actor, *, case: CareCase, fixed_doctor: Member | None = None,
                        fixed_care_contact: Member | None = None, now: dt.datetime, record: str | None = None) -> None:
    """Name the person's fixed doctor (a doctor, by name: a seriously ill child has one) and
    fixed care contact. Once a SIP exists they must already take part in it: revise the SIP to
    add them first, so the plan and the case never disagree."""
    record = record or f"case {case.number}"
    require(session, actor, Purpose.PLAN, case, now=now)
    if actor.member_id in {m.id for m in (fixed_doctor, fixed_care_contact) if m is not None}:
        # naming oneself is a relationship of one's own making: only for a member who already takes part
        require(session, actor, Purpose.ACT, case, now=now)
    for field, member in (("fixed_doctor", fixed_doctor), ("fixed_care_contact", fixed_care_contact)):
        if member is None:
            continue
        if not member.active:
            raise RuleViolation(f"{member.code} is not active", record=record, field=field,
                                hint="name an active member")
        if field == "fixed_doctor" and member.role != Role.DOCTOR:
            raise RuleViolation(f"{member.code} is a {member.role}, not a doctor", record=record, field=field,
                                hint="name a member with the role doctor")
    current = session.exec(select(Sip.id).where(col(Sip.case_id) == case.id, col(Sip.current) == True)).first()  # noqa: E712
    if current is not None:
        taking_part = set(session.exec(select(SipParticipant.member_id).where(col(SipParticipant.sip_id) == current)))
        for field, member in (("fixed_doctor", fixed_doctor), ("fixed_care_contact", fixed_care_contact)):
            if member is not None and member.id not in taking_part:
                raise RuleViolation(f"{member.code} does not take part in the SIP", record=record, field=field,
                                    hint="revise the SIP to add them first (`coordination sip revise --add`)")
    if fixed_doctor is not None:
        case.fixed_doctor_id = fixed_doctor.id
    if fixed_care_contact is not None:
        case.fixed_care_contact_id = fixed_care_contact.id
    session.add(case)
    audit(session, actor, "name_contacts", "case", case.number, now=now, person_id=case.person_id)


def sbar(assessment: Assessment) -> dict:
    """The SBAR handover as the pages show it (Bilaga 2), for a reader the policy lets see it."""
    return {"what_matters": assessment.what_matters, "S": assessment.situation, "B": assessment.background,
            "A": assessment.current_status, "R": assessment.recommendation,
            "handling_time": str(assessment.handling_time), "doctor_order": assessment.doctor_order,
            "medication_list_current": assessment.medication_list_current,
            "consent_obtained": assessment.consent_obtained, "seriously_ill": assessment.seriously_ill,
            "relatives_support_need": assessment.relatives_support_need}


def accept_assessment(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime) -> int | None:
    """Take the newest submitted SBAR as the case's assessment. Consent to share it between the
    author's organisation and the others is checked by the caller's plan step."""
    require(session, actor, Purpose.PLAN, case, now=now)  # before anything about the case is told
    require_step("assess", case.status, record=f"case {case.number}")
    assessment = _latest_assessment(session, case.id, accepted=False)
    if assessment is None:
        return None
    assessment.accepted_at = now
    session.add(assessment)
    if case.status == CaseStatus.CONSENTED:
        case.status = CaseStatus.ASSESSED
        session.add(case)
    audit(session, actor, "accept", "assessment", assessment.id, now=now, person_id=case.person_id)
    return assessment.id


def plan_from_assessment(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime) -> int:
    """Draw up the first SIP from the accepted assessment: participants by the professions
    needed, from the organisations the person consented to; returns the SIP id."""
    record = f"case {case.number}"
    require(session, actor, Purpose.PLAN, case, now=now)  # before anything about the case is told
    require_step("plan", case.status, record=record)
    assessment = _latest_assessment(session, case.id, accepted=True)
    if assessment is None:
        raise RuleViolation("has no accepted assessment", record=record, field="assessment",
                            hint="submit an SBAR assessment first (`coordination assess`)")
    person = referenced(session, Person, case.person_id)
    today = today_of(now)
    parties = consented_organisations(session, person, now)
    author = referenced(session, Member, assessment.author_id)
    coordinator = referenced(session, Member, case.coordinator_id) if case.coordinator_id else author
    candidates = session.exec(select(Member).join(Organisation).where(
        col(Organisation.code).in_(parties), col(Member.active) == True)  # noqa: E712
        .order_by(col(Member.id))).all()
    by_id = {m.id: m for m in candidates}
    chosen = [coordinator.id]
    for role in assessment.professions:
        match = next((m for m in candidates if m.role == role and m.id not in chosen), None)
        if match is None:
            raise RuleViolation(f"no active member with role '{role}' in the consented organisations",
                                record=record, field="professions",
                                hint="add such a member or a consent that names their organisation")
        chosen.append(match.id)
    by_id[coordinator.id] = coordinator
    actions = []
    for proposal in assessment.proposed_actions:
        responsible: Member | None
        if proposal.get("responsible"):
            responsible = member_by_code(session, proposal["responsible"], field="responsible")
        else:
            responsible = next((by_id[m] for m in chosen if by_id[m].role == proposal["role"]), None)
            if responsible is None:
                raise RuleViolation(f"no participant has the role '{proposal['role']}'", record=record,
                                    field="proposed_actions", hint="add that profession to the assessment")
        if responsible.id not in chosen:
            chosen.append(responsible.id)
            by_id[responsible.id] = responsible
        actions.append(PlannedAction(proposal["description"], responsible.id,
                                     HandlingTime(proposal["handling_time"])))
    next_follow_up = first_working_day_from(today + dt.timedelta(days=assessment.follow_up_in_days))
    return create_sip(session, actor, case=case, coordinator=coordinator, participants=[by_id[m] for m in chosen],
                      plan_b=assessment.plan_b, other_plans=assessment.other_plans,
                      what_matters=assessment.what_matters, next_follow_up=next_follow_up, actions=actions,
                      relatives_support=assessment.relatives_support_need,
                      assessment_id=assessment.id, now=now)


def create_sip(session: Session, actor: Actor, *, case: CareCase, coordinator: Member,
               participants: list[Member], plan_b: str | None, other_plans: list[str],
               what_matters: str, next_follow_up: dt.date | None, actions: list[PlannedAction],
               assessment_id: int | None, now: dt.datetime, relatives_support: str | None = None) -> int:
    """SIP version 1. Refused unless a valid consent covers a SIP and sharing between every
    participating organisation: a SIP is never drawn up against the person's will."""
    record = f"case {case.number}"
    named = [referenced(session, Member, i) for i in (case.fixed_doctor_id, case.fixed_care_contact_id) if i]
    members = {m.id: m for m in [coordinator, *participants, *named]}  # the fixed contacts take part
    # drawing up the SIP is planning, by a member the case already relates to: naming oneself
    # in the plan is no source of a relationship
    require(session, actor, Purpose.PLAN, case, now=now)
    require_step("plan", case.status, record=record)
    person = referenced(session, Person, case.person_id)
    today = today_of(now)
    org_codes = organisation_codes(session, members.values())
    # checked before any default is assigned: a seriously ill child's contacts are named, not guessed
    next_follow_up = check_sip(SipDraft(coordinator.role, tuple(m.role for m in members.values()), frozenset(org_codes),
                       plan_b, next_follow_up),
              today=today, child=is_child(person, today), seriously_ill=case.seriously_ill,
              fixed_care_contact_named=case.fixed_care_contact_id is not None,
              fixed_doctor_named=case.fixed_doctor_id is not None, record=record)
    gate(session, case=case, scope=ConsentScope.SIP, organisations=org_codes, now=now)
    gate(session, case=case, scope=ConsentScope.SHARE_INFORMATION, organisations=org_codes, now=now)
    if not case.fixed_care_contact_id:  # everyone has one (HSL): the plan's nurse, else its coordinator
        nurse = next((m for m in members.values() if m.role in (Role.NURSE, Role.DISTRICT_NURSE)), None)
        case.fixed_care_contact_id = (nurse or coordinator).id
    case.coordinator_id = coordinator.id
    case.status = CaseStatus.PLANNED
    case.flagged_for_meeting = False
    session.add(case)
    sip = write_sip_version(session, actor, case=case, version=1, coordinator_id=coordinator.id,
                            participant_ids=list(members), what_matters=what_matters, plan_b=plan_b,
                            other_plans=other_plans, next_follow_up=next_follow_up,
                            assessment_id=assessment_id, now=now, relatives_support=relatives_support)
    for planned in actions:
        session.add(Action(case_id=case.id, sip_id=sip.id, description=planned.description,
                           responsible_id=planned.responsible_id, handling_time=planned.handling_time,
                           follow_up_date=next_follow_up, created_at=now))
    return sip.id


def write_sip_version(session: Session, actor: Actor, *, case: CareCase, version: int, coordinator_id: int,
                      participant_ids: list[int], what_matters: str, plan_b: str | None,
                      other_plans: list[str], next_follow_up: dt.date, assessment_id: int | None,
                      now: dt.datetime, cause: str | None = None, relatives_support: str | None = None) -> Sip:
    """Add a SIP version (never overwrite one) and tell each participant. `cause`: why a later
    version was written, 'follow_up' or 'revision'."""
    sip = Sip(case_id=case.id, version=version, coordinator_id=coordinator_id, what_matters=what_matters,
              plan_b=plan_b, other_plans=other_plans, next_follow_up=next_follow_up,
              assessment_id=assessment_id, created_at=now, created_by_id=actor.member_id,
              relatives_support=(relatives_support or "").strip() or None)
    session.add(sip)
    session.flush()
    participants = tuple(dict.fromkeys(participant_ids))
    for member_id in participants:
        session.add(SipParticipant(sip_id=sip.id, member_id=member_id))
    publish(session, SipVersionWritten(case.number, sip.id, version, referenced(session, Member, coordinator_id).role,
                                       next_follow_up, participants, cause), now=now)
    audit(session, actor, "create", "sip", f"{case.number} v{version}", now=now, person_id=case.person_id)
    return sip


def share_information(session: Session, actor: Actor, *, case_number: str, from_org: str, to_org: str,
                      now: dt.datetime) -> tuple[int, disclosure.PersonView, list[str]]:
    """Hand the case over to another organisation: gated by consent, logged, and with a
    protected identity's contact details withheld. Returns the share id and what may be shown."""
    case = case_by_number(session, case_number)
    if actor.member_id is None:
        raise RuleViolation("a handover is made by a member", record=f"case {case_number}", field="by",
                            hint="give --by MEMBER")
    source = organisation_by_code(session, from_org, field="from")
    target = organisation_by_code(session, to_org, field="to")
    require(session, actor, Purpose.HANDOVER, case, now=now, source_organisation=source.code,
            other_organisations=[target.code])
    consent = gate(session, case=case, scope=ConsentScope.SHARE_INFORMATION,
                   organisations=[source.code, target.code], now=now)
    share = Share(case_id=case.id, from_organisation_id=source.id, to_organisation_id=target.id,
                  consent_id=consent.id, by_id=actor.member_id, at=now)
    session.add(share)
    session.flush()
    person = referenced(session, Person, case.person_id)
    view = disclosure.shareable(disclosure.PersonView(
        person.personnummer, f"{person.given_name} {person.family_name}", person.address, person.phone,
        person.protected_identity, person.residence_hidden_from_guardians))
    audit(session, actor, "share", "case", case.number, now=now, person_id=person.id)
    return share.id, view, disclosure.warnings(view)


def first_working_day_from(day: dt.date) -> dt.date:
    return day if is_working_day(day) else add_working_days(day, 1)


def consented_organisations(session: Session, person: Person, now: dt.datetime) -> set[str]:
    today = today_of(now)
    return sip_parties(consent_facts(session, person.id), on=today, at=now, person_is_child=is_child(person, today))


def organisation_codes(session: Session, members) -> list[str]:
    ids = {m.organisation_id for m in members}
    return sorted(session.exec(select(Organisation.code).where(col(Organisation.id).in_(ids))).all())


def _latest_assessment(session: Session, case_id: int, *, accepted: bool) -> Assessment | None:
    query = select(Assessment).where(col(Assessment.case_id) == case_id)
    query = query.where(col(Assessment.accepted_at) != None) if accepted else query.where(  # noqa: E711
        col(Assessment.accepted_at) == None)  # noqa: E711
    return session.exec(query.order_by(col(Assessment.id).desc())).first()


def check_plan_consent(session: Session, *, case: CareCase, now: dt.datetime) -> int:
    """How many organisations a valid SIP consent names and has documented; ConsentMissing
    (with the reason of the closest consent) if fewer than two."""
    person = referenced(session, Person, case.person_id)
    parties = consented_organisations(session, person, now)
    if len(parties) < 2:
        named = set().union(*(f.parties for f in consent_facts(session, person.id)))
        gate(session, case=case, scope=ConsentScope.SIP, organisations=sorted(named), now=now)
        raise ConsentMissing("no consent documented by two organisations", record=f"case {case.number}",
                             field="consent", hint="document the consent in each organisation's record")
    return len(parties)
