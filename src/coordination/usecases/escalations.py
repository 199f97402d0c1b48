"""Escalation (seeds 001, 004): a question the professionals cannot resolve goes to the medically
responsible nurse (MAS), the responsible for rehabilitation (MAR) or the medically responsible
doctor (MLA); a dispute goes to the units' managers, who take it on to the county forum. The
reason is recorded, those it goes to may read the case and are told, and their answer is kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from coordination.domain.access import Purpose, Relationship
from coordination.domain.vocabulary import EscalationLevel, Role
from coordination.errors import ConsentMissing, InvalidInput, RuleViolation
from coordination.domain.events import EscalationAnswered, EscalationRaised
from coordination.notifications.handlers import publish
from coordination.persistence.models import (
    CareCase, Escalation, EscalationRecipient, Member, Sip, SipParticipant,
)
from coordination.usecases.access import case_facts, decision, require
from coordination.usecases.common import Actor, acting_member, audit, referenced, row_by_id


def escalate(session: Session, actor: Actor, *, case: CareCase, level: EscalationLevel, reason: str,
             now: dt.datetime) -> int:
    record = f"case {case.number}"
    require(session, actor, Purpose.ACT, case, now=now)
    if not reason.strip():
        raise InvalidInput("is empty", record=record, field="reason",
                           hint="say what the question or disagreement is, and what was tried")
    candidates = _recipients(session, case, level)
    facts = case_facts(session, case, now=now)
    # they read the case to answer: the consent must cover their organisation like anyone's
    allowed = [m for m in candidates if decision(session, m, Purpose.NOTIFY, case, now=now, facts=facts,
                                                 granted=[Relationship.ESCALATED_TO]).allowed]
    if not candidates:
        raise RuleViolation(f"nobody holds the role '{level}' for this case", record=record, field="level",
                            hint="an administrator adds the member, or escalate to another level")
    if not allowed:
        raise ConsentMissing(f"no valid consent covers the organisation of the {level}", record=record,
                             field="consent", hint="record a consent that names their organisation first")
    escalation = Escalation(case_id=case.id, level=level, reason=reason.strip(), raised_by_id=acting_member(actor, record=record),
                            raised_at=now)
    session.add(escalation)
    session.flush()
    for member_id in allowed:
        session.add(EscalationRecipient(escalation_id=escalation.id, member_id=member_id))
    publish(session, EscalationRaised(case.number, escalation.id, str(level), tuple(allowed)), now=now)
    audit(session, actor, "escalate", "case", f"{case.number} #{escalation.id}", now=now, person_id=case.person_id)
    return escalation.id


def answer_escalation(session: Session, actor: Actor, *, escalation_id: int, answer: str, now: dt.datetime) -> str:
    escalation = row_by_id(session, Escalation, escalation_id, name="escalation",
                           hint="the case page lists its escalations")
    record = f"escalation {escalation_id}"
    case = referenced(session, CareCase, escalation.case_id)
    require(session, actor, Purpose.READ, case, now=now)
    recipients = set(session.exec(select(EscalationRecipient.member_id)
                                  .where(col(EscalationRecipient.escalation_id) == escalation_id)))
    if actor.member_id not in recipients:
        raise RuleViolation("only those it was taken to answer it", record=record, field="answered_by",
                            hint=f"the {escalation.level} answers")
    if escalation.answered_at is not None:
        raise RuleViolation("is already answered", record=record, field="status", hint="nothing to do")
    if not answer.strip():
        raise InvalidInput("is empty", record=record, field="answer", hint="write the answer or decision")
    escalation.answer, escalation.answered_by_id, escalation.answered_at = answer.strip(), actor.member_id, now
    session.add(escalation)
    raiser = escalation.raised_by_id  # told only while the consent still covers them
    publish(session, EscalationAnswered(case.number, escalation.id, raiser,
                                        decision(session, raiser, Purpose.NOTIFY, case, now=now).allowed), now=now)
    audit(session, actor, "answer", "escalation", escalation.id, now=now, person_id=case.person_id)
    return case.number


_OF_CASE = select(Escalation).where(col(Escalation.case_id) == bindparam("case")).order_by(col(Escalation.id))


def escalations_of(session: Session, case: CareCase) -> list[tuple[Escalation, list[int]]]:
    rows = session.exec(_OF_CASE, params={"case": case.id}).all()
    recipients: dict[int, list[int]] = {e.id: [] for e in rows}
    if not recipients:  # most cases have no question: an empty IN is still a round trip
        return []
    for escalation_id, member_id in session.exec(
            select(EscalationRecipient.escalation_id, EscalationRecipient.member_id)
            .where(col(EscalationRecipient.escalation_id).in_(list(recipients)))):
        recipients[escalation_id].append(member_id)
    return [(e, recipients[e.id]) for e in rows]


def _recipients(session: Session, case: CareCase, level: EscalationLevel) -> list[int]:
    if level == EscalationLevel.MANAGERS:  # the managers of the units taking part in the plan
        participants = select(SipParticipant.member_id).join(Sip, col(Sip.id) == SipParticipant.sip_id).where(
            col(Sip.case_id) == case.id, col(Sip.current) == True)  # noqa: E712
        managers = session.exec(select(Member.manager_id).where(col(Member.id).in_(participants),
                                                                 col(Member.manager_id) != None)).all()  # noqa: E711
        return sorted(set(session.exec(select(Member.id).where(col(Member.id).in_(set(managers)),
                                                               col(Member.active) == True))))  # noqa: E712
    return list(session.exec(select(Member.id).where(
        col(Member.role) == Role(str(level)), col(Member.active) == True).order_by(col(Member.id))))  # noqa: E712
