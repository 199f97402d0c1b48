"""The rest of Bilaga 2 in the SBAR handover: the doctor's order and the yes/no boxes (current
medication list, consent obtained), and the finding that a child is seriously ill, which marks the
case and stays marked."""

from __future__ import annotations

import pytest

import json

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member
from coordination.usecases import planning, queries
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import ADMIN, T0, load_area
from tests.usecases.test_cycle import case_of, open_and_plan

SIGGE = "20150622-8673"  # the example area's seriously ill child (handovers.yaml)
GUSTAV = "19380214-2012"  # an adult with a case and a consent that names hc-norrby


def submit(pnr: str, **fields) -> int:
    with unit_of_work() as s:
        case = case_of(s, pnr)
        author = s.exec(Member.__table__.select().where(Member.code == "hc-dsk1")).first()
        return planning.submit_assessment(
            s, ADMIN, case=case, author=s.get(Member, author.id), what_matters="Att bo kvar hemma",
            situation="S", background="B", current_status="A", recommendation="R", needs={}, professions=[],
            handling_time="next_working_day", now=T0, **fields)


def test_the_doctors_order_and_the_boxes_are_kept_and_shown_with_the_handover(db_url, example_data):
    open_and_plan(db_url, example_data)
    submit(SIGGE, doctor_order="Furosemid 20 mg x 1", medication_list_current=True, consent_obtained=False)
    with unit_of_work() as s:
        planning.accept_assessment(s, ADMIN, case=case_of(s, SIGGE), now=T0)
    with unit_of_work() as s:
        shown = queries.case_record(s, ADMIN, case_of(s, SIGGE).number, now=T0)["assessment"]
    assert (shown["doctor_order"], shown["medication_list_current"], shown["consent_obtained"]) == \
        ("Furosemid 20 mg x 1", True, False)


def test_a_seriously_ill_child_stays_marked_when_a_later_handover_leaves_it_out(db_url, example_data):
    open_and_plan(db_url, example_data)  # the import's handover finds Sigge seriously ill
    with unit_of_work() as s:
        assert case_of(s, SIGGE).seriously_ill
    submit(SIGGE)  # a later handover without the finding does not clear it
    with unit_of_work() as s:
        assert case_of(s, SIGGE).seriously_ill


@pytest.mark.slow  # runs the command in a subprocess
def test_seriously_ill_is_refused_for_an_adult_and_writes_nothing(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "assess", number, "--by", "hc-dsk1", "--what-matters", "x", "--situation", "x",
                 "--background", "x", "--assessment", "x", "--recommendation", "x",
                 "--handling-time", "next_day", "--seriously-ill")
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "field 'seriously_ill'" in result.stderr and "child" in result.stderr
    assert snapshot(sqlite_url) == before


@pytest.mark.slow  # runs the command in a subprocess
def test_the_cli_takes_the_rest_of_bilaga_2(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    assert run(sqlite_url, "identify").returncode == 0
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    result = run(sqlite_url, "assess", number, "--by", "hc-dsk1", "--what-matters", "Att klara sig själv",
                 "--situation", "x", "--background", "x", "--assessment", "x", "--recommendation", "x",
                 "--handling-time", "next_day", "--doctor-order", "Paracetamol vid behov", "--medication-list",
                 "--no-consent-obtained")
    assert result.returncode == 0, result.stderr
    shown = run(sqlite_url, "case", "show", number, "--by", "hc-dsk1")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["assessment"]["doctor_order"] == "Paracetamol vid behov"
    assert record["assessment"]["medication_list_current"] is True
    assert record["assessment"]["consent_obtained"] is False
