"""The one way a command is carried out: find the case it is about, ask the access policy for the
purpose the command declares, then run its use case. An entry point (a route, a CLI command)
builds the command and calls `execute`; it never picks a use case or asks the policy itself.

The use cases still ask the policy with their finer facts (the relationship a new responsible
member is granted, a recipient's coverage), so a flow that calls a use case directly is
checked too; the dispatcher makes the command's declared purpose the first question, asked
before anything about the record is looked at further."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from coordination.persistence.models import Action, CareCase, Deviation, Escalation
from coordination.usecases import acting, deviations, escalations
from coordination.usecases import commands as c
from coordination.usecases.access import require
from coordination.usecases.common import Actor, case_by_number, member_by_code, row_by_id


def execute(session: Session, actor: Actor, command: c.Command, *, now: dt.datetime) -> Any:
    """Carry out the command as `actor`; returns what its use case returns (a new row's id, or
    the case number it concerned)."""
    locate, run = _HANDLERS[type(command)]
    case = locate(session, command)
    if command.purpose is not None:
        require(session, actor, command.purpose, case, now=now)
    return run(session, actor, command, case, now)


def _by_number(session: Session, command: c.CaseCommand) -> CareCase:
    return case_by_number(session, command.case)


def _case_of(model, field: str, hint: str) -> Callable[[Session, c.Command], CareCase]:
    """The case a record belongs to, the record found by the command's id field."""
    def locate(session: Session, command: c.Command) -> CareCase:
        row = row_by_id(session, model, getattr(command, field), name=field, hint=hint)
        if model is Deviation:
            return case_by_number(session, row.case_number)
        return row_by_id(session, CareCase, row.case_id, name="case", hint=hint)
    return locate


def _report_deviation(session: Session, actor: Actor, cmd: c.ReportDeviation, case: CareCase,
                      now: dt.datetime) -> int:
    responsible = member_by_code(session, cmd.responsible, field="responsible") if cmd.responsible else None
    return deviations.report_deviation(session, actor, case=case, description=cmd.description, action_id=cmd.action,
                                       responsible=responsible, now=now)


def _close_deviation(session: Session, actor: Actor, cmd: c.CloseDeviation, case: CareCase, now: dt.datetime) -> str:
    return deviations.close_deviation(session, actor, deviation_id=cmd.deviation, note=cmd.note, now=now)


def _raise_escalation(session: Session, actor: Actor, cmd: c.RaiseEscalation, case: CareCase,
                      now: dt.datetime) -> int:
    return escalations.escalate(session, actor, case=case, level=cmd.level, reason=cmd.reason, now=now)


def _answer_escalation(session: Session, actor: Actor, cmd: c.AnswerEscalation, case: CareCase,
                       now: dt.datetime) -> str:
    return escalations.answer_escalation(session, actor, escalation_id=cmd.escalation, answer=cmd.answer, now=now)


def _add_action(session: Session, actor: Actor, cmd: c.AddAction, case: CareCase, now: dt.datetime) -> int:
    return acting.add_action(session, actor, case=case, responsible=member_by_code(session, cmd.responsible,
                                                                                   field="responsible"),
                             description=cmd.description, handling_time=cmd.handling_time,
                             follow_up_date=cmd.follow_up_date, now=now)


def _complete_action(session: Session, actor: Actor, cmd: c.CompleteAction, case: CareCase, now: dt.datetime) -> str:
    return acting.complete_action(session, actor, action_id=cmd.action, note=cmd.note, now=now)


# command -> (how its case is found, the use case that carries it out)
_HANDLERS: dict[type, tuple[Callable[..., CareCase], Callable[..., Any]]] = {
    c.ReportDeviation: (_by_number, _report_deviation),
    c.CloseDeviation: (_case_of(Deviation, "deviation", "your unit's page lists its deviations"), _close_deviation),
    c.RaiseEscalation: (_by_number, _raise_escalation),
    c.AnswerEscalation: (_case_of(Escalation, "escalation", "the case page lists its escalations"),
                         _answer_escalation),
    c.AddAction: (_by_number, _add_action),
    c.CompleteAction: (_case_of(Action, "action", "`coordination case show CASE` lists the case's actions"),
                       _complete_action),
}
