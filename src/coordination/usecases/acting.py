"""Act: actions with a responsible member, a handling time and a follow-up date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from coordination.domain.calendar import due_date
from coordination.domain.planning import check_follow_up_date, require_step
from coordination.domain.vocabulary import ActionStatus, CaseStatus, HandlingTime
from coordination.errors import NotFound, RuleViolation
from coordination.domain.events import ActionAssigned
from coordination.notifications.handlers import publish
from coordination.persistence.models import Action, CareCase, Member, Sip
from coordination.domain.access import Purpose, Relationship
from coordination.usecases.access import case_facts, require, require_member
from coordination.usecases.common import Actor, audit, current_sip, referenced, today_of  # noqa: F401  (current_sip: used from here too)
from coordination.usecases.sip_meeting import require_not_refused


def add_action(session: Session, actor: Actor, *, case: CareCase, responsible: Member, description: str,
               handling_time: HandlingTime, follow_up_date: dt.date | None, now: dt.datetime,
               purpose: Purpose = Purpose.ACT, facts=None) -> int:
    """A decided action, dispatched at once. The coordination meeting decides actions as part of
    planning (`purpose` PLAN, with the team in `facts`), also for an identified person with
    consent before any SIP: such an action needs its own follow-up date."""
    record = f"case {case.number}"
    facts = facts or case_facts(session, case, now=now)
    require(session, actor, purpose, case, now=now, facts=facts)
    # the responsible member will be told: their organisation must be covered, checked before any write
    require_member(session, responsible.id, Purpose.NOTIFY, case, now=now, actor=actor, facts=facts,
                   granted=[Relationship.RESPONSIBLE])
    require_step("decide_action", case.status, record=record)
    if not description.strip():
        raise RuleViolation("an action needs a description", record=record, field="description",
                            hint="say what is to be done")
    sip = session.exec(select(Sip).where(col(Sip.case_id) == case.id, col(Sip.current) == True)).first()  # noqa: E712
    if sip is not None:  # refused before anything is written, not rolled back after
        require_not_refused(session, case)
    if follow_up_date is None:
        if sip is None:
            raise RuleViolation("an action decided before the SIP needs its own follow-up date", record=record,
                                field="follow_up_date", hint="give the date the action is followed up")
        follow_up_date = sip.next_follow_up
    check_follow_up_date(follow_up_date, today=today_of(now), record=record, field="follow_up_date")
    action = Action(case_id=case.id, sip_id=sip.id if sip else None, description=description.strip(),
                    responsible_id=responsible.id, handling_time=handling_time, follow_up_date=follow_up_date,
                    created_at=now)
    session.add(action)
    session.flush()
    audit(session, actor, "add", "action", action.id, now=now, person_id=case.person_id)
    if sip is None:
        _assign(session, actor, case, [action], now=now, facts=facts)
    else:
        dispatch_actions(session, actor, case=case, now=now)
    return action.id


def dispatch_actions(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime) -> int:
    """Give every planned action of the case its due date from the handling time and tell the
    responsible member. Returns the number dispatched; running it again dispatches nothing."""
    require_step("act", case.status, record=f"case {case.number}")
    require_not_refused(session, case)
    planned = session.exec(select(Action).where(col(Action.case_id) == case.id,
                                                col(Action.status) == ActionStatus.PLANNED)
                           .order_by(col(Action.id))).all()
    _assign(session, actor, case, planned, now=now)
    if case.status == CaseStatus.PLANNED:
        case.status = CaseStatus.ACTIVE
        session.add(case)
    return len(planned)


def _assign(session: Session, actor: Actor, case: CareCase, actions: Sequence[Action], *, now: dt.datetime,
            facts=None) -> None:
    """Give each action its due date from the handling time and tell the responsible member."""
    facts = facts or (case_facts(session, case, now=now) if actions else None)
    for action in actions:
        # the responsible member is told about the case: their organisation must be covered
        require_member(session, action.responsible_id, Purpose.NOTIFY, case, now=now, actor=actor, facts=facts)
        action.due_date = due = due_date(action.handling_time, now)
        action.status = ActionStatus.ASSIGNED
        action.assigned_at = now
        session.add(action)
        responsible = referenced(session, Member, action.responsible_id)
        publish(session, ActionAssigned(case.number, action.id, responsible.id, responsible.role, action.handling_time,
                                        due, action.follow_up_date), now=now)
        audit(session, actor, "dispatch", "action", action.id, now=now, person_id=case.person_id)


def complete_action(session: Session, actor: Actor, *, action_id: int, now: dt.datetime,
                    note: str | None = None) -> str:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"unknown action {action_id}", record=f"action {action_id}", field="action",
                       hint="`coordination case show CASE` lists the case's actions")
    case = referenced(session, CareCase, action.case_id)
    require(session, actor, Purpose.ACT, case, now=now)  # before anything about the action is said
    if action.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
        raise RuleViolation(f"is already {action.status}", record=f"action {action_id}", field="status",
                            hint="nothing to do")
    action.status, action.completed_at, action.completed_by_id = ActionStatus.DONE, now, actor.member_id
    action.completion_note = (note or "").strip() or None
    session.add(action)
    audit(session, actor, "complete", "action", action.id, now=now, person_id=case.person_id)
    return case.number
