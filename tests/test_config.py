"""Administrators' notification config: refused at load time with file, field and reason."""

from __future__ import annotations

import pytest

from coordination.config.notifications import check_member_targets, load_notifications
from coordination.errors import InvalidInput
from tests.cli.test_bad_input import run
from tests.conftest import ROOT
from tests.support import refusal


def write(tmp_path, text):
    path = tmp_path / "notifications.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid():
    config = load_notifications(ROOT / "deployments" / "notifications.yaml")
    assert config.operations_tag in config.tags


@pytest.mark.parametrize("text, field, words", [
    ("sweep: {due_soon_working_days: -1}\n", "sweep.due_soon_working_days", "from 0 to 60"),
    ("sweep: {escalation_grace_working_days: 400}\n", "sweep.escalation_grace_working_days", "from 0 to 60"),
    ("sweep: {due_soon_working_days: soon}\n", "sweep.due_soon_working_days", "working days"),
    ("sweep: {schedule: '0 25 * * *'}\n", "sweep.schedule", "cron"),
    ("sweep: {lead: 3}\n", "sweep", "unknown setting"),
    ("tags: {ops: ['nosuchscheme://x']}\n", "tags.ops[0]", "not a valid apprise URL"),
    ("tags: {ops: []}\n", "tags.ops", "non-empty"),
    ("tags: {ops: ['json://127.0.0.1/x']}\noperations_tag: pager\n", "operations_tag", "unknown tag"),
    ("delivery: {time_budget_minutes: 0}\n", "delivery.time_budget_minutes", "from 1 to 60"),
    ("delivery: {concurrency: 0}\n", "delivery.concurrency", "sends in flight from 1 to 64"),
    ("delivery: {concurrency: many}\n", "delivery.concurrency", "sends in flight"),
    ("delivery: {threads: 4}\n", "delivery", "unknown settings"),
])
def test_bad_config_is_refused_with_field_and_reason(tmp_path, text, field, words):
    error = refusal(load_notifications, write(tmp_path, text))
    assert f"field '{field}'" in error and words in error


def test_env_targets_are_checked_when_set(tmp_path, monkeypatch):
    path = write(tmp_path, "tags: {ops: ['env:OPS_URL']}\n")
    load_notifications(path)  # not set: reported at delivery, not a config error
    monkeypatch.setenv("OPS_URL", "bogus://nothing")
    with pytest.raises(InvalidInput, match="env:OPS_URL"):
        load_notifications(path)


def test_members_naming_an_unknown_tag_are_refused(tmp_path):
    config = load_notifications(write(tmp_path, "tags: {team: ['json://127.0.0.1/x']}\n"))
    check_member_targets(config, [("hc-dsk1", ["tag:team"])])
    with pytest.raises(InvalidInput) as err:
        check_member_targets(config, [("hc-dsk1", ["tag:team"]), ("hsv-ssk1", ["tag:nurses"])])
    assert "member hsv-ssk1 field 'notify[0]'" in str(err.value) and "unknown tag 'nurses'" in str(err.value)


@pytest.mark.slow  # runs the command in a subprocess
def test_config_check_command(sqlite_url, example_data, tmp_path, monkeypatch):
    from tests.conftest import load_area

    load_area(sqlite_url, example_data)
    monkeypatch.setenv("COORDINATION_OPS_URL", "json://127.0.0.1:9/ops")
    ok = run(sqlite_url, "config", "check")
    assert ok.returncode == 0, ok.stderr
    # the children's clinic's doctor and nurse have no manager in the example: warned, not refused
    [warning] = [line for line in ok.stderr.splitlines() if "have no manager" in line]
    assert "bkl-lak" in warning and "hc-chef" not in warning and "mas" not in warning.split(":")[1].split()
    bad = write(tmp_path, "sweep: {due_soon_working_days: -3}\n")
    monkeypatch.setenv("COORDINATION_NOTIFICATIONS_CONFIG", str(bad))
    refused = run(sqlite_url, "config", "check")
    assert refused.returncode != 0 and "sweep.due_soon_working_days" in refused.stderr


@pytest.mark.slow  # runs the command in a subprocess
def test_a_bad_member_target_is_refused_at_import(sqlite_url, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("organisations:\n  - {code: o, name: O, organiser: region, unit_type: school}\n"
                    "members:\n  - {code: m, name: M, role: nurse, organisation: o, notify: ['bogus://x']}\n")
    result = run(sqlite_url, "import", str(path))
    assert result.returncode != 0 and "members[0] field 'notify[0]'" in result.stderr
