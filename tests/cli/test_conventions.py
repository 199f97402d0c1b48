"""CLI conventions: --version, --json on the commands that print records, --now to replay a day,
no placeholders such as <bool> in help, no database file made by a command that only reads, and
`deliver` routing tag: targets through the administrators' tag table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import typer

from coordination import __version__
from coordination.entrypoints.cli import app
from coordination.notifications.outbox import enqueue
from coordination.notifications.templates import Message
from coordination.persistence.engine import unit_of_work
from tests.cli.test_bad_input import run
from tests.conftest import ROOT, T0, load_area
from tests.notifications.test_delivery import set_targets
from tests.receivers import HttpReceiver

COMMAND = [sys.executable, "-m", "coordination"]


def test_version():
    from importlib.metadata import version

    result = subprocess.run([*COMMAND, "--version"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and result.stdout == f"coordination {version('coordination')}\n"


def test_version_is_answered_before_the_command_tree_loads():
    """`--version` is the start-up floor's neighbour: it must not wait for Typer, SQLAlchemy or
    the command modules (issue 22). The same answer comes with other options, through Typer."""
    probe = ("import sys; sys.argv = ['coordination', '--version']\n"
             "from coordination.entrypoints.cli import main; main()\n"
             "print(sorted(m for m in ('typer', 'sqlalchemy', 'coordination.entrypoints.cli.base') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and result.stdout.splitlines() == [f"coordination {__version__}", "[]"], result.stderr
    through_typer = subprocess.run([*COMMAND, "--version", "status"], capture_output=True, text=True, cwd=ROOT,
                                   timeout=60)
    assert through_typer.stdout == f"coordination {__version__}\n"


def test_status_is_answered_without_typer_or_the_models(sqlite_url, example_data):
    """Operators' monitoring polls `coordination status`: a bare `status` must not wait for Typer,
    SQLModel or the models (issue 22), and still prints the counts; with `--help` it goes
    through Typer like any command."""
    load_area(sqlite_url, example_data)
    probe = ("import sys; sys.argv = ['coordination', 'status']\n"
             "from coordination.entrypoints.cli import main; main()\n"
             "print(sorted(m for m in ('typer', 'sqlmodel', 'pydantic', 'coordination.persistence.models') "
             "if m in sys.modules))")
    env = dict(os.environ, COORDINATION_DATABASE_URL=sqlite_url)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env=env)
    assert result.returncode == 0, result.stderr
    *counts, loaded = result.stdout.splitlines()
    assert loaded == "[]" and json.loads("\n".join(counts))["persons"] > 0
    helped = subprocess.run([*COMMAND, "status", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env=env)
    assert helped.returncode == 0 and "Counts of cases" in helped.stdout


def test_the_counts_name_tables_and_columns_the_models_have():
    """`totals` names its tables by hand to stay free of the models: a renamed table or column
    must fail here rather than in an operator's monitoring."""
    from sqlmodel import SQLModel

    import coordination.persistence.models  # noqa: F401 (fills the metadata)
    from coordination.usecases import totals

    named = [totals.person, totals.care_case, totals.sip, totals.action, totals.followup, totals.outbox]
    for table in named:
        assert table.name in SQLModel.metadata.tables, table.name
        assert {c.name for c in table.c} <= set(SQLModel.metadata.tables[table.name].c.keys()), table.name


def test_no_help_shows_a_bool_placeholder():
    group = typer.main.get_command(app)

    def helps(command, path):
        with click.Context(command, info_name=" ".join(path)) as ctx:
            yield path, command.get_help(ctx)
        for name, sub in getattr(command, "commands", {}).items():
            yield from helps(sub, [*path, name])

    texts = dict((" ".join(p), h) for p, h in helps(group, ["coordination"]))
    assert len(texts) > 30
    assert [name for name, text in texts.items() if "<bool>" in text] == []


def test_records_as_json_and_a_replayed_day(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    bad = run(sqlite_url, "identify", "--now", "yesterday-ish")
    assert bad.returncode != 0 and "field 'now'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    found = json.loads(run(sqlite_url, "identify", "--json", "--now", "2026-11-16T08:00").stdout)
    assert found["screened"] == 20 and found["opened"][0] == "K-2026-0001"
    cases = json.loads(run(sqlite_url, "cases", "--json").stdout)
    assert {"case": "K-2026-0001", "status": "consented", "flagged_for_meeting": True} in cases
    set_targets({"hc-dsk1": ["json://secret-token@127.0.0.1:9/hook"]})
    members = json.loads(run(sqlite_url, "members", "--json").stdout)
    nurse = next(m for m in members if m["code"] == "hc-dsk1")
    assert nurse["notify"] == ["json://…"] and "secret-token" not in json.dumps(members)
    added = run(sqlite_url, "audit", "--member", "hc-dsk1", "--by", "hc-logg", "--json")
    assert isinstance(json.loads(added.stdout), list)


def test_a_reading_command_never_creates_a_database_file(tmp_path):
    missing = tmp_path / "nothing-here.db"
    for args in (["cases"], ["members"], ["status"], ["case", "show", "K-2026-0001", "--by", "x"]):
        result = run(f"sqlite:///{missing}", *args)
        assert result.returncode != 0 and "coordination init" in result.stderr, args
    assert not missing.exists()


def test_deliver_sends_an_operations_alert_through_the_tag_table(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    with unit_of_work() as s:
        enqueue(s, key="ops:test", message=Message("operations_alert", "Flow run failed: x", "x"), member_id=None,
                case_number=None, now=T0, target="tag:operations")
    with HttpReceiver() as ops:
        env = os.environ | {"COORDINATION_DATABASE_URL": sqlite_url, "COORDINATION_OPS_URL": ops.url("ops")}
        done = subprocess.run([*COMMAND, "deliver", "--json", "--now", "2026-11-16T09:00"], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["sent"] == 1
        assert [m["title"] for m in ops.received] == ["Flow run failed: x"]


def test_deploy_without_a_work_pool_is_refused(sqlite_url):
    result = run(sqlite_url, "deploy")
    assert result.returncode != 0 and "field 'work_pool'" in result.stderr and "prefect worker start" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_outbox_lists_a_failed_row_with_its_error_class(sqlite_url, example_data):
    from coordination.notifications.delivery import deliver_pending
    from coordination.usecases.common import member_by_code

    load_area(sqlite_url, example_data)
    with HttpReceiver() as down:
        down.fail_next(10)
        set_targets({"hc-dsk1": [down.url()]})
        with unit_of_work() as s:
            enqueue(s, key="t:1", message=Message("case_flagged", "K-2026-0001: x", "x"),
                    member_id=member_by_code(s, "hc-dsk1").id, case_number="K-2026-0001", now=T0)
        report = deliver_pending(now=T0)
    assert report.failed == 1 and report.errors == {"http_5xx on json": 1}
    rows = json.loads(run(sqlite_url, "outbox", "--status", "pending", "--json").stdout)
    [row] = rows
    assert row["to"] == "hc-dsk1" and row["attempts"] == 1 and row["next_attempt_at"]
    assert row["last_error"].startswith("http_5xx on json: ") and "127.0.0.1" not in row["last_error"]
    text = run(sqlite_url, "outbox").stdout
    assert "http_5xx on json" in text and text.strip().endswith("1 notification(s)")


def test_help_loads_neither_the_database_layer_nor_prefect():
    # what makes `coordination --help` start in a fraction of a second: the heavy modules load on
    # first use, in the commands that need them
    probe = ("import sys; from coordination.entrypoints import cli; sys.argv = ['coordination', '--help']\n"
             "try:\n    cli.app()\nexcept SystemExit:\n    pass\n"
             "heavy = ['sqlalchemy', 'sqlmodel', 'alembic', 'prefect', 'apprise', 'coordination.persistence.models']\n"
             "print('loaded:' + ','.join(m for m in heavy if m in sys.modules and "
             "type(sys.modules[m]).__name__ != '_LazyModule'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "loaded:"


def test_a_database_error_still_gets_the_one_line_hint(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    (tmp_path / "empty.db").write_bytes(b"")
    result = run(url, "cases")
    assert result.returncode == 6
    assert "coordination init" in result.stderr and "Traceback" not in result.stderr
