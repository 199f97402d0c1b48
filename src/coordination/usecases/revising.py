"""Revise the SIP in full, and compare any two of its versions. A revision adds a whole version
(coordinator, participants, what matters, plan B, other plans, next follow-up); no version is
ever edited, so what each said stays readable."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from collections.abc import Sequence

from sqlalchemy import select as sa_select, update
from sqlmodel import Session, col, select

from coordination.domain.access import CaseFacts, MemberFacts, Purpose
from coordination.domain.planning import SipDraft, check_sip, require_step
from coordination.domain.sip_versions import Change, SipContent, changes, revised
from coordination.domain.vocabulary import ActionStatus, ConsentScope
from coordination.errors import InvalidInput, NotFound, RuleViolation
from coordination.persistence.models import Action, CareCase, Member, Organisation, Person, Sip, SipParticipant
from coordination.usecases.access import case_facts, decision, require
from coordination.usecases.acting import current_sip
from coordination.usecases.common import Actor, audit, is_child, member_by_code, referenced, today_of
from coordination.usecases.consent import gate
from coordination.domain.consent import sip_parties
from coordination.usecases.planning import organisation_codes, write_sip_version


def content(session: Session, sip: Sip) -> SipContent:
    participants = session.exec(select(SipParticipant.member_id).where(col(SipParticipant.sip_id) == sip.id)).all()
    # the codes of the members the plan names only: a region has thousands, and every case page
    # with a plan shows its revision form
    codes = dict(session.exec(select(Member.id, Member.code).where(
        col(Member.id).in_({sip.coordinator_id, *participants}))).all())
    return SipContent(codes[sip.coordinator_id], frozenset(codes[m] for m in participants), sip.what_matters,
                      sip.plan_b, tuple(sip.other_plans), sip.next_follow_up, sip.relatives_support)


def revise_sip(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime, coordinator: str | None = None,
               add: Sequence[str] = (), remove: Sequence[str] = (), what_matters: str | None = None,
               plan_b: str | None = None, other_plans: list[str] | None = None,
               next_follow_up: dt.date | None = None, relatives_support: str | None = None) -> Sip:
    """A new version with what was given changed. The new plan is checked like a first one
    (coordinator, two organisations, follow-up date, a seriously ill child's plan B, fixed doctor
    and fixed care contact), and the consent must cover every organisation in it."""
    record = f"case {case.number}"
    require(session, actor, Purpose.PLAN, case, now=now)
    require_step("follow_up", case.status, record=record)
    old_sip = current_sip(session, case)
    old = content(session, old_sip)
    for code in [coordinator, *add, *remove]:
        if code:
            member_by_code(session, code, field="participant")
    if coordinator is None and old.coordinator in remove:
        raise RuleViolation("the coordinator cannot leave the SIP", record=record, field="remove",
                            hint="name another coordinator in the same revision")
    if what_matters is not None and not what_matters.strip():
        raise InvalidInput("is empty", record=record, field="what_matters",
                           hint="write what is important to the person, in their words")
    new = revised(old, coordinator=coordinator, add=frozenset(add), remove=frozenset(remove),
                  what_matters=what_matters, plan_b=plan_b, other_plans=tuple(other_plans) if other_plans is not None
                  else None, next_follow_up=next_follow_up, relatives_support=relatives_support)
    if not changes(old, new):
        raise InvalidInput("changes nothing", record=record, field="revision",
                           hint="change at least one part of the plan")
    if new.participants - old.participants or new.coordinator != old.coordinator:
        # who takes part is decided by those who take part (ACT's relationships), in an organisation
        # the consent covers: an assessor or a preparing colleague may revise the text, but adding
        # a member, oneself included, would be a relationship of their own making
        require(session, actor, Purpose.ACT, case, now=now)
    members = {m.code: m for m in session.exec(select(Member).where(col(Member.code).in_(new.participants)))}
    for field, member_id in (("fixed_care_contact", case.fixed_care_contact_id),
                             ("fixed_doctor", case.fixed_doctor_id)):
        if member_id is not None and member_id not in {m.id for m in members.values()}:
            raise RuleViolation(f"the person's {field.replace('_', ' ')} cannot leave the SIP", record=record,
                                field="remove", hint=f"name another {field.replace('_', ' ')} first "
                                                     f"(`coordination case contacts --{field.replace('_', '-')}`)")
    inactive = sorted(c for c in new.participants - old.participants if not members[c].active)
    if inactive:
        raise RuleViolation(f"{', '.join(inactive)} is not active", record=record, field="participants",
                            hint="add an active member")
    leaving = {members_id for members_id in session.exec(select(Member.id).where(
        col(Member.code).in_(old.participants - new.participants)))}
    busy = session.exec(select(Action.id).where(col(Action.case_id) == case.id, col(Action.responsible_id).in_(leaving),
                                                col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]))
                        ).all()
    if busy:
        raise RuleViolation(f"a leaving participant is responsible for open action(s) {', '.join(map(str, busy))}",
                            record=record, field="remove", hint="finish or reassign those actions first")
    person = referenced(session, Person, case.person_id)
    today = today_of(now)
    orgs = organisation_codes(session, members.values())
    checked = check_sip(SipDraft(members[new.coordinator].role, tuple(m.role for m in members.values()),
                                 frozenset(orgs), new.plan_b, new.next_follow_up),
                        today=today, child=is_child(person, today), seriously_ill=case.seriously_ill,
                        fixed_care_contact_named=case.fixed_care_contact_id is not None,
                        fixed_doctor_named=case.fixed_doctor_id in {m.id for m in members.values()}, record=record)
    new = replace(new, next_follow_up=checked)
    return new_version(session, actor, case=case, old=old_sip, plan=new, members=members, orgs=orgs,
                       cause="revision", now=now)


def new_version(session: Session, actor: Actor, *, case: CareCase, old: Sip, plan: SipContent,
                members: dict[str, Member], orgs: list[str], cause: str, now: dt.datetime) -> Sip:
    """Supersede `old` with `plan`: the consent is checked again (a withdrawn or expired one stops
    the plan here), open actions are followed up on the new date, and every participant is told."""
    gate(session, case=case, scope=ConsentScope.SIP, organisations=orgs, now=now)
    gate(session, case=case, scope=ConsentScope.SHARE_INFORMATION, organisations=orgs, now=now)
    old.current, old.superseded_at = False, now
    session.add(old)
    session.flush()
    coordinator = members[plan.coordinator]
    if case.coordinator_id != coordinator.id:
        case.coordinator_id = coordinator.id
        session.add(case)
    before = set(session.exec(select(SipParticipant.member_id).where(col(SipParticipant.sip_id) == old.id)).all())
    sip = write_sip_version(session, actor, case=case, version=old.version + 1, coordinator_id=coordinator.id,
                            participant_ids=[members[c].id for c in sorted(plan.participants)],
                            what_matters=plan.what_matters, plan_b=plan.plan_b, other_plans=list(plan.other_plans),
                            next_follow_up=plan.next_follow_up, assessment_id=old.assessment_id, now=now,
                            relatives_support=plan.relatives_support,
                            cause=cause)
    for code in sorted(plan.participants):  # who added whom, line by line for the log review
        if members[code].id not in before:
            audit(session, actor, "add_participant", "sip", f"{case.number} v{sip.version} {code}", now=now,
                  person_id=case.person_id)
    session.execute(update(Action).where(col(Action.case_id) == case.id,
                                         col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]))
                    .values(follow_up_date=plan.next_follow_up))
    return sip


def compare_versions(session: Session, actor: Actor, *, case: CareCase, first: int, second: int,
                     now: dt.datetime) -> list[Change]:
    """What changed from version `first` to version `second` (either order)."""
    require(session, actor, Purpose.READ, case, now=now)
    found = {s.version: s for s in session.exec(select(Sip).where(col(Sip.case_id) == case.id,
                                                                  col(Sip.version).in_([first, second])))}
    for version in (first, second):
        if version not in found:
            known = session.exec(select(Sip.version).where(col(Sip.case_id) == case.id).order_by(col(Sip.version))).all()
            raise NotFound(f"has no SIP version {version}", record=f"case {case.number}", field="version",
                           hint=f"its versions are: {', '.join(map(str, known)) or 'none yet'}")
    audit(session, actor, "compare", "sip", f"{case.number} v{first}-v{second}", now=now, person_id=case.person_id)
    return changes(content(session, found[first]), content(session, found[second]))


def revision_form(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime,
                  facts: CaseFacts | None = None, member: MemberFacts | None = None) -> dict | None:
    """What the workspace's revision form offers the member, or None where the policy does not
    let them plan: the current plan, and the active members of the organisations the person has
    consented to (who may be added; the consent is checked again when the revision is saved).
    `facts`, `member`: the case's and the member's policy facts, when the caller read them."""
    facts = facts or case_facts(session, case, now=now)
    if actor.member_id is None or not decision(session, actor.member_id, Purpose.PLAN, case, now=now,
                                               facts=facts, member=member).allowed:
        return None
    plan = content(session, current_sip(session, case))
    # the consents the policy's facts hold already: the same rows the consent check reads
    orgs = sip_parties(facts.consents, on=today_of(now), at=now, person_is_child=facts.person_is_child)
    candidates = session.execute(sa_select(col(Member.code), col(Member.name), col(Member.role)).join(Organisation).where(
        col(Organisation.code).in_(orgs), col(Member.active) == True).order_by(col(Member.name))).all()  # noqa: E712
    return {"plan": plan, "candidates": [{"code": m.code, "name": m.name, "role": str(m.role)}
                                         for m in candidates if m.code not in plan.participants]}


def member_names(session: Session, codes) -> dict[str, dict]:
    """Members by code as the pages name them: name and role."""
    return {m.code: {"name": m.name, "role": str(m.role), "code": m.code}
            for m in session.exec(select(Member).where(col(Member.code).in_(list(codes))))}

