"""A SIP revision can change everything in the plan (seed 000: the SIP is kept current as long as
needs remain); each version is kept whole, and any two versions can be compared, in the
workspace and with `case show --compare`. What a plan must name is checked again, and the
consent must cover every organisation the new plan brings in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from coordination.domain.sip_versions import Change, SipContent, changes, revised
from coordination.errors import AccessDenied, ConsentMissing, InvalidInput, NotFound, RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, Outbox, Sip, SipParticipant
from coordination.usecases import planning, revising
from coordination.usecases.acting import current_sip
from coordination.usecases.common import actor_for, member_by_code
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import T0, read, refused_and_unchanged
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV = "19380214-2012"  # consented to hc-norrby, hsv-norrby and rehab-norrby
NEXT = dt.date(2027, 1, 15)


def planned(url, data) -> None:
    open_and_plan(url, data)
    plan(GUSTAV)


def revise(by: str = "hc-dsk1", **changes):
    with unit_of_work() as s:
        return revising.revise_sip(s, actor_for(s, by), case=case_of(s, GUSTAV), now=T0, **changes).version


def version_codes(version: int) -> set[str]:
    from coordination.persistence.models import Member

    with unit_of_work() as s:
        sip = s.exec(select(Sip).where(Sip.case_id == case_of(s, GUSTAV).id, Sip.version == version)).one()
        return set(s.exec(select(Member.code).join(SipParticipant, SipParticipant.member_id == Member.id)
                          .where(SipParticipant.sip_id == sip.id)))


# --- the pure rules --------------------------------------------------------------------------

BASE = SipContent("a", frozenset({"a", "b"}), "Att klara mig hemma", "Ring", ("läkemedelsplan",),
                  dt.date(2027, 1, 1))


def test_a_revision_changes_only_what_is_given_and_keeps_the_coordinator_taking_part():
    new = revised(BASE, coordinator="c", remove=frozenset({"a"}), plan_b="")
    assert new.coordinator == "c" and new.participants == {"b", "c"} and new.plan_b is None
    assert new.what_matters == BASE.what_matters and new.other_plans == BASE.other_plans
    assert changes(BASE, new) == [Change("coordinator", "a", "c"), Change("participants", added=("c",), removed=("a",)),
                                  Change("plan_b", "Ring", None)]


def test_no_change_and_an_empty_text_equal_to_none_compare_as_the_same_plan():
    assert changes(BASE, revised(BASE)) == []
    assert changes(BASE, revised(BASE, other_plans=("läkemedelsplan", " "))) == []


# --- the use case --------------------------------------------------------------------------

def test_a_revision_can_change_every_part_and_keeps_each_version_whole(db_url, example_data):
    planned(db_url, example_data)
    before = version_codes(1)
    with unit_of_work() as s:  # the coordinator is the fixed care contact: another is named before they leave
        planning.name_fixed_contacts(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV),
                                     fixed_care_contact=member_by_code(s, "hsv-ssk1"), now=T0)
    version = revise(coordinator="rehab-ft", add=["rehab-at"], remove=["hc-dsk1"],
                     what_matters="Att kunna gå till affären själv", plan_b="Ring rehab vid fall",
                     other_plans=["rehabiliteringsplan"], next_follow_up=NEXT)
    assert version == 2
    assert version_codes(1) == before  # the first version still says what it said
    now_taking_part = version_codes(2)
    assert now_taking_part == (before - {"hc-dsk1"}) | {"rehab-at", "rehab-ft"}
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        sip = current_sip(s, case)
        assert (sip.what_matters, sip.plan_b, sip.other_plans, sip.next_follow_up) == (
            "Att kunna gå till affären själv", "Ring rehab vid fall", ["rehabiliteringsplan"], NEXT)
        assert s.get(type(case), case.id).coordinator_id == sip.coordinator_id
        old = s.exec(select(Sip).where(Sip.case_id == case.id, Sip.version == 1)).one()
        assert not old.current and old.superseded_at is not None and old.what_matters == "Att klara mig hemma med min hund"
        assert {a.follow_up_date for a in s.exec(select(Action).where(Action.case_id == case.id))} <= {NEXT}
        told = s.exec(select(Outbox).where(Outbox.kind == "sip_revised")).all()
        assert len(told) == len(now_taking_part)  # every participant of the new version is told


def test_any_two_versions_are_compared_in_either_order(db_url, example_data):
    planned(db_url, example_data)
    revise(plan_b="Ring rehab vid fall")
    revise(next_follow_up=NEXT, add=["rehab-at"])
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        one_to_three = revising.compare_versions(s, actor_for(s, "hc-dsk1"), case=case, first=1, second=3, now=T0)
        three_to_one = revising.compare_versions(s, actor_for(s, "hc-dsk1"), case=case, first=3, second=1, now=T0)
    assert [c.field for c in one_to_three] == ["participants", "plan_b", "next_follow_up"]
    assert one_to_three[0].added == ("rehab-at",) and one_to_three[1].after == "Ring rehab vid fall"
    assert three_to_one[0].removed == ("rehab-at",) and three_to_one[1].before == "Ring rehab vid fall"


@pytest.mark.parametrize("kwargs, error, field", [
    (dict(), InvalidInput, "revision"),  # nothing changed
    (dict(what_matters="  "), InvalidInput, "what_matters"),
    (dict(remove=["hc-dsk1"]), RuleViolation, "remove"),  # the coordinator cannot just leave
    # nor the fixed care contact (here the coordinator too) when another coordinator is named
    (dict(coordinator="rehab-ft", remove=["hc-dsk1"]), RuleViolation, "remove"),
    (dict(next_follow_up=dt.date(2026, 1, 1)), InvalidInput, "next_follow_up"),
    (dict(add=["nobody"]), NotFound, "participant"),
    # a participant from an organisation the person has not consented to: the consent stops it
    (dict(add=["soc-bih"]), ConsentMissing, "consent"),
])
def test_a_revision_that_breaks_a_rule_is_refused_and_writes_nothing(db_url, example_data, kwargs, error, field):
    planned(db_url, example_data)
    refused_and_unchanged(lambda: revise(**kwargs), error, field, read(
        lambda s: s.exec(select(Sip.version).where(Sip.case_id == case_of(s, GUSTAV).id)).all()))


def test_a_participant_responsible_for_an_open_action_cannot_leave(db_url, example_data):
    planned(db_url, example_data)
    with unit_of_work() as s:
        responsible = {a.responsible_id for a in s.exec(select(Action).where(Action.case_id == case_of(s, GUSTAV).id))}
        from coordination.persistence.models import Member
        code = next(m.code for m in s.exec(select(Member).where(Member.id.in_(responsible))) if m.code != "hc-dsk1")
    with pytest.raises(RuleViolation, match="open action") as err:
        revise(remove=[code])
    assert err.value.field == "remove"


def test_only_those_taking_part_may_revise_and_compare(db_url, example_data):
    planned(db_url, example_data)
    with pytest.raises(AccessDenied):
        revise(by="soc-bih", plan_b="Ring")
    with unit_of_work() as s:
        with pytest.raises(AccessDenied):
            revising.compare_versions(s, actor_for(s, "soc-bih"), case=case_of(s, GUSTAV), first=1, second=1, now=T0)


def test_an_unknown_version_names_the_versions_there_are(db_url, example_data):
    planned(db_url, example_data)
    with unit_of_work() as s:
        with pytest.raises(NotFound, match="no SIP version 4") as err:
            revising.compare_versions(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV), first=1, second=4, now=T0)
    assert "1" in err.value.hint


# --- the command line ------------------------------------------------------------------------

@pytest.mark.slow  # runs the command in a subprocess
def test_sip_revise_and_case_show_compare_on_the_command_line(sqlite_url, example_data):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    done = run(sqlite_url, "sip", "revise", number, "--by", "hc-dsk1", "--plan-b", "Ring rehab",
               "--other-plan", "rehabiliteringsplan", "--other-plan", "läkemedelsplan", "--follow-up", "2027-01-15")
    assert done.returncode == 0 and "version 2" in done.stdout, done.stderr
    shown = run(sqlite_url, "case", "show", number, "--by", "hc-dsk1", "--compare", "1:2")
    assert shown.returncode == 0, shown.stderr
    found = {c["field"]: c for c in json.loads(shown.stdout)["changes"]}
    assert set(found) == {"plan_b", "other_plans", "next_follow_up"}
    assert found["plan_b"]["after"] == "Ring rehab" and found["next_follow_up"]["after"] == "2027-01-15"


@pytest.mark.slow  # runs the command in a subprocess
@pytest.mark.parametrize("args, field", [
    (["--compare", "1-2"], "compare"),
    (["--compare", "1:9"], "version"),
])
def test_a_bad_comparison_is_refused_by_name(sqlite_url, example_data, args, field):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "case", "show", number, "--by", "hc-dsk1", *args)
    assert result.returncode != 0 and f"field '{field}'" in result.stderr
    assert snapshot(sqlite_url) == before


def test_the_relatives_need_in_the_assessment_becomes_part_of_the_plan_and_can_be_revised(db_url, example_data):
    """Seeds 000, 002, 004: the relatives' need of support and relief is considered in the plan."""
    from tests.conftest import ADMIN

    open_and_plan(db_url, example_data)
    with unit_of_work() as s:  # a newer handover for Gustav, with what the assessment found for his daughter
        planning.submit_assessment(
            s, ADMIN, case=case_of(s, GUSTAV), author=member_by_code(s, "hc-dsk1"), what_matters="Att bo kvar hemma",
            situation="S", background="B", current_status="A", recommendation="R", needs={},
            professions=["nurse", "physiotherapist"], handling_time="next_working_day", now=T0,
            relatives_support_need="Dottern behöver avlastning helger")
    plan(GUSTAV)
    with unit_of_work() as s:
        assert current_sip(s, case_of(s, GUSTAV)).relatives_support == "Dottern behöver avlastning helger"
    revise(relatives_support="Växelvård en helg i månaden")
    with unit_of_work() as s:
        [change] = revising.compare_versions(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV), first=1, second=2,
                                             now=T0)
    assert (change.field, change.before, change.after) == (
        "relatives_support", "Dottern behöver avlastning helger", "Växelvård en helg i månaden")


def test_case_show_keeps_what_every_earlier_version_said(db_url, example_data):
    from coordination.usecases import queries

    planned(db_url, example_data)
    first = version_codes(1)
    revise(what_matters="Att kunna gå till affären själv", add=["rehab-at"])
    with unit_of_work() as s:
        record = queries.case_record(s, actor_for(s, "hc-dsk1"), case_of(s, GUSTAV).number, now=T0)
    [earlier] = record["sip"]["earlier_versions"]
    assert earlier["version"] == 1 and earlier["what_matters"] == "Att klara mig hemma med min hund"
    assert {p["code"] for p in earlier["participants"]} == first
    assert {p["code"] for p in record["sip"]["participants"]} == first | {"rehab-at"}
