"""The person or a relative may ask for coordination (seeds 003, 004): who did is recorded with
the case. The relatives' need of support and relief is a recorded part of the assessment (000,
002, 004)."""

from __future__ import annotations

import pytest

from coordination.domain.vocabulary import Initiator
from coordination.persistence.engine import unit_of_work
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import load_area
from tests.usecases.test_cycle import case_of, open_and_plan
from tests.usecases.test_sbar_bilaga_2 import SIGGE

NO_CASE_YET = "19551028-7195"  # in the example area: one emergency visit, so identify opens no case


@pytest.mark.slow  # runs the command in a subprocess
def test_a_case_opened_at_a_relatives_request_records_it(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    assert run(sqlite_url, "identify").returncode == 0
    result = run(sqlite_url, "case", "open", NO_CASE_YET, "--by", "hc-dsk2", "--initiated-by", "relative")
    assert result.returncode == 0, result.stderr
    with unit_of_work() as s:  # (nobody may read the case yet: the person has not consented)
        case = case_of(s, NO_CASE_YET)
        assert case.initiated_by == Initiator.RELATIVE and case.flagged_for_meeting


def test_cases_the_screening_opens_say_so(db_url, example_data):
    open_and_plan(db_url, example_data)
    with unit_of_work() as s:
        assert case_of(s, SIGGE).initiated_by == Initiator.IDENTIFICATION


@pytest.mark.slow  # runs the command in a subprocess
@pytest.mark.parametrize("who, words", [("neighbour", "staff"), ("identification", "identification opens cases")])
def test_an_unknown_initiator_is_refused_and_writes_nothing(sqlite_url, example_data, who, words):
    load_area(sqlite_url, example_data)
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "case", "open", NO_CASE_YET, "--by", "hc-dsk2", "--initiated-by", who)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "field 'initiated_by'" in result.stderr and words in result.stderr
    assert snapshot(sqlite_url) == before
