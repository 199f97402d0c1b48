"""What the staff workspace shows and does: my items, a manager's unit, and the forms' use
cases that the CLI has no equal of (the SBAR return report). Every read goes through the
access policy; the case page itself is `queries.case_record`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, union_all
from sqlalchemy import select as sa_select  # nine columns: SQLModel's select types four
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from coordination.domain.vocabulary import NoticeClass
from coordination.config.notifications import SweepPolicy
from coordination.domain.access import Purpose
from coordination.domain.calendar import add_working_days, local_date
from coordination.errors import InvalidInput, RuleViolation
from coordination.persistence.models import (
    Action, CareCase, Deviation, Member, ReturnReport, Sip,
)
from coordination.usecases.access import decision, require
from coordination.usecases.common import Actor, acting_member, audit, referenced
from coordination.persistence.sql import rows_of
from coordination.persistence.types import UTCDateTime
from coordination.usecases.sweep import item_sources


@dataclass(frozen=True)
class Item:
    kind: str  # action | sip_follow_up
    id: int
    case_number: str
    due_date: dt.date
    klass: str  # escalated | overdue | due_today | due_soon
    responsible_role: str
    description: str | None = None  # the action's text
    handling_time: str | None = None
    responsible: str | None = None  # the responsible member's name, for a manager's escalations


CLASS_ORDER: dict[str, int] = {k: i for i, k in enumerate(reversed(NoticeClass))}  # the most due first


@lru_cache(maxsize=1)
def _items_statement() -> Any:
    """My items as one statement, built once with the moment and the member as parameters: each
    action's words and its responsible member's name joined to what is due. Building the
    sweep's union anew took a request 7 ms, as long as running it."""
    sources, _ = item_sources(bindparam("today", type_=Date), bindparam("soon_until", type_=Date),
                              bindparam("escalate_before", type_=Date), bindparam("now", type_=UTCDateTime()),
                              recipient_id=bindparam("member", type_=Integer))
    due = union_all(*sources).subquery()
    kind, item_id, due_date, klass, _recipient, number, role = list(due.c)[:7]
    responsible = aliased(Member)
    return (sa_select(kind, item_id, number, due_date, klass, role, col(Action.description),
                      col(Action.handling_time), col(responsible.name))
            .outerjoin(Action, and_(kind == "action", col(Action.id) == item_id))
            .outerjoin(responsible, col(responsible.id) == col(Action.responsible_id)))


def my_items(session: Session, member_id: int, *, now: dt.datetime, policy: SweepPolicy) -> list[Item]:
    """What is due soon, due today, overdue and escalated for the member, most urgent first:
    the same question as the sweep's (so the same access policy), asked live for one member."""
    today = local_date(now)
    due = rows_of(session, _items_statement(), {
        "today": today, "soon_until": add_working_days(today, policy.due_soon_working_days),
        "escalate_before": add_working_days(today, -policy.escalation_grace_working_days), "now": now,
        "member": member_id})
    items = [Item(k, i, n, d, c, r, description, str(handling) if handling else None,
                  name if k == "action" and c == NoticeClass.ESCALATED else None)
             for k, i, n, d, c, r, description, handling, name in due]
    return sorted(items, key=lambda i: (CLASS_ORDER[i.klass], i.due_date, i.case_number, i.id))


@dataclass(frozen=True)
class DeviationLine:
    id: int
    case_number: str
    item_kind: str  # action | sip_follow_up (found by the sweep) | report (by a member)
    item_id: int | None
    due_date: dt.date
    responsible: str  # the member's name: inside the workspace only, never in a message
    detected_at: dt.datetime
    description: str | None = None
    reported_by: str | None = None
    closed_at: dt.datetime | None = None
    closing_note: str | None = None
    withheld: bool = False  # the consent does not cover the manager's organisation: the case number only
    responsible_role: str = ""  # the role's code: each reader sees it in their own words
    reported_by_role: str = ""


def unit_deviations(session: Session, actor: Actor, *, now: dt.datetime) -> list[DeviationLine]:
    """The deviations (avvikelser) for which the signed-in manager is responsible, open ones
    first, by the name of the responsible member. Every one is listed, so none is lost between
    organisations; what was reported is shown only where the policy lets the manager read the case."""
    manager_id = acting_member(actor, record="deviations")
    names = {m.id: (m.name, str(m.role)) for m in session.exec(select(Member))}
    rows = session.exec(select(Deviation, CareCase)
                        .join(CareCase, col(CareCase.number) == Deviation.case_number)
                        .where(col(Deviation.manager_id) == manager_id)
                        .order_by(col(Deviation.closed_at).is_not(None), col(Deviation.detected_at).desc(),
                                  col(Deviation.id).desc())).all()
    lines = []
    for deviation, case in rows:
        readable = decision(session, manager_id, Purpose.READ, case, now=now).allowed
        reporter = names.get(deviation.reported_by_id) if deviation.reported_by_id else None
        lines.append(DeviationLine(deviation.id, case.number, deviation.item_kind, deviation.item_id,
                                   deviation.due_date, names[deviation.responsible_id][0], deviation.detected_at,
                                   deviation.description if readable else None, reporter[0] if reporter else None,
                                   deviation.closed_at, deviation.closing_note, withheld=not readable,
                                   responsible_role=names[deviation.responsible_id][1],
                                   reported_by_role=reporter[1] if reporter else ""))
    return lines


def action_case(session: Session, actor: Actor, action_id: int, *, now: dt.datetime) -> str:
    """The case number of an action the member may read (a notification's link leads here)."""
    from coordination.errors import NotFound

    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"unknown action {action_id}", record=f"action {action_id}", field="action",
                       hint="open the case from your items")
    case = referenced(session, CareCase, action.case_id)
    require(session, actor, Purpose.READ, case, now=now)
    return case.number


def record_return_report(session: Session, actor: Actor, *, case: CareCase, reported_on: dt.date,
                         reporter_name: str, profession: str, text: str, now: dt.datetime) -> int:
    """Återrapportering: the report back on an SBAR handover (date, name, profession, text)."""
    record = f"case {case.number}"
    require(session, actor, Purpose.ACT, case, now=now)
    for field, value in dict(reporter_name=reporter_name, profession=profession, text=text).items():
        if not (value or "").strip():
            raise InvalidInput("is empty", record=record, field=field, hint="fill in every field of the report")
    if reported_on > local_date(now):
        raise RuleViolation(f"{reported_on} is in the future", record=record, field="reported_on",
                            hint="give the day the report was made")
    report = ReturnReport(case_id=case.id, reported_on=reported_on, reporter_name=reporter_name.strip(),
                          profession=profession.strip(), text=text.strip(), recorded_by_id=acting_member(actor, record=record),
                          recorded_at=now)
    session.add(report)
    session.flush()
    audit(session, actor, "record", "return_report", report.id, now=now, person_id=case.person_id)
    return report.id


def current_sip_id(session: Session, case: CareCase) -> int | None:
    return session.exec(select(Sip.id).where(col(Sip.case_id) == case.id, col(Sip.current) == True)).first()  # noqa: E712
