"""Message texts. They say what, which case number, when due, who is responsible by role
and where to look — never who the person is, and no health detail. Inputs are therefore
limited to case numbers, ids, roles, dates and kinds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from coordination.domain.vocabulary import HandlingTime, Role

LOOK = "Details are in the coordination record for the case number (`coordination case show {case}`)."


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    body: str


def _role(role: Role | str) -> str:
    return str(role).replace("_", " ")


def case_flagged(case: str) -> Message:
    return Message("case_flagged", f"{case}: identified for coordination",
                   f"Case {case} meets the identification criteria and is flagged for the next "
                   f"coordination meeting. Obtain and document consent before information is shared.\n"
                   + LOOK.format(case=case))


def sip_created(case: str, version: int, coordinator_role: Role, next_follow_up: dt.date,
                revised: bool = False) -> Message:
    what = f"SIP version {version} was revised" if revised else "a SIP was drawn up"
    return Message("sip_revised" if revised else "sip_created",
                   f"{case}: SIP v{version}, follow-up {next_follow_up.isoformat()}",
                   f"For case {case}, {what}; you are a participant. Coordinator: {_role(coordinator_role)}. "
                   f"Next follow-up: {next_follow_up.isoformat()}.\n" + LOOK.format(case=case))


def action_assigned(case: str, action_id: int, handling_time: HandlingTime, due: dt.date | None,
                    follow_up: dt.date, responsible_role: Role) -> Message:
    due_text = due.isoformat() if due else "when needed"
    return Message("action_assigned", f"{case}: action {action_id} due {due_text}",
                   f"Action {action_id} in case {case} is assigned to you ({_role(responsible_role)}). "
                   f"Handling time: {_role(handling_time)}; due: {due_text}; follow-up: {follow_up.isoformat()}.\n"
                   f"Mark it done with `coordination action done {action_id} --by YOUR-CODE`.\n"
                   + LOOK.format(case=case))


def case_closed(case: str) -> Message:
    return Message("case_closed", f"{case}: closed after follow-up",
                   f"The follow-up of case {case} found that the coordinated needs are met; the case "
                   f"and its SIP are closed and open actions were cancelled.\n" + LOOK.format(case=case))


def consent_withdrawn(case: str) -> Message:
    return Message("consent_withdrawn", f"{case}: consent withdrawn — stop sharing",
                   f"Consent for case {case} was withdrawn. From now on no information may be shared "
                   f"between organisations and the SIP may not be continued.\n" + LOOK.format(case=case))


class DigestItem(NamedTuple):
    """One line of a digest; the sweep passes its database rows, which have these fields."""

    item_kind: str  # action | sip_follow_up
    item_id: int
    case_number: str
    due_date: dt.date
    klass: str  # due_soon | due_today | overdue | escalated
    responsible_role: str


_CLASS_TEXT = {"escalated": "ESCALATED (overdue past the grace period)", "overdue": "OVERDUE",
               "due_today": "due today", "due_soon": "due soon"}
_RANK = {k: i for i, k in enumerate(_CLASS_TEXT)}
_SHORT = {"escalated": "escalated", "overdue": "overdue", "due_today": "due today", "due_soon": "due soon"}


def digest(items) -> Message:
    """One message per recipient per sweep, most urgent first."""
    items = sorted(items, key=lambda i: (_RANK[i.klass], i.due_date, i.case_number, i.item_id))
    counts = dict.fromkeys(_CLASS_TEXT, 0)
    lines = []
    for i in items:
        counts[i.klass] += 1
        if i.item_kind == "action":
            what, how = f"action {i.item_id}", f"mark done: `coordination action done {i.item_id} --by YOUR-CODE`"
        else:
            what, how = "SIP follow-up", f"record it: `coordination follow-up {i.case_number} --by YOUR-CODE ...`"
        lines.append(f"- {i.case_number} · {what} · {_CLASS_TEXT[i.klass]} {i.due_date} · "
                     f"responsible: {i.responsible_role.replace('_', ' ')} · {how}")
    summary = ", ".join(f"{n} {_SHORT[k]}" for k, n in counts.items() if n)
    body = "\n".join([f"Coordination items for you ({summary}):", "", *lines, "",
                      "Details are in the coordination record for each case number (`coordination case show CASE`)."])
    return Message("digest", f"Coordination: {summary}", body)
