"""A refused form, given back: the same fields with what was typed, and beside the field that was
wrong what is wrong and how to fix it, in the reader's language. Nothing was written; sending it
again posts to the same address with the same CSRF token.

Built from the command the route was given (`deps.form_command` notes it on the request), so
every form of the workspace gets it without a template of its own."""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass, field

from coordination.errors import CoordinationError
from coordination.i18n import Texts
from coordination.i18n.terms import N_, term

LABELS = {  # a command's field -> the words on its label
    "personnummer": N_("Personal identity number"), "kind": N_("What did you see?"), "occurred_on": N_("When"),
    "days": N_("How many days (an absence)"), "at": N_("Date and time"), "place": N_("Place"),
    "invite_guardians": N_("Invite the guardians"), "invite_relatives": N_("Invite the relatives"),
    "answer": N_("Answer"), "answered_by": N_("Who answered"), "agreement": N_("What was agreed"),
    "agreed_time": N_("Agreed time for the next contact"), "reason": N_("Reason"),
    "child_informed": N_("How the child was told about the plan"), "child_heard": N_("The child's own views"),
    "description": N_("What is to be done"), "responsible": N_("Responsible (member code)"),
    "handling_time": N_("Handling time"), "follow_up_date": N_("Follow-up date"), "note": N_("Note"),
    "outcome": N_("What the follow-up found"), "needs_remain": N_("Needs remain"),
    "next_follow_up": N_("Next follow-up"), "verdict": N_("The person's answer"), "level": N_("Raise to"),
    "text": N_("Text"), "coordinator": N_("Coordinator (member code)"), "what_matters": N_("What is important to you?"),
    "plan_b": N_("Plan B"), "relatives_support": N_("Support and relief for the relatives"),
    "other_plans": N_("Other plans"), "profession": N_("Profession"), "reported_on": N_("Reported on"),
    "reporter_name": N_("Reported by"), "close": N_("Close the meeting"), "organisation": N_("Organisation"),
}
LONG = {"description", "note", "outcome", "reason", "answer", "text", "what_matters", "agreement", "child_heard",
        "child_informed", "plan_b", "relatives_support", "other_plans"}
TERM_OF = {"SignalKind": "signal_kind", "EscalationLevel": "escalation_level", "ConsentGiver": "given_by",
           "ConsentForm": "form", "ConsentScope": "scope"}  # enums whose values the catalog names
# the person's answers: to the plan at the SIP meeting, and at a follow-up
ANSWERS = {"agreed": N_("Agrees to the plan"), "refused": N_("Does not agree to the plan"), "agree": N_("Agrees"),
           "partly": N_("Partly agrees"), "disagree": N_("Does not agree")}


@dataclass
class Field:
    name: str
    label: str
    control: str  # text | textarea | date | datetime | number | checkbox | select | hidden
    value: str = ""
    values: list[str] = field(default_factory=list)  # a list field's items
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    error: str = ""


def _base(annotation) -> tuple[object, bool]:
    """The field's type without Optional/Annotated, and whether it is a list."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list:
            inner, _ = _base(typing.get_args(annotation)[0])
            return inner, True
        else:
            return annotation, False


def _options(t: Texts, kind: type[enum.Enum]) -> list[tuple[str, str]]:
    from coordination.i18n.terms import HANDLING_TIMES

    name = kind.__name__
    if name == "HandlingTime":
        return [(m.value, t.gettext(HANDLING_TIMES[m.value])) for m in kind]
    if name in TERM_OF:
        return [(m.value, term(t, TERM_OF[name], m.value)) for m in kind]
    return [(m.value, t.gettext(ANSWERS.get(m.value) or m.value.replace("_", " "))) for m in kind]


def fields_of(t: Texts, command, form: dict[str, list[str]], from_path: set[str],
              error: CoordinationError) -> list[Field]:
    out = []
    for name, info in command.model_fields.items():
        if name in from_path:
            continue
        kind, several = _base(info.annotation)
        typed = form.get(name, [])
        f = Field(name, t.gettext(LABELS.get(name, name.replace("_", " "))), "text",
                  value=typed[0] if typed else "", values=typed if several else [])
        if several:
            f.control = "hidden" if name not in LONG else "textarea"
            if f.control == "textarea":
                f.value = "\n".join(typed)
        elif isinstance(kind, type) and issubclass(kind, enum.Enum):
            f.control, f.options = "select", _options(t, kind)
        elif kind is bool:
            f.control = "checkbox"
        elif kind is dt.datetime:
            f.control = "datetime"
        elif kind is dt.date:
            f.control = "date"
        elif kind is int:
            f.control = "number"
        elif name in LONG:
            f.control = "textarea"
        if name == (error.field or ""):
            f.error = reason(t, error)
        out.append(f)
    return out


# a refusal whose rule gave no `why`: what its field is about (the error page's words too)
FIELD_WHY = {
    "outcome": N_("Describe what the follow-up found."),
    "next_date": N_("Give the next follow-up date, after today, when needs remain."),
    "next_follow_up": N_("Give the next follow-up date, after today, when needs remain."),
    "needs": N_("Choose whether needs remain or are met."),
    "reported_on": N_("Give the day of the report, not in the future."),
    "reporter_name": N_("Fill in every field of the report."), "profession": N_("Fill in every field of the report."),
    "text": N_("Fill in every field of the report."),
    "revision": N_("The revision changes nothing: change at least one part of the plan."),
    "what_matters": N_("Write what is important to the person, in their own words."),
    "remove": N_("That participant cannot leave the SIP yet: the coordinator, the fixed care contact, the fixed "
                 "doctor and whoever is responsible for an open action stay until someone else takes over."),
    "participants": N_("A SIP coordinates at least two organisations, with active members."),
    "consent": N_("No valid consent covers every organisation in the plan. Record or document the consent first."),
    "fixed_doctor": N_("A seriously ill child's plan has a plan B, a named fixed doctor and a named fixed care "
                       "contact, all taking part."),
    "status": N_("This is already done or no longer open."),
}
FIELD_WHY["fixed_care_contact"] = FIELD_WHY["plan_b"] = FIELD_WHY["fixed_doctor"]


def page_reason(t: Texts, field: str, error: CoordinationError | None) -> str:
    """The error page's words for a refused field, or "" when there are none more telling than
    "the request could not be carried out": the rule's own `why`, else what the field is about."""
    if error is not None and error.why:
        return reason(t, error)
    return t.gettext(FIELD_WHY[field]) if field in FIELD_WHY else ""


def reason(t: Texts, error: CoordinationError) -> str:
    """What is wrong and how to fix it, in the reader's words."""
    if not error.why:
        return t.gettext(FIELD_WHY.get(error.field or "")
                         or "This value was not accepted. Check it and send the form again.")
    values = {k: t.moment(v) if isinstance(v, dt.datetime) else t.iso_date(v) if isinstance(v, dt.date) else v
              for k, v in error.why_values.items()}
    return t.gettext(error.why, **values)
