"""The person's own verdict at a follow-up: "I get the care and support I need, when I need it and
where I need it" (seeds 000 and 002). Recorded with the follow-up, shown with the case, counted in
the annual indicators; a value that is not one of the three answers is refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from coordination.domain.vocabulary import PersonVerdict
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import FollowUp, Member
from coordination.usecases import following_up, queries
from coordination.usecases.acting import current_sip
from coordination.usecases.reports import annual_indicators
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import ADMIN
from tests.usecases.test_cycle import FOLLOW_UP_DAY, case_of, open_and_plan, plan

GUSTAV, ASTRID = "19380214-2012", "19360730-3868"


def planned_cases(url, data) -> None:
    open_and_plan(url, data)
    plan(GUSTAV)
    plan(ASTRID)


def follow_up(pnr: str, verdict: PersonVerdict | None, *, remain: bool = True) -> None:
    with unit_of_work() as s:
        case = case_of(s, pnr)
        coordinator = s.get(Member, current_sip(s, case).coordinator_id)
        following_up.record_follow_up(s, ADMIN, case=case, by=coordinator, outcome="Followed up", needs_remain=remain,
                                      next_follow_up=FOLLOW_UP_DAY.add(days=60).date() if remain else None,
                                      now=FOLLOW_UP_DAY, verdict=verdict)


def test_the_verdict_is_kept_with_the_follow_up_and_shown_with_the_case(db_url, example_data):
    planned_cases(db_url, example_data)
    follow_up(GUSTAV, PersonVerdict.PARTLY)
    with unit_of_work() as s:
        assert s.exec(select(FollowUp.person_verdict)).all() == [PersonVerdict.PARTLY]
        record = queries.case_record(s, ADMIN, case_of(s, GUSTAV).number, now=FOLLOW_UP_DAY)
    assert [f["person_verdict"] for f in record["follow_ups"]] == ["partly"]


def test_the_annual_indicators_count_the_verdicts_and_the_share_who_agree(db_url, example_data):
    planned_cases(db_url, example_data)
    follow_up(GUSTAV, PersonVerdict.AGREE)
    follow_up(ASTRID, None)  # not asked: counted apart, and not in the share
    follow_up(ASTRID, PersonVerdict.DISAGREE)
    with unit_of_work() as s:
        figures = annual_indicators(s, FOLLOW_UP_DAY.year)
    assert (figures["person_verdict_agree"], figures["person_verdict_partly"], figures["person_verdict_disagree"],
            figures["person_verdict_not_asked"]) == (1, 0, 1, 1)
    assert figures["person_agrees_percent"] == 50.0


def test_no_verdict_asked_gives_no_share(db_url, example_data):
    planned_cases(db_url, example_data)
    follow_up(GUSTAV, None)
    with unit_of_work() as s:
        figures = annual_indicators(s, FOLLOW_UP_DAY.year)
    assert figures["person_verdict_not_asked"] == 1 and figures["person_agrees_percent"] is None


@pytest.mark.slow  # runs the command in a subprocess
@pytest.mark.parametrize("verdict", ["maybe", "yes"])
def test_the_cli_refuses_an_answer_that_is_not_one_of_the_three(sqlite_url, example_data, verdict):
    planned_cases(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
        coordinator = s.get(Member, current_sip(s, case_of(s, GUSTAV)).coordinator_id).code
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "follow-up", number, "--by", coordinator, "--outcome", "x", "--needs-met",
                 "--verdict", verdict)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "field 'verdict'" in result.stderr and "agree" in result.stderr
    assert snapshot(sqlite_url) == before


@pytest.mark.slow  # runs the command in a subprocess
def test_the_cli_records_the_answer(sqlite_url, example_data):
    planned_cases(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
        coordinator = s.get(Member, current_sip(s, case_of(s, GUSTAV)).coordinator_id).code
    result = run(sqlite_url, "follow-up", number, "--by", coordinator, "--outcome", "Well", "--needs-met",
                 "--verdict", "agree")
    assert result.returncode == 0, result.stderr
    with unit_of_work() as s:
        assert s.exec(select(FollowUp.person_verdict)).all() == [PersonVerdict.AGREE]


@pytest.mark.slow  # runs the command in a subprocess
def test_an_import_refuses_an_unknown_answer_and_writes_nothing(sqlite_url, example_data, tmp_path):
    planned_cases(sqlite_url, example_data)
    path = tmp_path / "follow-ups.yaml"
    path.write_text("follow_ups:\n  - {person: 19380214-2012, by: hc-dsk1, outcome: x, needs_remain: false, "
                    "verdict: sometimes}\n", encoding="utf-8")
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "import", str(path))
    assert result.returncode != 0 and "follow_ups[0]" in result.stderr and "verdict" in result.stderr
    assert snapshot(sqlite_url) == before
