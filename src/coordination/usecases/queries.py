"""Read models: totals for summaries and the case record view."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, select as sa_select
from sqlmodel import Session, col, select

from coordination.persistence.models import (
    Action, Assessment, CareCase, Contact, Deviation, FollowUp, Member, ReturnReport, Sip,
    SipMeeting, SipParticipant,
)
from coordination.domain import access as policy
from coordination.domain import disclosure
from coordination.domain.access import Purpose
from coordination.persistence.models import Organisation
from coordination.usecases.access import ReadersCase, case_for_reader, require
from coordination.persistence.sql import among_parameter
from coordination.usecases.common import Actor, audit
from coordination.usecases import escalations, sip_meeting
from coordination.usecases.planning import sbar


def list_cases(session: Session) -> list[tuple[str, str, bool]]:
    rows = session.exec(select(CareCase.number, CareCase.status, CareCase.flagged_for_meeting)
                        .order_by(col(CareCase.number))).all()
    return [(n, str(s), f) for n, s, f in rows]


def case_record(session: Session, actor: Actor, number: str, *, now: dt.datetime,
                reading: ReadersCase | None = None) -> dict:
    """The full record of one case for a member's screen. Holds personal data: for the CLI
    inside the coordination boundary only; reading it is audited. `reading`: the case as
    `case_for_reader` opened it for this actor at `now`, when the caller did (the case page asks
    the policy thrice)."""
    if reading is None or reading.case.number != number or \
            (reading.member.id if reading.member else None) != actor.member_id:
        reading = case_for_reader(session, actor.member_id, now=now, number=number)
    case, person, facts, me = reading.case, reading.person, reading.facts, reading.member
    require(session, actor, Purpose.READ, case, now=now, facts=facts, member=me)
    reader = me.organisation if me else None

    # plain rows, not entities, for what the record only shows: loading an entity cost the case
    # page more than reading its row (issue 22). Each SIP version with its participants, at once.
    sips: list = []
    taking_part: dict[int, list[int]] = {}
    statements = _record_statements(session.get_bind().dialect.name)
    of_case = {"case": case.id}
    for sip in _rows(session, statements["sips"], of_case):
        if sip.id not in taking_part:
            sips.append(sip)
            taking_part[sip.id] = []
        if sip.participant is not None:
            taking_part[sip.id].append(sip.participant)
    current = next((s for s in sips if s.current), None)
    assessment = next(iter(_rows(session, statements["assessment"], of_case)), None)
    actions = _rows(session, statements["actions"], of_case)
    follow_ups = _rows(session, statements["follow_ups"], of_case)
    meetings = _rows(session, statements["meetings"], of_case)
    questions = escalations.escalations_of(session, case)
    deviations = _rows(session, statements["deviations"], {"number": case.number})
    # the members the record names, not all of them: a region has thousands, and reading each
    # cost a case page more than its own rows
    named = {case.coordinator_id, case.fixed_care_contact_id, assessment.author_id if assessment else None,
             *(s.coordinator_id for s in sips), *(m for ids in taking_part.values() for m in ids),
             *(m for a in actions for m in (a.responsible_id, a.completed_by_id)),
             *(f.recorded_by_id for f in follow_ups), *(m.fixed_care_contact_id for m in meetings),
             *(m for e, to in questions for m in (e.raised_by_id, e.answered_by_id, *to)),
             *(d.responsible_id for d in deviations)} - {None}
    members = {m.id: m for m in _rows(session, statements["members"], {"members": list(named)})}

    def closed_to_reader(author_id: int) -> bool:
        # a block (spärr) closes the author's organisation's information to the other organisations
        source = members[author_id].organisation
        return reader is not None and source != reader and policy.blocked(facts.blocks, source, at=now)

    def who(member_id):
        m = members.get(member_id)
        return {"name": m.name, "role": str(m.role), "code": m.code} if m else None

    audit(session, actor, "read", "case", case.number, now=now, person_id=person.id)
    view = disclosure.PersonView(person.personnummer, f"{person.given_name} {person.family_name}", person.address,
                                 person.phone, person.protected_identity, person.residence_hidden_from_guardians)

    def sip_view(sip) -> dict:
        return {"version": sip.version, "created_at": sip.created_at.isoformat(),
                "next_follow_up": sip.next_follow_up.isoformat(), "coordinator": who(sip.coordinator_id),
                "what_matters": sip.what_matters, "plan_b": sip.plan_b, "other_plans": sip.other_plans,
                "relatives_support": sip.relatives_support,
                "participants": [who(m) for m in sorted(taking_part[sip.id])]}  # each version whole

    return {
        "case": case.number, "status": str(case.status), "reasons": case.reasons,
        "initiated_by": str(case.initiated_by) if case.initiated_by else None,
        "seriously_ill": case.seriously_ill,
        "flagged_for_meeting": case.flagged_for_meeting,
        "person": f"{view.name}, {view.personnummer}" + (" [PROTECTED IDENTITY]" if view.protected_identity else ""),
        "contact": {"address": disclosure.shareable(view).address, "phone": disclosure.shareable(view).phone},
        "warnings": disclosure.warnings(view), "protected_identity": view.protected_identity,
        "residence_hidden_from_guardians": view.residence_hidden_from_guardians,
        # the placed child's: where and under which law, and who is around the person (guardians
        # with whether they may be involved, the social secretary, carers, relatives)
        "placement": str(person.placement) if person.placement else None,
        "placement_law": str(person.placement_law) if person.placement_law else None,
        # a protected identity's contacts keep their numbers to themselves: a carer's would locate the person
        "contacts": [{"kind": str(c.kind), "name": c.name, "phone": None if view.protected_identity else c.phone,
                      "may_be_involved": c.may_be_involved}
                     for c in _rows(session, statements["contacts"], {"person": person.id})],
        "coordinator": who(case.coordinator_id), "fixed_care_contact": who(case.fixed_care_contact_id),
        "blocks": [f"#{b.id} {b.organisation}'s information closed to the others since {b.placed_at:%Y-%m-%d}"
                   for b in facts.blocks if b.in_force(now)],
        "consents": [{"id": c.id, "scopes": list(c.scopes), "given_by": str(c.given_by), "form": str(c.form),
                      "both_guardians": c.second_guardian_id is not None,
                      "sole_guardian_reason": c.sole_guardian_reason,
                      "valid_from": c.valid_from.isoformat(),
                      "valid_until": c.valid_until.isoformat() if c.valid_until else None,
                      "withdrawn": c.withdrawn_at is not None}
                     for c in reading.consents],
        "assessment": None if assessment is None else {"withheld": "blocked by the person"}
        if closed_to_reader(assessment.author_id) else sbar(assessment) | {"author": who(assessment.author_id)},
        "sip": None if current is None else sip_view(current) | {
            "earlier_versions": [sip_view(s) for s in reversed(sips) if not s.current]},
        "actions": [{"id": a.id, "status": str(a.status), "description": a.description,
                     "responsible": who(a.responsible_id), "responsible_id": a.responsible_id,
                     "handling_time": str(a.handling_time),
                     "due_date": a.due_date.isoformat() if a.due_date else None,
                     "follow_up_date": a.follow_up_date.isoformat(), "note": a.completion_note,
                     "completed_at": a.completed_at, "completed_by": who(a.completed_by_id)}
                    for a in actions],
        "follow_ups": [{"id": f.id, "recorded_at": f.recorded_at.isoformat(), "outcome": f.outcome,
                        "needs_remain": f.needs_remain,
                        "next_follow_up": f.next_follow_up.isoformat() if f.next_follow_up else None,
                        "person_verdict": str(f.person_verdict) if f.person_verdict else None,
                        "by": who(f.recorded_by_id)}
                       for f in follow_ups],
        "sip_meetings": [{"id": m.id, "scheduled_for": m.scheduled_for, "place": m.place,
                          "invite_guardians": m.invite_guardians, "invite_relatives": m.invite_relatives,
                          "version": next((v.version for v in sips if v.id == m.sip_id), None),
                          "answer": str(m.answer) if m.answer else None,
                          "answered_by": str(m.answered_by) if m.answered_by else None,
                          "refusal_reason": m.refusal_reason, "agreement": m.agreement,
                          "fixed_care_contact": who(m.fixed_care_contact_id), "agreed_time": m.agreed_time,
                          "child_informed": m.child_informed, "child_heard": m.child_heard}
                         for m in meetings],
        "escalations": [{"id": e.id, "level": str(e.level), "reason": e.reason, "raised_by": who(e.raised_by_id),
                         "raised_at": e.raised_at, "answer": e.answer, "answered_by": who(e.answered_by_id),
                         "answered_at": e.answered_at, "to": [who(m) for m in recipients],
                         "may_answer": e.answered_at is None and actor.member_id in recipients}
                        for e, recipients in questions],
        "deviations": [{"id": d.id, "kind": d.item_kind, "item_id": d.item_id, "due_date": d.due_date,
                        "description": d.description, "detected_at": d.detected_at,
                        "responsible": who(d.responsible_id), "closed_at": d.closed_at,
                        "closing_note": d.closing_note}
                       for d in deviations],
        "child": facts.person_is_child,
        "relatives_may_be_involved": sip_meeting.relatives_may_be_involved(session, case, now, facts=facts),
        "return_reports": [{"reported_on": r.reported_on.isoformat(), "name": r.reporter_name,
                            "profession": r.profession, "text": r.text}
                           for r in _rows(session, statements["return_reports"], of_case)],
    }


def _table(model) -> Any:
    return model.__table__


@lru_cache(maxsize=4)
def _record_statements(dialect: str) -> dict[str, Any]:
    """The record's reads, built once per dialect with the case, its number, the person and the
    members as parameters: building a dozen selects anew (their clauses and cache keys) took a
    case page longer than sending them (issue 22)."""
    sip, case_id = _table(Sip), bindparam("case", type_=Integer)

    def of_case(model, *order) -> Any:
        return sa_select(_table(model)).where(_table(model).c.case_id == case_id).order_by(*order)

    return {
        # each SIP version with its participants, at once
        "sips": sa_select(sip, col(SipParticipant.member_id).label("participant"))
        .outerjoin(SipParticipant, col(SipParticipant.sip_id) == sip.c.id)
        .where(sip.c.case_id == case_id).order_by(sip.c.version, col(SipParticipant.member_id)),
        "assessment": of_case(Assessment, col(Assessment.id).desc()).limit(1),
        "actions": of_case(Action, col(Action.id)),
        "follow_ups": of_case(FollowUp, col(FollowUp.id)),
        "meetings": of_case(SipMeeting, col(SipMeeting.scheduled_for), col(SipMeeting.id)),
        "return_reports": of_case(ReturnReport, col(ReturnReport.id)),
        "deviations": sa_select(_table(Deviation)).where(col(Deviation.case_number) == bindparam("number"))
        .order_by(col(Deviation.id)),
        "contacts": sa_select(_table(Contact)).where(col(Contact.person_id) == bindparam("person", type_=Integer))
        .order_by(col(Contact.kind), col(Contact.id)),
        # the members the record names, not all of them
        "members": sa_select(col(Member.id), col(Member.name), col(Member.role), col(Member.code),
                             col(Organisation.code).label("organisation"))
        .join(Organisation, col(Organisation.id) == Member.organisation_id)
        .where(among_parameter(dialect, col(Member.id), "members")),
    }


def _rows(session: Session, statement, parameters: dict[str, Any] | None = None) -> list:
    """A read's rows on the session's connection, past the ORM and its autoflush: no change the
    session may hold unflushed (the read's own audit row) touches the rows the record shows."""
    return list(session.connection().execute(statement, parameters or {}).all())


def sip_versions(session: Session, case: CareCase) -> list[int]:
    """The numbers of the case's SIP versions, oldest first (no content: for choosing two to compare)."""
    return list(session.exec(select(Sip.version).where(col(Sip.case_id) == case.id).order_by(col(Sip.version))))

