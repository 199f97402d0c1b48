"""The identification thresholds are the administrators' settings (deployments/identification.yaml),
checked strictly; staff report signals with `coordination signal`, and identify screens them
against the thresholds in force."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from coordination.config.identification import load_screening
from coordination.domain.identification import ScreeningPolicy
from coordination.errors import InvalidInput
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import CareCase, Person, SignalRecord
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import ROOT, load_area
from tests.support import refusal

SINGLE_VISIT = "19551028-7195"  # in the example area: one emergency visit only, so no case by default


def write(tmp_path, text: str):
    path = tmp_path / "identification.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_holds_the_defaults():
    assert load_screening(ROOT / "deployments" / "identification.yaml") == ScreeningPolicy()


def test_without_a_file_the_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COORDINATION_IDENTIFICATION_CONFIG", raising=False)
    assert load_screening() == ScreeningPolicy()


def test_a_file_named_in_the_environment_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATION_IDENTIFICATION_CONFIG", str(tmp_path / "nowhere.yaml"))
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_screening()


@pytest.mark.parametrize("text, field, words", [
    ("frequent_visit: 2\n", "frequent_visit", "did you mean 'frequent_visits'"),
    ("frequent_visits: 0\n", "frequent_visits", "from 1 to 100"),
    ("frequent_visits: many\n", "frequent_visits", "is not a number of visits"),
    ("elderly_age: true\n", "elderly_age", "is not a number of years"),
    ("lookback_days: 5\n", "lookback_days", "from 30 to 3650"),
])
def test_a_bad_setting_is_refused_with_file_field_and_reason(tmp_path, text, field, words):
    error = refusal(load_screening, write(tmp_path, text))
    assert f"field '{field}'" in error and words in error


def test_broken_yaml_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_screening(write(tmp_path, "frequent_visits: [1\n"))


def _case_of(url, pnr):
    with unit_of_work(url) as s:
        person = s.exec(select(Person).where(Person.personnummer == pnr)).one()
        return s.exec(select(CareCase).where(CareCase.person_id == person.id)).first()


@pytest.mark.slow  # runs the command in a subprocess
def test_identify_applies_the_thresholds_in_force(sqlite_url, example_data, tmp_path):
    load_area(sqlite_url, example_data)
    strict = run(sqlite_url, "identify")
    assert strict.returncode == 0 and _case_of(sqlite_url, SINGLE_VISIT) is None
    # a region that counts one emergency visit as frequent: the same person is identified
    with unit_of_work(sqlite_url) as s:
        for signal in s.exec(select(SignalRecord)):
            signal.screened_at = None
            s.add(signal)
    path = write(tmp_path, "frequent_visits: 1\n")
    result = run(sqlite_url, "identify", "--json", env={"COORDINATION_IDENTIFICATION_CONFIG": str(path)})
    assert result.returncode == 0, result.stderr
    case = _case_of(sqlite_url, SINGLE_VISIT)
    assert case is not None and case.reasons == ["frequent_visitor"]
    assert case.number in json.loads(result.stdout)["opened"]


@pytest.mark.slow  # runs the command in a subprocess
def test_a_signal_reported_on_the_command_line_is_screened(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    assert run(sqlite_url, "identify").returncode == 0
    assert _case_of(sqlite_url, SINGLE_VISIT) is None
    result = run(sqlite_url, "signal", SINGLE_VISIT, "--by", "hc-dsk1", "--kind", "readmission", "--on", "2026-11-16")
    assert result.returncode == 0, result.stderr
    with unit_of_work(sqlite_url) as s:
        [signal] = s.exec(select(SignalRecord).where(SignalRecord.screened_at == None)).all()  # noqa: E711
        assert signal.kind == "readmission" and signal.reported_by_id is not None and signal.organisation_id
    assert run(sqlite_url, "identify").returncode == 0
    assert _case_of(sqlite_url, SINGLE_VISIT).reasons == ["readmitted"]


@pytest.mark.slow  # runs the command in a subprocess
@pytest.mark.parametrize("args, field, words", [
    (["--kind", "headache"], "field 'kind'", "emergency_visit"),
    (["--kind", "readmission", "--on", "2999-01-01"], "field 'occurred_on'", "in the future"),
    (["--kind", "school_absence", "--days", "0"], "field 'days'", "from 1 to 365"),
])
def test_a_bad_signal_is_refused_and_writes_nothing(sqlite_url, example_data, args, field, words):
    load_area(sqlite_url, example_data)
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "signal", SINGLE_VISIT, "--by", "hc-dsk1", *args)
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1
    assert field in result.stderr and words in result.stderr
    assert snapshot(sqlite_url) == before
