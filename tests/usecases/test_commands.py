"""Typed commands and the dispatcher: a command is validated once, whatever builds it, and names
the field it refuses; the dispatcher asks the policy for the command's declared purpose before the
use case runs, so a member with no part in the case is refused and nothing is written."""

from __future__ import annotations

import inspect

import pytest
from sqlmodel import select

from coordination.domain.access import Purpose
from coordination.errors import AccessDenied, InvalidInput, NotFound
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, AuditEvent, Deviation, Escalation, Member
from coordination.usecases import commands as c
from coordination.usecases import dispatch
from coordination.usecases.common import actor_for, case_by_number
from tests.conftest import T0
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV = "19380214-2012"
COMMANDS = [cls for _, cls in inspect.getmembers(c, inspect.isclass)
            if issubclass(cls, c.Command) and cls not in (c.Command, c.CaseCommand, c.PersonCommand, c.MeetingCommand)]


def test_every_command_declares_its_purpose_and_has_its_use_case():
    assert COMMANDS
    for command in COMMANDS:
        assert hasattr(command, "purpose"), f"{command.__name__} declares no purpose"
        assert command.purpose is None or isinstance(command.purpose, Purpose)
    assert set(COMMANDS) == set(dispatch._HANDLERS)


@pytest.mark.parametrize("command, raw, field, what", [
    (c.ReportDeviation, dict(case="K-2026-0001", description="  "), "description", "is empty"),
    (c.ReportDeviation, dict(case="K-2026-0001", description="x" * (c.TEXT_LIMIT + 1)), "description",
     f"is longer than {c.TEXT_LIMIT} characters"),
    (c.ReportDeviation, dict(case="K-2026-0001", description="x", action="fyra"), "action", "is not a valid number"),
    (c.ReportDeviation, dict(case="", description="x"), "case", "is empty"),
    (c.RaiseEscalation, dict(case="K-2026-0001", level="boss", reason="x"), "level", "is not a known value"),
    (c.AddAction, dict(case="K-2026-0001", responsible="hc-dsk1", description="x", handling_time="urgent",
                       follow_up_date="2026-13-01"), "follow_up_date", "is not a date"),
    (c.AddAction, dict(case="K-2026-0001", responsible="hc-dsk1", description="x"), "handling_time", "is empty"),
    (c.CompleteAction, dict(action=str(2**40)), "action", "is not a valid number"),
    (c.CloseDeviation, dict(deviation="0", note="x"), "deviation", "is not a valid number"),
    (c.BookSipMeeting, dict(case="K-2026-0001", at="i morgon", place="hemma"), "at", "is not a date and time"),
    (c.BookSipMeeting, dict(case="K-2026-0001", at="2026-12-03", place="hemma"), "at", "is not a date and time"),
    (c.RecordSipAnswer, dict(meeting="1", answer="maybe", answered_by="person"), "answer", "is not a known value"),
    (c.RecordSipAnswer, dict(meeting="1", answer="agreed", answered_by="neighbour"), "answered_by",
     "is not a known value"),
    (c.RecordFollowUp, dict(case="K-2026-0001", outcome="x", needs_remain="kanske"), "needs_remain", "is not yes or no"),
    (c.RecordFollowUp, dict(case="K-2026-0001", outcome="x", needs_remain=True, verdict="meh"), "verdict",
     "is not a known value"),
    (c.RecordReturnReport, dict(case="K-2026-0001", reported_on="2026-11-17", reporter_name="", profession="x",
                                text="x"), "reporter_name", "is empty"),
    (c.ReviseSip, dict(case="K-2026-0001", add=["hc-dsk1", ""]), "add.1", "is empty"),
    (c.DecideAction, dict(meeting="1", case="K-2026-0001", responsible="hc-dsk1", description="x",
                          handling_time="soon"), "handling_time", "is not a known value"),
    (c.NoteDecision, dict(meeting="1", text="x" * (c.TEXT_LIMIT + 1)), "text", "is longer than"),
    (c.DecideNeedsSip, dict(meeting="ett", case="K-2026-0001", coordinator="hc-dsk1"), "meeting",
     "is not a valid number"),
])
def test_a_bad_field_is_named_with_what_is_wrong_and_how_to_fix_it(command, raw, field, what):
    with pytest.raises(InvalidInput) as refused:
        c.build(command, **raw)
    assert refused.value.field == field and what in refused.value.message
    assert refused.value.hint  # the field's description says how to fix it


def test_an_empty_optional_field_counts_as_not_given_and_text_is_trimmed():
    command = c.build(c.ReportDeviation, case="K-2026-0001", description="  Uteblev  ", action="", responsible="")
    assert (command.description, command.action, command.responsible) == ("Uteblev", None, None)


def _planned(sqlite_url, example_data) -> str:
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        return case_of(s, GUSTAV).number


def test_a_participant_carries_out_commands_through_the_dispatcher(sqlite_url, example_data):
    number = _planned(sqlite_url, example_data)
    with unit_of_work() as s:
        deviation_id = dispatch.execute(s, actor_for(s, "hsv-ssk1"), c.ReportDeviation(
            case=number, description="Ingen återrapport", responsible="hc-dsk1"), now=T0)
        escalation_id = dispatch.execute(s, actor_for(s, "hsv-ssk1"), c.RaiseEscalation(
            case=number, level="mas", reason="Vem lägger om såret?"), now=T0)
    with unit_of_work() as s:
        assert s.get(Deviation, deviation_id).description == "Ingen återrapport"
        assert dispatch.execute(s, actor_for(s, "mas"), c.AnswerEscalation(
            escalation=escalation_id, answer="Kommunens sjuksköterska"), now=T0) == number
        assert dispatch.execute(s, actor_for(s, "hc-chef"), c.CloseDeviation(
            deviation=deviation_id, note="Genomgånget"), now=T0) == number
    with unit_of_work() as s:
        assert s.get(Escalation, escalation_id).answer == "Kommunens sjuksköterska"
        assert s.get(Deviation, deviation_id).closed_at is not None


@pytest.mark.parametrize("command", [
    lambda number, ids: c.ReportDeviation(case=number, description="x", responsible="hc-dsk1"),
    lambda number, ids: c.RaiseEscalation(case=number, level="mas", reason="x"),
    lambda number, ids: c.AddAction(case=number, responsible="hc-dsk1", description="x", handling_time="urgent"),
    lambda number, ids: c.CompleteAction(action=ids["action"]),
])
def test_a_member_with_no_part_in_the_case_is_refused_before_the_use_case_runs(sqlite_url, example_data, command):
    number = _planned(sqlite_url, example_data)
    with unit_of_work() as s:
        action = s.exec(select(Action).order_by(Action.id)).first()
        before = {"deviations": len(s.exec(select(Deviation)).all()), "escalations": len(s.exec(select(Escalation)).all()),
                  "actions": len(s.exec(select(Action)).all()), "action_status": action.status}
    with pytest.raises(AccessDenied):
        with unit_of_work() as s:
            dispatch.execute(s, actor_for(s, "soc-bih"), command(number, {"action": action.id}), now=T0)
    with unit_of_work() as s:
        after = {"deviations": len(s.exec(select(Deviation)).all()), "escalations": len(s.exec(select(Escalation)).all()),
                 "actions": len(s.exec(select(Action)).all()), "action_status": s.get(Action, action.id).status}
        assert after == before
        refusals = s.exec(select(AuditEvent).where(AuditEvent.action.startswith("refused:"))).all()
        assert refusals and refusals[-1].actor == "soc-bih"  # the refusal is reviewable


def test_a_moment_is_stockholm_time_and_a_textarea_is_one_item_a_line():
    booked = c.build(c.BookSipMeeting, case="K-2026-0001", at="2026-07-01T10:00", place="hemma")
    assert booked.at.isoformat().startswith("2026-07-01T08:00")  # summer time: UTC+2
    revision = c.build(c.ReviseSip, case="K-2026-0001", other_plans="Vårdplan\n\n Rehabplan ", plan_b="")
    assert revision.other_plans == ["Vårdplan", "Rehabplan"]
    assert revision.plan_b == ""  # an empty plan B clears it: not the same as not given
    assert c.build(c.ReviseSip, case="K-2026-0001", plan_b=None).plan_b is None


def test_the_whole_list_of_those_who_stay_removes_the_others(sqlite_url, example_data):
    from coordination.usecases.common import current_sip
    from coordination.usecases.revising import content

    number = _planned(sqlite_url, example_data)
    with unit_of_work() as s:
        case = case_by_number(s, number)
        before = content(s, current_sip(s, case))
        coordinator = s.exec(select(Member).where(Member.code == before.coordinator)).one()
        joining = s.exec(select(Member).where(Member.organisation_id == coordinator.organisation_id,
                                              Member.code.not_in(before.participants))).first().code
        dispatch.execute(s, actor_for(s, "hsv-ssk1"), c.ReviseSip(case=number, add=[joining]), now=T0)
    with unit_of_work() as s:
        version = dispatch.execute(s, actor_for(s, "hsv-ssk1"), c.ReviseSip(
            case=number, keep=sorted(before.participants)), now=T0)  # the form without the one who joined
    with unit_of_work() as s:
        after = content(s, current_sip(s, case_by_number(s, number)))
        assert version == 3 and after.participants == before.participants


@pytest.mark.parametrize("personnummer", [GUSTAV, "19121212-1212"])
def test_a_signal_dated_in_the_future_is_refused_alike_for_a_known_and_an_unknown_person(sqlite_url, example_data,
                                                                                        personnummer):
    """What the signal says is checked before anyone is looked up: the answer does not tell
    whether the person is in coordination."""
    _planned(sqlite_url, example_data)
    with unit_of_work() as s, pytest.raises(InvalidInput) as refused:
        dispatch.execute(s, actor_for(s, "hc-dsk1"), c.build(
            c.ReportSignal, personnummer=personnummer, kind="emergency_visit", occurred_on="2099-01-01"), now=T0)
    assert refused.value.field == "occurred_on"


def test_person_commands_go_through_the_dispatcher(sqlite_url, example_data):
    from coordination.persistence.models import Block, SignalRecord

    _planned(sqlite_url, example_data)
    with unit_of_work() as s:
        signal_id = dispatch.execute(s, actor_for(s, "hc-dsk1"), c.build(
            c.ReportSignal, personnummer=GUSTAV, kind="concern_raised"), now=T0)
        block_id = dispatch.execute(s, actor_for(s, "hc-dsk1"), c.PlaceBlock(personnummer=GUSTAV,
                                                                               organisation="hc-norrby"), now=T0)
    with unit_of_work() as s:
        assert s.get(SignalRecord, signal_id).occurred_on == T0.date()  # today, when not given
        dispatch.execute(s, actor_for(s, "hc-dsk1"), c.LiftBlock(block=block_id), now=T0)
    with unit_of_work() as s:
        assert s.get(Block, block_id).lifted_at is not None


def test_a_command_about_an_unknown_record_is_not_found(sqlite_url, example_data):
    _planned(sqlite_url, example_data)
    with unit_of_work() as s, pytest.raises(NotFound) as missing:
        dispatch.execute(s, actor_for(s, "hsv-ssk1"), c.CompleteAction(action=999999), now=T0)
    assert missing.value.field == "action"
