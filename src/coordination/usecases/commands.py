"""One typed command per thing a person does, validated once (Pydantic), whatever it came from:
the command line builds it from its options, the workspace from the form, the importer from the
file. Each declares the access purpose it needs (`purpose`); `dispatch.execute` asks the policy
for it before the use case runs.

A bad value is an `InvalidInput` naming the record and the field, saying what is wrong and how
to fix it (the field's `description` is the hint), raised before anything is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from coordination.domain.access import Purpose
from coordination.domain.vocabulary import EscalationLevel, HandlingTime
from coordination.errors import InvalidInput

# Free text staff write: trimmed, and bounded, so that one field cannot make a case page megabytes.
TEXT_LIMIT = 4000
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_LIMIT)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_LIMIT)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]  # beyond this no row exists in any database we run on
MEMBER_HINT = "give the code of the member responsible (`coordination members` lists them)"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    # What the acting member must be allowed for the case, asked before the use case runs; None
    # where the use case's own rule decides (it says which in its docstring).
    purpose: ClassVar[Purpose | None]

    def record(self) -> str:
        """The record errors name: 'case K-2026-0001', 'deviation 7'."""
        raise NotImplementedError


class CaseCommand(Command):
    """A command about a case named by its number."""
    case: Code = Field(description="give the case number, e.g. K-2026-0001")

    def record(self) -> str:
        return f"case {self.case}"


class ReportDeviation(CaseCommand):
    purpose = Purpose.ACT
    description: Text = Field(description="say what was agreed and what did not happen")
    action: Id | None = Field(None, description="give the number of the action that did not happen")
    responsible: Code | None = Field(None, description=MEMBER_HINT)


class CloseDeviation(Command):
    purpose = None  # only the manager it went to, who may be outside the consent (a unit's deviation)
    deviation: Id = Field(description="give the deviation's number, from your unit's page")
    note: Text = Field(description="say what was done about it")

    def record(self) -> str:
        return f"deviation {self.deviation}"


class RaiseEscalation(CaseCommand):
    purpose = Purpose.ACT
    level: EscalationLevel = Field(description="use mas, mar, mla or managers")
    reason: Text = Field(description="say what the question or disagreement is, and what was tried")


class AnswerEscalation(Command):
    purpose = Purpose.READ  # and only those it was taken to (the use case's rule)
    escalation: Id = Field(description="give the escalation's number, from the case page")
    answer: Text = Field(description="write the answer or decision")

    def record(self) -> str:
        return f"escalation {self.escalation}"


class AddAction(CaseCommand):
    purpose = Purpose.ACT
    responsible: Code = Field(description=MEMBER_HINT)
    description: Text = Field(description="say what is to be done")
    handling_time: HandlingTime = Field(description="use urgent, next_day, next_working_day or when_needed")
    follow_up_date: dt.date | None = Field(
        None, description="write the date as YYYY-MM-DD, or leave it out for the SIP's")


class CompleteAction(Command):
    purpose = Purpose.ACT
    action: Id = Field(description="give the action's number, from the case page")
    note: Note | None = Field(None, description="say what was done, if anything is worth saying")

    def record(self) -> str:
        return f"action {self.action}"


C = TypeVar("C", bound=Command)


def build(command: type[C], **raw: Any) -> C:
    """The command from raw values (form fields, options): an empty optional field counts as not
    given. Any bad value is an `InvalidInput` for its field."""
    fields = command.model_fields
    values = {k: v for k, v in raw.items()
              if not (v in ("", None) and k in fields and not fields[k].is_required())}
    try:
        return command.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "form"
        info = fields.get(field)
        record = _record_of(command, raw)
        raise InvalidInput(_what(err), record=record, field=field,
                           hint=(info.description if info and info.description else "see the command's help")) from None


def _record_of(command: type[Command], raw: dict) -> str:
    """The record to name when the command itself could not be built."""
    if issubclass(command, CaseCommand) and raw.get("case"):
        return f"case {raw['case']}"
    for name in command.model_fields:
        if name != "case" and raw.get(name) not in (None, ""):
            return f"{name} {raw[name]}"
    return command.__name__


def _what(err: Mapping[str, Any]) -> str:
    """Pydantic's error, as the one line the user reads."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "is empty"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind in ("enum", "literal_error"):
        return f"'{err.get('input')}' is not a known value (use one of: {ctx.get('expected')})"
    if kind.startswith(("int_", "greater_than", "less_than")):
        return f"'{err.get('input')}' is not a valid number"
    if kind.startswith("date"):
        return f"'{err.get('input')}' is not a date"
    if kind == "extra_forbidden":
        return "is not a field of this form"
    return str(err["msg"])
