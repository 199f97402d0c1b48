"""The SIP meeting: booked with the person (and guardians, or relatives as the consent allows),
then its outcome: the person's or a guardian's agreement to the plan with the patient contract,
or a refusal. A refused plan is not carried out: no action of it is dispatched until a revised
version is agreed, and the case goes back on the coordination meeting's agenda."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordination.domain import sip_meeting as rules
from coordination.domain.access import CaseFacts, Purpose
from coordination.domain.consent import why_not_valid
from coordination.domain.vocabulary import ConsentGiver, ConsentScope, ContactKind, SipAnswer
from coordination.errors import N_, RuleViolation
from coordination.domain.events import SipMeetingBooked, SipRefused
from coordination.notifications.handlers import publish
from coordination.persistence.models import CareCase, Contact, Person, Sip, SipMeeting, SipParticipant
from coordination.usecases.access import case_facts, consent_facts, decision, require
from coordination.usecases.common import Actor, audit, current_sip, is_child, referenced, row_by_id, today_of


def relatives_may_be_involved(session: Session, case: CareCase, now: dt.datetime, *,
                              facts: CaseFacts | None = None) -> bool:
    """A valid consent with the scope involve_relatives: without it relatives are neither invited
    nor told anything. `facts`: the case's policy facts at `now`, when the caller read them (they
    hold the person's consents)."""
    today = today_of(now)
    if facts is None:
        person = referenced(session, Person, case.person_id)
        consents, child = consent_facts(session, person.id), is_child(person, today)
    else:
        consents, child = list(facts.consents), facts.person_is_child
    return any(why_not_valid(c, scope=ConsentScope.INVOLVE_RELATIVES, organisations=(), on=today, at=now,
                             person_is_child=child) is None for c in consents)


def schedule(session: Session, actor: Actor, *, case: CareCase, when: dt.datetime, place: str,
             invite_guardians: bool = False, invite_relatives: bool = False, now: dt.datetime) -> int:
    record = f"case {case.number}"
    require(session, actor, Purpose.PLAN, case, now=now)
    sip = current_sip(session, case)
    child = is_child(referenced(session, Person, case.person_id), today_of(now))
    if invite_guardians and not session.exec(select(Contact.id).where(
            col(Contact.person_id) == case.person_id, col(Contact.kind) == ContactKind.GUARDIAN,
            col(Contact.may_be_involved) == True)).first():  # noqa: E712
        raise RuleViolation("no guardian may be involved", record=record, field="invite_guardians",
                            hint="hold the meeting without the guardians",
                            why=N_("No guardian may be involved: the meeting is held without them."))
    rules.check_schedule(when=when, now=now, child=child, invite_guardians=invite_guardians,
                         invite_relatives=invite_relatives,
                         relatives_consented=relatives_may_be_involved(session, case, now), place=place,
                         record=record)
    meeting = SipMeeting(case_id=case.id, sip_id=sip.id, scheduled_for=when, place=place.strip(),
                         invite_guardians=invite_guardians, invite_relatives=invite_relatives,
                         scheduled_by_id=actor.member_id, scheduled_at=now)
    session.add(meeting)
    session.flush()
    publish(session, SipMeetingBooked(case.number, meeting.id, when, _participants(session, case, sip, now=now)),
            now=now)
    audit(session, actor, "schedule", "sip_meeting", meeting.id, now=now, person_id=case.person_id)
    return meeting.id


def record_outcome(session: Session, actor: Actor, *, meeting_id: int, answer: SipAnswer,
                   answered_by: ConsentGiver, now: dt.datetime, reason: str | None = None,
                   agreement: str | None = None, agreed_time: dt.datetime | None = None,
                   child_informed: str | None = None, child_heard: str | None = None) -> str:
    """The answer to the current SIP version; returns the case number."""
    meeting = row_by_id(session, SipMeeting, meeting_id, name="SIP meeting",
                        hint="the case page lists its SIP meetings")
    case = referenced(session, CareCase, meeting.case_id)
    require(session, actor, Purpose.PLAN, case, now=now)
    sip = current_sip(session, case)
    rules.check_outcome(scheduled_for=meeting.scheduled_for, now=now, answer=answer, answered_by=answered_by,
                        child=is_child(referenced(session, Person, case.person_id), today_of(now)),
                        refusal_reason=reason, agreement=agreement, agreed_time=agreed_time,
                        has_fixed_care_contact=case.fixed_care_contact_id is not None,
                        recorded=meeting.recorded_at is not None, record=f"sip meeting {meeting_id}",
                        child_informed=child_informed, child_heard=child_heard)
    meeting.child_informed = (child_informed or "").strip() or None
    meeting.child_heard = (child_heard or "").strip() or None
    meeting.sip_id, meeting.answer, meeting.answered_by = sip.id, answer, answered_by
    meeting.recorded_by_id, meeting.recorded_at = actor.member_id, now
    if answer == SipAnswer.REFUSED:
        meeting.refusal_reason = (reason or "").strip()
        case.flagged_for_meeting = True
        session.add(case)
        publish(session, SipRefused(case.number, meeting.id, sip.version, _participants(session, case, sip, now=now)),
                now=now)
    else:
        meeting.agreement, meeting.agreed_time = (agreement or "").strip(), agreed_time
        meeting.fixed_care_contact_id = case.fixed_care_contact_id
    session.add(meeting)
    audit(session, actor, f"record_{answer}", "sip_meeting", meeting.id, now=now, person_id=case.person_id)
    return case.number


def agreement_of(session: Session, sip_id: int) -> str | None:
    """The answer to this SIP version at its latest SIP meeting: agreed, refused, or None."""
    answer = session.exec(select(SipMeeting.answer).where(
        col(SipMeeting.sip_id) == sip_id, col(SipMeeting.answer) != None)  # noqa: E711
        .order_by(col(SipMeeting.recorded_at).desc(), col(SipMeeting.id).desc())).first()
    return str(answer) if answer else None


def require_not_refused(session: Session, case: CareCase) -> None:
    """A plan the person refused is not carried out (seed 003: never against the person's will),
    nor a revision of it until the person has agreed to one."""
    answers: dict[int, str] = {}
    for version, answer in session.exec(
            select(Sip.version, SipMeeting.answer).join(Sip, col(Sip.id) == SipMeeting.sip_id)
            .where(col(Sip.case_id) == case.id, col(SipMeeting.answer) != None)  # noqa: E711
            .order_by(col(SipMeeting.recorded_at), col(SipMeeting.id))):
        answers[version] = str(answer)  # the latest answer to each version counts
    if (refused := rules.refused_version_waiting(answers)) is not None:
        raise RuleViolation(f"the person did not agree to SIP version {refused}, and has not agreed to a revised "
                            "version since", record=f"case {case.number}", field="agreement",
                            hint="revise the plan with the person and record their agreement at a SIP meeting")


def meetings_of(session: Session, case: CareCase) -> list[SipMeeting]:
    return list(session.exec(select(SipMeeting).where(col(SipMeeting.case_id) == case.id)
                             .order_by(col(SipMeeting.scheduled_for), col(SipMeeting.id))))


def _participants(session: Session, case: CareCase, sip: Sip, *, now: dt.datetime) -> tuple[tuple[int, bool], ...]:
    """The SIP's participants, each with whether the policy lets them be told about the case."""
    facts = case_facts(session, case, now=now)
    members = session.exec(select(SipParticipant.member_id).where(col(SipParticipant.sip_id) == sip.id)).all()
    return tuple((m, decision(session, m, Purpose.NOTIFY, case, now=now, facts=facts).allowed) for m in members)
