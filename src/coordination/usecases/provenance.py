"""Why a member can see a case: each of their care relationships with it, the record it comes
from, and when it ends. The case page shows it ("why can I see this"), so a member can tell a
relationship that is theirs by the work from one that should have ended."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordination.domain.access import RELATIONSHIP_GRACE, CaseFacts, Relationship
from coordination.domain.vocabulary import ActionStatus
from coordination.persistence.models import (
    Action, CareCase, Deviation, Escalation, EscalationRecipient, Member, Sip,
)
from coordination.usecases.access import relationships
from coordination.usecases.emergency import active_until


@dataclass(frozen=True)
class Basis:
    kind: Relationship
    source: str  # what the template names: sip | case | action | sbar | team | deviation | question | emergency
    reference: str = ""  # the SIP's version, the action's, deviation's or question's number
    until: dt.datetime | None = None  # None: while the source lasts (the plan names the member)


def bases(session: Session, member_id: int, case: CareCase, *, now: dt.datetime,
          facts: CaseFacts | None = None) -> list[Basis]:
    """The member's relationships with the case at `now`, each with its source; `facts`: the
    case's policy facts at `now`, when the caller read them already."""
    kinds = (facts.relationships if facts else relationships(session, case, now=now)).get(member_id, frozenset())
    found: list[Basis] = []
    sip = session.exec(select(Sip).where(col(Sip.case_id) == case.id, col(Sip.current) == True)).first()  # noqa: E712
    version = str(sip.version) if sip else ""
    if Relationship.COORDINATOR in kinds:
        found.append(Basis(Relationship.COORDINATOR, "sip" if sip else "case", version))
    if Relationship.FIXED_CARE_CONTACT in kinds:
        found.append(Basis(Relationship.FIXED_CARE_CONTACT, "case"))
    if Relationship.SIP_PARTICIPANT in kinds:
        found.append(Basis(Relationship.SIP_PARTICIPANT, "sip", version))
    if Relationship.RESPONSIBLE in kinds:
        for action in session.exec(select(Action).where(col(Action.case_id) == case.id,
                                                        col(Action.responsible_id) == member_id)):
            if action.status in (ActionStatus.PLANNED, ActionStatus.ASSIGNED):
                found.append(Basis(Relationship.RESPONSIBLE, "action", str(action.id)))
            elif action.completed_at is not None and action.completed_at + RELATIONSHIP_GRACE > now:
                found.append(Basis(Relationship.RESPONSIBLE, "action", str(action.id),
                                   action.completed_at + RELATIONSHIP_GRACE))
    if Relationship.ASSESSOR in kinds:
        found.append(Basis(Relationship.ASSESSOR, "sbar"))
    if Relationship.PREPARING in kinds:
        found.append(Basis(Relationship.PREPARING, "team"))
    if Relationship.MANAGER in kinds:
        for deviation in session.exec(select(Deviation).where(col(Deviation.case_number) == case.number,
                                                              col(Deviation.manager_id) == member_id)):
            if deviation.closed_at is None or deviation.closed_at + RELATIONSHIP_GRACE > now:
                found.append(Basis(Relationship.MANAGER, "deviation", str(deviation.id),
                                   deviation.closed_at + RELATIONSHIP_GRACE if deviation.closed_at else None))
        staff = select(Member.id).where(col(Member.manager_id) == member_id)
        for action in session.exec(select(Action).where(
                col(Action.case_id) == case.id, col(Action.responsible_id).in_(staff),
                col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]))):
            found.append(Basis(Relationship.MANAGER, "staff_action", str(action.id)))
    if Relationship.ESCALATED_TO in kinds:
        for question in session.exec(select(Escalation).join(
                EscalationRecipient, col(EscalationRecipient.escalation_id) == Escalation.id).where(
                col(Escalation.case_id) == case.id, col(EscalationRecipient.member_id) == member_id)):
            if question.answered_at is None or question.answered_at + RELATIONSHIP_GRACE > now:
                found.append(Basis(Relationship.ESCALATED_TO, "question", str(question.id),
                                   question.answered_at + RELATIONSHIP_GRACE if question.answered_at else None))
    # emergency access is the member's own opening, not a relationship the record gives
    ends = active_until(session, member_id, case, now=now)
    if ends is not None:
        found.append(Basis(Relationship.EMERGENCY, "emergency", until=ends))
    return found
