"""Deviations and escalation (seeds 001, 004 §9-10): anyone taking part reports what did not
happen; the responsible member's manager is told, lists and closes it. A question the
professionals cannot settle goes to MAS, MAR, MLA or the managers with its reason; they may read
the case, are told, and answer. The annual report counts both."""

from __future__ import annotations

import pytest
from sqlmodel import select

from coordination.domain.vocabulary import EscalationLevel
from coordination.errors import AccessDenied, ConsentMissing, InvalidInput, NotFound, RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, Deviation, Escalation, Outbox
from coordination.usecases import deviations, escalations, queries, workspace
from coordination.usecases.common import actor_for, member_by_code
from coordination.usecases.reports import annual_indicators
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import T0, read, refused_and_unchanged
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV = "19380214-2012"  # consented to hc-norrby, hsv-norrby, rehab-norrby
SIGGE = "20150622-8673"  # consented to hc-norrby, hsv-norrby, bkl-region: not rehab-norrby (the MAR's)


@pytest.fixture
def gustav(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        action = s.exec(select(Action).where(Action.case_id == case.id).order_by(Action.id)).first()
        return case.number, action.id, member_by_code(s, "hc-dsk1").id


def report(by="hc-dsk1", pnr=GUSTAV, **kw):
    with unit_of_work() as s:
        return deviations.report_deviation(s, actor_for(s, by), case=case_of(s, pnr), now=T0,
                                           description=kw.pop("description", "Hembesöket blev inte av"), **kw)


def test_a_participant_reports_a_deviation_and_the_managers_is_told_without_the_details(gustav):
    number, action_id, _ = gustav
    deviation_id = report(action_id=action_id)
    with unit_of_work() as s:
        deviation = s.get(Deviation, deviation_id)
        action = s.get(Action, action_id)
        from coordination.persistence.models import Member
        assert deviation.responsible_id == action.responsible_id
        assert deviation.manager_id == s.get(Member, action.responsible_id).manager_id
        [told] = s.exec(select(Outbox).where(Outbox.kind == "deviation_reported")).all()
        assert told.member_id == deviation.manager_id
        assert "Hembesöket" not in told.subject + told.body  # the report's words stay in the workspace


@pytest.mark.parametrize("kw, error, field", [
    (dict(description=" "), InvalidInput, "description"),
    (dict(), InvalidInput, "responsible"),  # neither an action nor a responsible member
    (dict(action_id=99999), NotFound, "action"),
])
def test_a_report_that_breaks_a_rule_is_refused_and_writes_nothing(gustav, kw, error, field):
    refused_and_unchanged(lambda: report(**kw), error, field, read(lambda s: s.exec(select(Deviation)).all()))


def test_someone_not_taking_part_cannot_report(gustav):
    with pytest.raises(AccessDenied):
        with unit_of_work() as s:
            deviations.report_deviation(s, actor_for(s, "soc-bih"), case=case_of(s, GUSTAV), now=T0,
                                        description="x", responsible=member_by_code(s, "hc-dsk1"))


def test_the_manager_lists_and_closes_only_their_units_deviations(gustav):
    with unit_of_work() as s:
        deviation_id = deviations.report_deviation(s, actor_for(s, "hsv-ssk1"), case=case_of(s, GUSTAV), now=T0,
                                                   description="Ingen återrapport", responsible=member_by_code(s, "hc-dsk1"))
    with unit_of_work() as s:
        [line] = workspace.unit_deviations(s, actor_for(s, "hc-chef"), now=T0)
        assert line.id == deviation_id and line.description == "Ingen återrapport" and line.closed_at is None
        assert workspace.unit_deviations(s, actor_for(s, "hsv-chef"), now=T0) == []
    with pytest.raises((RuleViolation, AccessDenied)):
        with unit_of_work() as s:
            deviations.close_deviation(s, actor_for(s, "hsv-chef"), deviation_id=deviation_id, note="x", now=T0)
    with pytest.raises(InvalidInput):
        with unit_of_work() as s:
            deviations.close_deviation(s, actor_for(s, "hc-chef"), deviation_id=deviation_id, note=" ", now=T0)
    with unit_of_work() as s:
        deviations.close_deviation(s, actor_for(s, "hc-chef"), deviation_id=deviation_id,
                                   note="Rutinen för återrapport är genomgången", now=T0)
    with pytest.raises(RuleViolation, match="already closed"):
        with unit_of_work() as s:
            deviations.close_deviation(s, actor_for(s, "hc-chef"), deviation_id=deviation_id, note="igen", now=T0)
    with unit_of_work() as s:
        [line] = workspace.unit_deviations(s, actor_for(s, "hc-chef"), now=T0)
        assert line.closed_at is not None and line.closing_note == "Rutinen för återrapport är genomgången"


def escalate(level, by="hc-dsk1", pnr=GUSTAV, reason="Oenighet om vem som ansvarar för såromläggning"):
    with unit_of_work() as s:
        return escalations.escalate(s, actor_for(s, by), case=case_of(s, pnr), level=level, reason=reason, now=T0)


def test_a_question_taken_to_mas_may_be_read_and_answered_by_the_mas_only(gustav):
    number = gustav[0]
    with pytest.raises(AccessDenied):  # before: the MAS has no relationship with the case
        with unit_of_work() as s:
            queries.case_record(s, actor_for(s, "mas"), number, now=T0)
    escalation_id = escalate(EscalationLevel.MAS)
    with unit_of_work() as s:
        record = queries.case_record(s, actor_for(s, "mas"), number, now=T0)
        [shown] = record["escalations"]
        assert shown["may_answer"] and shown["reason"].startswith("Oenighet")
        assert [r.member_id for r in s.exec(select(Outbox).where(Outbox.kind == "escalation"))] == [
            member_by_code(s, "mas").id]
    with pytest.raises(RuleViolation, match="only those it was taken to"):
        with unit_of_work() as s:
            escalations.answer_escalation(s, actor_for(s, "hc-dsk1"), escalation_id=escalation_id, answer="x", now=T0)
    with unit_of_work() as s:
        escalations.answer_escalation(s, actor_for(s, "mas"), escalation_id=escalation_id,
                                      answer="Kommunens sjuksköterska ansvarar", now=T0)
    with unit_of_work() as s:
        escalation = s.get(Escalation, escalation_id)
        assert escalation.answer == "Kommunens sjuksköterska ansvarar"
        [told] = s.exec(select(Outbox).where(Outbox.kind == "escalation_answered")).all()
        assert told.member_id == member_by_code(s, "hc-dsk1").id


def test_a_dispute_goes_to_the_managers_of_the_units_taking_part(gustav):
    escalation_id = escalate(EscalationLevel.MANAGERS)
    with unit_of_work() as s:
        from coordination.persistence.models import EscalationRecipient, Member
        codes = {s.get(Member, r.member_id).code for r in s.exec(select(EscalationRecipient).where(
            EscalationRecipient.escalation_id == escalation_id))}
    assert "hc-chef" in codes and codes <= {"hc-chef", "hsv-chef", "rehab-chef"}


def test_an_escalation_the_consent_does_not_cover_is_refused_and_writes_nothing(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan(SIGGE)
    with pytest.raises(ConsentMissing):
        escalate(EscalationLevel.MAR, by="bkl-ssk", pnr=SIGGE)
    with pytest.raises(InvalidInput):
        escalate(EscalationLevel.MAS, by="bkl-ssk", pnr=SIGGE, reason=" ")
    with pytest.raises(AccessDenied):
        escalate(EscalationLevel.MAS, by="soc-bih", pnr=SIGGE)
    with unit_of_work() as s:
        assert s.exec(select(Escalation)).all() == []


def test_the_annual_report_counts_deviations_and_escalations(gustav):
    number, action_id, _ = gustav
    deviation_id = report(action_id=action_id)
    with unit_of_work() as s:
        manager = s.get(Deviation, deviation_id).manager_id
        from coordination.persistence.models import Member
        deviations.close_deviation(s, actor_for(s, s.get(Member, manager).code), deviation_id=deviation_id,
                                   note="Åtgärdat", now=T0)
    answered = escalate(EscalationLevel.MAS)
    escalate(EscalationLevel.MLA)
    with unit_of_work() as s:
        escalations.answer_escalation(s, actor_for(s, "mas"), escalation_id=answered, answer="Svar", now=T0)
    with unit_of_work() as s:
        figures = annual_indicators(s, T0.year)
    assert (figures["deviations_reported"], figures["deviations_closed"]) == (1, 1)
    assert (figures["escalations"], figures["escalations_mas"], figures["escalations_mla"],
            figures["escalations_answered"]) == (2, 1, 1, 1)


@pytest.mark.slow  # runs the command in a subprocess
def test_deviations_and_escalations_on_the_command_line(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    before = snapshot(sqlite_url)
    for args, field in ((["deviation", "report", number, "--by", "hc-dsk1", "--description", "x"], "responsible"),
                        (["escalation", "raise", number, "--by", "hc-dsk1", "--to", "boss", "--reason", "x"], "level"),
                        (["deviation", "close", "7", "--by", "hc-chef", "--note", "x"], "deviation")):
        result = run(sqlite_url, *args)
        assert result.returncode != 0 and f"field '{field}'" in result.stderr, (args, result.stderr)
    assert snapshot(sqlite_url) == before
    reported = run(sqlite_url, "deviation", "report", number, "--by", "hsv-ssk1", "--description", "Ingen återrapport",
                   "--responsible", "hc-dsk1")
    assert reported.returncode == 0 and "deviation 1 reported" in reported.stdout, reported.stderr
    listed = run(sqlite_url, "deviation", "list", "--by", "hc-chef")
    assert "#1" in listed.stdout and "open" in listed.stdout and "Ingen återrapport" in listed.stdout
    closed = run(sqlite_url, "deviation", "close", "1", "--by", "hc-chef", "--note", "Genomgånget")
    assert closed.returncode == 0, closed.stderr
    raised = run(sqlite_url, "escalation", "raise", number, "--by", "hc-dsk1", "--to", "mla", "--reason", "Oklart")
    assert raised.returncode == 0 and "taken to mla" in raised.stdout, raised.stderr
    answered = run(sqlite_url, "escalation", "answer", "1", "--by", "mla", "--answer", "Läkaren ansvarar")
    assert answered.returncode == 0, answered.stderr
