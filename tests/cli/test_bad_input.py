"""Every bad input gets one clear line naming the record and field, a non-zero exit and an
unchanged database. Runs the real `coordination` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select

from tests.conftest import EXAMPLE, EXAMPLES, ROOT, load_area
from tests.support import clocked

COMMAND = [sys.executable, "-m", "coordination"]


def run(url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = os.environ | {"COORDINATION_DATABASE_URL": url} | (env or {})
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=clocked(env), cwd=ROOT, timeout=120)


def snapshot(url: str) -> dict:
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        data = {name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in meta.tables.items()}
    engine.dispose()
    return data


@pytest.fixture
def area(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    result = run(sqlite_url, "identify")
    assert result.returncode == 0, result.stderr
    return sqlite_url


def bad_file(tmp_path: Path, text: str, name="bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


CASES = {
    "checksum": (["case", "open", "19380214-2013", "--by", "hc-dsk1"], "personnummer", "check digit"),
    "date in personnummer": (["case", "open", "19380231-2012", "--by", "hc-dsk1"], "personnummer", "real date"),
    "format": (["case", "open", "1938-02-14", "--by", "hc-dsk1"], "personnummer", "form"),
    "unknown member": (["case", "open", "19380214-2012", "--by", "nobody"], "member nobody", "unknown member"),
    "unknown case": (["action", "add", "K-2026-9999", "--by", "hc-dsk1", "--responsible", "hc-dsk1",
                      "--description", "x", "--handling-time", "urgent"], "case K-2026-9999", "unknown case"),
    "unknown organisation": (["consent", "record", "19470320-6450", "--by", "hc-dsk1", "--organisation",
                              "hc-norrby", "--organisation", "nowhere", "--scope", "sip"],
                             "organisation nowhere", "unknown organisation"),
    "sip without consent": (["sip", "create", "K-2026-0013", "--by", "hc-dsk1", "--coordinator", "hc-dsk1",
                             "--participant", "hsv-ssk1", "--follow-up", "2027-01-10", "--what-matters", "x"],
                            "case K-2026-0013 field 'consent'", "no consent is recorded"),
    "sip with expired consent": (["sip", "create", "K-2026-0012", "--by", "hc-dsk1", "--coordinator", "hc-dsk1",
                                  "--participant", "hsv-ssk1", "--follow-up", "2027-01-10", "--what-matters", "x"],
                                 "field 'consent'", "expired"),
    "bad date": (["sip", "create", "K-2026-0001", "--by", "hc-dsk1", "--coordinator", "hc-dsk1",
                  "--participant", "hsv-ssk1", "--follow-up", "2027-13-40", "--what-matters", "x"],
                 "field 'follow_up'", "is not a date"),
    "bad handling time": (["action", "add", "K-2026-0001", "--by", "hc-dsk1", "--responsible", "hc-dsk1",
                           "--description", "x", "--handling-time", "soonish"],
                          "field 'handling_time'", "next_working_day"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_non_zero_and_writes_nothing(area, name):
    args, where, what = CASES[name]
    before = snapshot(area)
    result = run(area, *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and where in lines[0] and what in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert without_refusals(snapshot(area)) == before


def without_refusals(data: dict) -> dict:
    """A refused attempt writes its own audit event and nothing else (tested in test_access_cli)."""
    data["auditevent"] = [row for row in data["auditevent"]
                          if not any(str(v).startswith("refused:") for v in row)]
    return data


@pytest.mark.parametrize("text, where, what", [
    ("persons:\n  - {personnummer: 19380214-2013, given_name: A, family_name: B}\n",
     "persons[0] field 'personnummer'", "check digit"),
    ("members:\n  - {code: x, name: X, role: wizard, organisation: hc-norrby}\n", "members[0] field 'role'", "nurse"),
    ("members:\n  - {code: x, name: X, role: nurse, organisation: nowhere}\n",
     "members[0].organisation", "unknown organisation"),
    ("signals:\n  - {person: 19380214-2012, kind: readmission, occurred_on: 2026-02-30}\n",
     "signals[0] field 'occurred_on'", "date"),
    ("consents:\n  - {person: 20150622-8673, scopes: [sip], given_by: person, form: oral, "
     "organisations: [hc-norrby, hsv-norrby], valid_from: 2026-10-01}\n", "consents[0] field 'given_by'", "guardian"),
    ("persons: [1, 2\n", "bad.yaml", "not valid YAML"),
    ("patients: []\n", "bad.yaml", "unknown section"),
])
def test_malformed_import_names_record_and_field_and_writes_nothing(area, tmp_path, text, where, what):
    # a good record first: it must not be written either
    good = "organisations:\n  - {code: new-org, name: New, organiser: region, unit_type: school}\n"
    path = bad_file(tmp_path, good + text if text.startswith(("persons:\n", "members", "signals", "consents"))
                    else text)
    before = snapshot(area)
    result = run(area, "import", path)
    assert result.returncode != 0
    line = result.stderr.strip()
    assert "\n" not in line and where in line and what in line, line
    assert snapshot(area) == before


def test_missing_schema_says_run_init(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'empty.db'}", "cases")
    assert result.returncode != 0
    assert "coordination init" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_says_what_to_check():
    result = run("postgresql://nobody@127.0.0.1:1/none", "cases")
    assert result.returncode != 0
    assert "COORDINATION_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_init_import_and_the_cycle_through_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert run(url, "init").returncode == 0
    assert run(url, "init").returncode == 0  # idempotent upgrade
    imported = run(url, "import", str(EXAMPLE))
    assert imported.returncode == 0, imported.stderr
    assert run(url, "identify").returncode == 0
    assert run(url, "import", str(EXAMPLES / "handovers.yaml")).returncode == 0
    cases = run(url, "cases").stdout
    assert "K-2026-0001" in cases
    steps = [
        ["assess", "K-2026-0002", "--by", "hc-dsk1", "--what-matters", "Home", "--situation", "S",
         "--background", "B", "--assessment", "A", "--recommendation", "R", "--handling-time", "next_working_day",
         "--need", "nursing=weight", "--profession", "nurse", "--action", "nurse=Weigh twice a week"],
        ["plan", "K-2026-0001", "--by", "hc-dsk1"],
        ["plan", "K-2026-0002", "--by", "hc-dsk1"],
        ["action", "add", "K-2026-0001", "--by", "hc-dsk1", "--responsible", "rehab-ft", "--description",
         "Walking", "--handling-time", "urgent"],
        ["action", "done", "1", "--by", "hc-dsk1"],
        ["share", "K-2026-0001", "--by", "hc-dsk1", "--from", "hc-norrby", "--to", "hsv-norrby"],
        ["follow-up", "K-2026-0001", "--by", "hc-dsk1", "--outcome", "Better", "--needs-remain",
         "--next", "2099-01-10"],
        ["follow-up", "K-2026-0001", "--by", "hc-dsk1", "--outcome", "Done", "--needs-met"],
        ["case", "show", "K-2026-0001", "--by", "hc-dsk1"],
        ["status"],
    ]
    for args in steps:
        result = run(url, *args)
        assert result.returncode == 0, (args, result.stderr)
    assert '"status": "closed"' in result.stdout or "closed" in run(url, "cases").stdout


def test_unreachable_prefect_api_says_what_to_check(area):
    env_url = "http://127.0.0.1:1/api"
    env = os.environ | {"COORDINATION_DATABASE_URL": area, "PREFECT_API_URL": env_url}
    result = subprocess.run([*COMMAND, "sweep"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "PREFECT_API_URL" in result.stderr and env_url in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_log_review_by_person_member_and_period(area):
    assert run(area, "case", "show", "K-2026-0001", "--by", "hc-dsk1").returncode == 0
    by_person = run(area, "audit", "--person", "19380214-2012", "--by", "hc-logg")
    assert by_person.returncode == 0, by_person.stderr
    lines = by_person.stdout.splitlines()
    assert any("hc-dsk1" in line and "read" in line and "K-2026-0001" in line for line in lines)
    assert all("19380214-2012" in line for line in lines[:-1])
    by_member = run(area, "audit", "--member", "hc-dsk1", "--by", "hc-logg")
    assert "read" in by_member.stdout and "register" not in by_member.stdout
    none = run(area, "audit", "--from", "2000-01-01", "--to", "2000-01-02", "--by", "hc-logg")
    assert none.stdout.strip().endswith("0 event(s)")
    review = run(area, "audit", "--member", "hc-logg", "--by", "hc-logg")
    assert "review" in review.stdout  # reviewing the log is itself logged
    bad = run(area, "audit", "--from", "yesterday", "--by", "hc-logg")
    assert bad.returncode != 0 and "field 'from'" in bad.stderr
    by_case = run(area, "audit", "--case", "K-2026-0001", "--kind", "read", "--by", "hc-logg")
    assert by_case.returncode == 0 and "hc-dsk1" in by_case.stdout and "register" not in by_case.stdout
    odd = run(area, "audit", "--kind", "gossip", "--by", "hc-logg")
    assert odd.returncode != 0 and "field 'kind'" in odd.stderr and "read, change, refused or emergency" in odd.stderr


def test_the_log_review_is_for_reviewers_and_a_managers_own_organisation(area):
    assert run(area, "case", "show", "K-2026-0001", "--by", "hc-dsk1").returncode == 0
    refused = run(area, "audit", "--member", "hc-dsk1", "--by", "mas")
    assert refused.returncode == 8 and "rule 'commission'" in refused.stderr and not refused.stdout
    own = run(area, "audit", "--member", "hc-dsk1", "--by", "hc-chef")
    assert "K-2026-0001" in own.stdout
    other = run(area, "audit", "--member", "hc-dsk1", "--by", "hsv-chef")
    assert other.returncode == 0 and other.stdout.strip().endswith("0 event(s)")
    # the refused attempt is itself in the log, for the reviewer to see
    log = run(area, "audit", "--member", "mas", "--by", "hc-logg")
    assert "refused:review log" in log.stdout


def test_a_prefect_server_that_starts_too_slowly_fails_the_demo_in_one_line(tmp_path):
    """The demo retries a slow local-server start once; if Prefect still is not up, the
    newcomer reads one line that says what to check, not a traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "COORDINATION_DATABASE_URL")}
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "1"  # no server starts this fast
    result = subprocess.run([*COMMAND, "demo", "--database", str(tmp_path / "demo.db")], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 7, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "did not start within 1 s" in errors[0]
    assert "Traceback" not in result.stderr
    assert "trying once more" in result.stdout
