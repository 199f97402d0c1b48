"""One typed command per thing a person does, validated once (Pydantic), whatever it came from:
the command line builds it from its options, the workspace from the form, the importer from the
file. Each declares the access purpose it needs (`purpose`); `dispatch.execute` asks the policy
for it before the use case runs.

A bad value is an `InvalidInput` naming the record and the field, saying what is wrong and how
to fix it (the field's `description` is the hint), raised before anything is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from coordination.domain.access import Purpose
from coordination.domain.vocabulary import (
    ConsentForm, ConsentGiver, ConsentScope, EscalationLevel, FollowUpVerdict, HandlingTime, PersonVerdict, SignalKind, SipAnswer,
)
from coordination.errors import N_, InvalidInput
from coordination.parsing import parse_moment

# Free text staff write: trimmed, and bounded, so that one field cannot make a case page megabytes.
TEXT_LIMIT = 4000
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_LIMIT)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_LIMIT)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]  # beyond this no row exists in any database we run on
MEMBER_HINT = "give the code of the member responsible (`coordination members` lists them)"


def _stockholm(value: Any) -> Any:
    """A moment as staff write it, 2026-12-03T10:00 in Stockholm time, as an aware UTC moment."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    try:
        return parse_moment(value, record="", field="")
    except InvalidInput:
        raise ValueError(f"'{value}' is not a date and time") from None


Moment = Annotated[dt.datetime, BeforeValidator(_stockholm)]


def _lines(value: Any) -> Any:
    items = [value] if isinstance(value, str) else value
    return [line for item in items for line in str(item).splitlines() if line.strip()] \
        if isinstance(items, list) else value


Lines = Annotated[list[Text], BeforeValidator(_lines)]  # a list, or a text with one item a line (a form's textarea)


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    # What the acting member must be allowed for the case, asked before the use case runs; None
    # where the use case's own rule decides (it says which in its docstring).
    purpose: ClassVar[Purpose | None]
    # Optional text fields where an empty text is a value ("clear it"), not "not given".
    keep_empty: ClassVar[frozenset[str]] = frozenset()

    # The record errors name, filled from the command's fields: "case {case}", "deviation {deviation}".
    record_as: ClassVar[str]

    def record(self) -> str:
        return self.record_as.format(**dict(self))


class CaseCommand(Command):
    """A command about a case named by its number."""
    record_as = "case {case}"
    case: Code = Field(description="give the case number, e.g. K-2026-0001")


class ReportDeviation(CaseCommand):
    purpose = Purpose.ACT
    description: Text = Field(description="say what was agreed and what did not happen")
    action: Id | None = Field(None, description="give the number of the action that did not happen")
    responsible: Code | None = Field(None, description=MEMBER_HINT)


class CloseDeviation(Command):
    record_as = "deviation {deviation}"
    purpose = None  # only the manager it went to, who may be outside the consent (a unit's deviation)
    deviation: Id = Field(description="give the deviation's number, from your unit's page")
    note: Text = Field(description="say what was done about it")


class RaiseEscalation(CaseCommand):
    purpose = Purpose.ACT
    level: EscalationLevel = Field(description="use mas, mar, mla or managers")
    reason: Text = Field(description="say what the question or disagreement is, and what was tried")


class AnswerEscalation(Command):
    record_as = "escalation {escalation}"
    purpose = Purpose.READ  # and only those it was taken to (the use case's rule)
    escalation: Id = Field(description="give the escalation's number, from the case page")
    answer: Text = Field(description="write the answer or decision")


class AddAction(CaseCommand):
    purpose = Purpose.ACT
    responsible: Code = Field(description=MEMBER_HINT)
    description: Text = Field(description="say what is to be done")
    handling_time: HandlingTime = Field(description="use urgent, next_day, next_working_day or when_needed")
    follow_up_date: dt.date | None = Field(
        None, description="write the date as YYYY-MM-DD, or leave it out for the SIP's")


class CompleteAction(Command):
    record_as = "action {action}"
    purpose = Purpose.ACT
    action: Id = Field(description="give the action's number, from the case page")
    note: Note | None = Field(None, description="say what was done, if anything is worth saying")


class RecordFollowUp(CaseCommand):
    purpose = Purpose.ACT
    # empty is the use case's rule to refuse ("a follow-up records its outcome"), not a form error
    outcome: Note = Field(description="describe what the follow-up found")
    needs_remain: bool = Field(description="say whether needs remain (a new SIP version) or are met (the case closes)")
    next_follow_up: dt.date | None = Field(None, description="write the next follow-up as YYYY-MM-DD")
    verdict: PersonVerdict | None = Field(None, description="use agree, partly or disagree, or leave it out")


class RecordReturnReport(CaseCommand):
    purpose = Purpose.ACT
    reported_on: dt.date = Field(description="write the day the report was made as YYYY-MM-DD")
    reporter_name: Text = Field(description="fill in every field of the report")
    profession: Text = Field(description="fill in every field of the report")
    text: Text = Field(description="fill in every field of the report")


class BookSipMeeting(CaseCommand):
    purpose = Purpose.PLAN
    at: Moment = Field(description="write 2026-12-03T10:00 (Stockholm time)")
    place: Note = Field(description="say where: at home, the health centre, digitally")
    invite_guardians: bool = False
    invite_relatives: bool = False


class RecordSipAnswer(Command):
    record_as = "SIP meeting {meeting}"
    purpose = Purpose.PLAN
    meeting: Id = Field(description="give the SIP meeting's number, from the case page")
    answer: SipAnswer = Field(description="use agreed or refused")
    answered_by: ConsentGiver = Field(description="use person, or guardian for a child")
    reason: Note | None = Field(None, description="say what the person does not agree to")
    agreement: Note | None = Field(None, description="say what was agreed with the person")
    agreed_time: Moment | None = Field(None, description="write the next contact as 2026-12-03T10:00 (Stockholm time)")
    child_informed: Note | None = Field(None, description="say how the child was told, by age and maturity")
    child_heard: Note | None = Field(None, description="say what the child's own views are, and how they were heard")


class ReviseSip(CaseCommand):
    """A new SIP version with what is given changed, the rest as it was. `keep` (the workspace's
    form, which sends the whole plan) names the participants who stay; `remove` names those who
    leave (the command line)."""
    purpose = Purpose.PLAN
    # the workspace sends the whole plan: an empty plan B, relatives' support or list of other
    # plans clears it, and an empty "what matters" is refused by the use case, not taken as unchanged
    keep_empty = frozenset({"plan_b", "relatives_support", "other_plans", "what_matters"})
    coordinator: Code | None = Field(None, description=MEMBER_HINT)
    add: list[Code] = Field(default_factory=list, description=MEMBER_HINT)
    remove: list[Code] = Field(default_factory=list, description=MEMBER_HINT)
    keep: list[Code] | None = Field(None, description=MEMBER_HINT)
    what_matters: Note | None = Field(None, description="write what is important to the person, in their words")
    plan_b: Note | None = Field(None, description="write plan B, or leave it empty to clear it")
    other_plans: Lines | None = Field(None, description="give the other plans, all of them, one a line")
    next_follow_up: dt.date | None = Field(None, description="write the next follow-up as YYYY-MM-DD")
    relatives_support: Note | None = Field(None, description="write the relatives' support and relief, or leave "
                                                             "it empty to clear it")


class PersonCommand(Command):
    """A command about a person named by their personnummer (never a URL's part: it comes in a
    form's body or a command's argument). Its rule is the member's commission, which the use case
    asks of the policy (`may_take_request`, `may_record_consent`): there is no case to ask about."""
    record_as = "person"
    purpose = None  # the commission, asked by each use case (see above)
    personnummer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] = Field(
        description="write the personnummer as YYYYMMDD-NNNN")


class ReportSignal(PersonCommand):
    record_as = "signal"
    kind: SignalKind = Field(description="use one of the signal kinds")
    occurred_on: dt.date | None = Field(None, description="write the day it happened as YYYY-MM-DD (default today)")
    days: int | None = Field(None, description="give the length of the absence in days")


class RecordConsent(PersonCommand):
    record_as = "consent"
    organisations: list[Code] = Field(description="name the organisations the consent names (two or more)")
    scopes: list[ConsentScope] = Field(description="use share_information, sip or involve_relatives")
    given_by: ConsentGiver = Field(ConsentGiver.PERSON, description="use person, or guardian for a child")
    guardian: Note | None = Field(None, description="give the guardian's name, when a guardian consents")
    second_guardian: Note | None = Field(None, description="give the other guardian's name")
    sole_guardian_reason: Note | None = Field(None, description="say why one guardian's consent is enough")
    form: ConsentForm = Field(ConsentForm.ORAL, description="use oral or written")
    documented_in: list[Code] = Field(default_factory=list, description="name the organisations whose record holds it")
    valid_from: dt.date | None = Field(None, description="write the date as YYYY-MM-DD (default today)")
    valid_until: dt.date | None = Field(None, description="write the date as YYYY-MM-DD")


class DocumentConsent(Command):
    record_as = "consent {consent}"
    purpose = None  # the member's organisation documents it in its own record (may_document_consent)
    consent: Id = Field(description="give the consent's number, from the case page")
    organisation: Code = Field(description="give the organisation's code")


class WithdrawConsent(Command):
    record_as = "consent {consent}"
    purpose = None  # any active member takes the person's request (may_take_request)
    consent: Id = Field(description="give the consent's number, from the case page")


class PlaceBlock(PersonCommand):
    organisation: Code = Field(description="give the code of the organisation whose information is closed")


class LiftBlock(Command):
    record_as = "block {block}"
    purpose = None  # any active member takes the person's request (may_take_request)
    block: Id = Field(description="give the block's number, from the case page")


class MeetingCommand(Command):
    """A decision of a team's coordination meeting. Its rule is the meeting's (`team_meeting_room`):
    only the team's active members, only the leader records, and each line about a case asks the
    policy whether the team may plan it, with the team's facts: no single case purpose fits."""
    record_as = "meeting {meeting}"
    purpose = None  # the meeting's rule, asked by team_meeting_room (see above)
    meeting: Id = Field(description="open the decision from the meeting's page")


class DecideAction(MeetingCommand):
    case: Code = Field(description="choose a case on the meeting's agenda")
    responsible: Code = Field(description="choose a member of the team")
    description: Text = Field(description="say what is to be done")
    handling_time: HandlingTime = Field(description="use urgent, next_day, next_working_day or when_needed")
    follow_up_date: dt.date | None = Field(None, description="write the date as YYYY-MM-DD")


class DecideNeedsSip(MeetingCommand):
    case: Code = Field(description="choose a case on the meeting's agenda")
    coordinator: Code = Field(description="choose a member of the team")


class NoteDischarge(MeetingCommand):
    case: Code = Field(description="choose a case on the meeting's agenda")
    text: Text = Field(description="say what was decided about the discharge")


class FollowUpCase(MeetingCommand):
    """Section 4: the short follow-up of an ongoing case on the agenda."""
    case: Code = Field(description="choose an ongoing case on the meeting's agenda")
    verdict: FollowUpVerdict = Field(description="use continue, revise or close")
    text: Note | None = Field(None, description="say what the meeting noted, if anything")


class NoteDecision(MeetingCommand):
    text: Text = Field(description="write the decision")


class OpenEmergencyAccess(CaseCommand):
    """Nödåtkomst: read a case outside one's relationships, for a limited time, with a reason.
    No case purpose: the point is that the member has none; the use case checks the commission,
    the reason, the consent and any block, and the log review lists every opening."""
    purpose = None  # the member has none: the use case's own checks (see above)
    reason: Text = Field(description="say why the person's care needs you to read the case now")


class TakeOverLeadership(MeetingCommand):
    """A team member takes over as leader when the appointed one is away: with a reason, audited,
    and the appointed leader is told."""
    reason: Text = Field(description="say why you take over (the appointed leader is away, ...)")


class SaveSummary(MeetingCommand):
    text: Note = Field(description="write the meeting's summary")
    close: bool = Field(False, description="close the meeting and send its minutes, or only save the summary")


class ReopenMeeting(MeetingCommand):
    """The leader reopens a closed meeting to amend it; closing again stores the next version."""


class MarkReviewed(Command):
    """A log reviewer's mark on an audit event, with what they found."""
    record_as = "log entry {event}"
    purpose = None  # no case: the log review's own rule (may_review_log) decides
    event: Id = Field(description="pick the entry from the log review's list")
    note: Text = Field(description="say what you found, e.g. 'checked with the unit manager: in the care'")


C = TypeVar("C", bound=Command)


def build(command: type[C], **raw: Any) -> C:
    """The command from raw values (form fields, options): an empty optional field counts as not
    given. Any bad value is an `InvalidInput` for its field."""
    fields = command.model_fields
    values = {k: v for k, v in raw.items()
              if not (v is None or (v == "" and k in fields and not fields[k].is_required()
                                    and k not in command.keep_empty))}
    try:
        return command.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "form"
        info = fields.get(field)
        record = _record_of(command, raw)
        why, values = _why(err)
        raise InvalidInput(_what(err), record=record, field=field,
                           hint=(info.description if info and info.description else "see the command's help"),
                           why=why, why_values=values) from None


def list_fields(command: type[Command]) -> set[str]:
    """The fields that take several values (a form sends one per checked box)."""
    def is_list(annotation: Any) -> bool:
        return get_origin(annotation) is list or any(is_list(a) for a in get_args(annotation))
    return {name for name, info in command.model_fields.items() if is_list(info.annotation)}


def _record_of(command: type[Command], raw: dict) -> str:
    """The record to name when the command itself could not be built: its template, filled from
    what was given; the command's name when a field it names is missing."""
    try:
        return command.record_as.format(**{k: v for k, v in raw.items() if v not in (None, "")})
    except KeyError:
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
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind.startswith("bool"):
        return f"'{err.get('input')}' is not yes or no"
    if kind == "extra_forbidden":
        return "is not a field of this form"
    return str(err["msg"])



def _why(err: Mapping[str, Any]) -> tuple[str, dict]:
    """Pydantic's error in the words staff read beside the field (a catalog text and its values)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return N_("Fill this in."), {}
    if kind == "string_too_long":
        return N_("Write at most %(count)s characters."), {"count": ctx.get("max_length")}
    if kind in ("enum", "literal_error"):
        return N_("Choose one of the options."), {}
    if kind.startswith(("int_", "greater_than", "less_than")):
        return N_("Write a whole number in the range the field allows."), {}
    if kind.startswith("date"):
        return N_("Write the date as YYYY-MM-DD."), {}
    if kind == "value_error" and "error" in ctx:
        return N_("Write the date and time as YYYY-MM-DD HH:MM."), {}
    if kind.startswith("bool"):
        return N_("Answer yes or no."), {}
    return N_("Check this value."), {}
