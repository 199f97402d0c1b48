"""Deviations (avvikelser, seed 004 §9-10): anyone taking part in a case reports that something
agreed did not happen; the responsible member's manager lists their unit's deviations and closes
each with a note. The sweep records the ones it detects in the same table.

A deviation always reaches the responsible member's manager, also where the person's consent does
not cover the manager's organisation: seed 004 §9 has it reported under each principal's own
routine, so the unit must learn of it. The manager is then told only that a deviation concerns
their unit (the case number), sees neither the description nor the case, and closes it after
following it up with their member, who knows the person from their own care."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from coordination.domain.access import Purpose
from coordination.domain.calendar import local_date
from coordination.errors import InvalidInput, NotFound, RuleViolation
from coordination.domain.events import DeviationReported
from coordination.notifications.handlers import publish
from coordination.persistence.models import Action, CareCase, Deviation, Member
from coordination.usecases.access import decision, require
from coordination.usecases.common import Actor, audit, case_by_number, referenced, row_by_id

REPORT = "report"


def report_deviation(session: Session, actor: Actor, *, case: CareCase, description: str, now: dt.datetime,
                     action_id: int | None = None, responsible: Member | None = None) -> int:
    """What did not happen: an action of the case (its responsible member is the one responsible),
    or in words with the member responsible. Their manager is told and closes it."""
    record = f"case {case.number}"
    require(session, actor, Purpose.ACT, case, now=now)
    if not description.strip():
        raise InvalidInput("is empty", record=record, field="description",
                           hint="say what was agreed and what did not happen")
    if action_id is not None:
        action = session.get(Action, action_id)
        if action is None or action.case_id != case.id:
            raise NotFound(f"case {case.number} has no action {action_id}", record=record, field="action",
                           hint="name an action of this case, or the member responsible")
        responsible = referenced(session, Member, action.responsible_id)
    if responsible is None:
        raise InvalidInput("names neither an action nor a responsible member", record=record, field="responsible",
                           hint="name the action that did not happen, or the member responsible")
    if responsible.manager_id is None:
        raise RuleViolation(f"{responsible.code} has no manager to report to", record=record, field="responsible",
                            hint="an administrator sets the member's manager in the import file")
    deviation = Deviation(item_kind=REPORT, item_id=None, due_date=local_date(now), case_number=case.number,
                          responsible_id=responsible.id, manager_id=responsible.manager_id, detected_at=now,
                          description=description.strip(), reported_by_id=actor.member_id)
    session.add(deviation)
    session.flush()
    # the manager is always told: a deviation about their unit must reach them. Where the consent
    # does not cover their organisation, the message says only that one concerns their unit.
    covered = decision(session, responsible.manager_id, Purpose.NOTIFY, case, now=now).allowed
    publish(session, DeviationReported(case.number, deviation.id, responsible.manager_id, covered), now=now)
    audit(session, actor, "report", "deviation", deviation.id, now=now, person_id=case.person_id)
    return deviation.id


def close_deviation(session: Session, actor: Actor, *, deviation_id: int, note: str, now: dt.datetime) -> str:
    """The manager the deviation went to closes it, saying what was done; returns the case number."""
    deviation = row_by_id(session, Deviation, deviation_id, name="deviation",
                          hint="your unit's page lists its deviations")
    record = f"deviation {deviation_id}"
    case = case_by_number(session, deviation.case_number)
    if actor.member_id != deviation.manager_id:
        # only the manager it went to; anyone else is asked the policy, so a refusal is audited
        require(session, actor, Purpose.READ, case, now=now)
        raise RuleViolation("only the manager it went to closes a deviation", record=record, field="manager",
                            hint="the responsible member's manager closes it")
    if deviation.closed_at is not None:
        raise RuleViolation("is already closed", record=record, field="status", hint="nothing to do")
    if not note.strip():
        raise InvalidInput("is empty", record=record, field="note", hint="say what was done about it")
    deviation.closed_at, deviation.closed_by_id, deviation.closing_note = now, actor.member_id, note.strip()
    session.add(deviation)
    audit(session, actor, "close", "deviation", deviation.id, now=now, person_id=case.person_id)
    return case.number
