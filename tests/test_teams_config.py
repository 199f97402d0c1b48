"""deployments/teams.yaml: every bad value is refused with the file, the field and the reason."""

from __future__ import annotations

import pytest
import yaml

from coordination.errors import InvalidInput
from coordination.config.teams import load_teams
from tests.conftest import ROOT

SHIPPED = ROOT / "deployments" / "teams.yaml"


def base() -> dict:
    return yaml.safe_load(SHIPPED.read_text())


def write(tmp_path, data) -> str:
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_teams_file_is_valid():
    [team] = load_teams(SHIPPED)
    assert team.meetings[0].weekday == 1 and team.leadership_group.interval_weeks == 12


def series(data):
    return data["teams"][0]["meetings"][0]


@pytest.mark.parametrize("change, field, words", [
    (lambda d: series(d).update(weekday="funday"), "teams[0].meetings[0].weekday", "not a weekday"),
    (lambda d: series(d).update(start="25:00"), "teams[0].meetings[0].start", "not a time of day"),
    (lambda d: series(d).update(start=780), "teams[0].meetings[0].start", "quotes"),  # unquoted 13:00 in YAML
    (lambda d: series(d).update(timezone="Europe/Norrby"), "teams[0].meetings[0].timezone", "not a timezone"),
    (lambda d: series(d)["rotation"].append({"organisation": "ht-norrby", "eligible": []}),
     "teams[0].meetings[0].rotation[2].eligible", "no eligible members"),
    (lambda d: series(d)["rotation"].append({"organisation": "ht-norrby", "eligible": ["hc-dsk1"]}),
     "teams[0].meetings[0].rotation[2].eligible", "no eligible members"),
    (lambda d: d["teams"].append(dict(d["teams"][0], meetings=[])), "teams[1].id", "duplicate team id"),
    (lambda d: d["teams"].append(dict(d["teams"][0], id="other")), "teams[1].meetings[0].id",
     "duplicate meeting series id"),
    (lambda d: d["teams"][0]["leadership_group"].update(interval_weeks=13),
     "teams[0].leadership_group.interval_weeks", "fewer than twice per half-year"),
    (lambda d: d["teams"][0]["members"].append({"code": "x", "role": "nurse"}), "teams[0].members[9].organisation",
     "in no organisation"),
    (lambda d: d["teams"][0]["members"].append({"code": "x", "role": "nurse", "organisation": "elsewhere"}),
     "teams[0].members[9].organisation", "in no organisation"),
    (lambda d: series(d).update(holiday_policy="ignore"), "teams[0].meetings[0].holiday_policy", "skip"),
    (lambda d: series(d).update(link="meet.example.org"), "teams[0].meetings[0].link", "https://"),
])
def test_bad_teams_file_is_refused(tmp_path, change, field, words):
    data = base()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(InvalidInput) as err:
        load_teams(path)
    text = str(err.value)
    assert str(path) in text and f"field '{field}'" in text and words in text, text


def test_config_check_refuses_a_bad_teams_file_and_warns_on_leadership(tmp_path, sqlite_url, monkeypatch):
    from tests.cli.test_bad_input import run

    data = base()
    data["teams"][0]["leadership_group"]["held"] = ["2026-02-10"]
    monkeypatch.setenv("COORDINATION_TEAMS_CONFIG", str(write(tmp_path, data)))
    ok = run(sqlite_url, "config", "check")
    assert ok.returncode == 0 and "warning: team norrby: the leadership group met fewer than 2 times" in ok.stdout
    series(data)["start"] = "25:00"
    monkeypatch.setenv("COORDINATION_TEAMS_CONFIG", str(write(tmp_path, data)))
    refused = run(sqlite_url, "config", "check")
    assert refused.returncode != 0 and "teams[0].meetings[0].start" in refused.stderr
