"""The cycle's Prefect flows on Prefect's test harness, and the patient-data boundary:
nothing personal may reach Prefect's database, result storage or the process output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import select

from coordination.domain.vocabulary import CaseStatus
from coordination.entrypoints.importer import import_data
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import CareCase, Outbox, Sip
from tests.conftest import ADMIN, T0, load_area
from tests.notifications.test_delivery import personal_strings

pytestmark = pytest.mark.usefixtures("prefect_harness")


def numbers_by_status():
    with unit_of_work() as s:
        return {c.number: c.status for c in s.exec(select(CareCase))}


def run_whole_cycle(url, data):
    from coordination.flows.care_cycle import care_cycle
    from coordination.flows.follow_up import follow_up
    from coordination.flows.identify import identify

    load_area(url, data)
    found = identify(now=T0)
    with unit_of_work() as s:
        import_data(s, ADMIN, data, now=T0, sections=("assessments",))
    results = {number: care_cycle(number, now=T0) for number in numbers_by_status()}
    with unit_of_work() as s:
        import_data(s, ADMIN, data, now=T0.add(days=30), sections=("follow_ups",))
    followed = {n: follow_up(n, now=T0.add(days=30)) for n, st in numbers_by_status().items()
                if st == CaseStatus.ACTIVE}
    return found, results, followed


@pytest.fixture(scope="module")
def whole_cycle(prefect_harness, sqlite_template, example_data, tmp_path_factory):
    """The demo's story run once through Prefect for this module's tests."""
    import shutil

    path = tmp_path_factory.mktemp("cycle") / "coordination.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    previous = os.environ.get("COORDINATION_DATABASE_URL")
    os.environ["COORDINATION_DATABASE_URL"] = url
    try:
        yield (url, *run_whole_cycle(url, example_data))
    finally:
        if previous is None:
            os.environ.pop("COORDINATION_DATABASE_URL", None)
        else:
            os.environ["COORDINATION_DATABASE_URL"] = previous


@pytest.fixture
def cycle_db(whole_cycle, monkeypatch):
    monkeypatch.setenv("COORDINATION_DATABASE_URL", whole_cycle[0])
    return whole_cycle


def test_the_cycle_runs_through_prefect_and_is_idempotent(cycle_db):
    from coordination.flows.care_cycle import care_cycle

    _, found, results, followed = cycle_db
    assert found == {"screened": 20, "opened": 19, "flagged": 0}
    blocked = sorted(n for n, r in results.items() if r.get("blocked"))
    assert len(blocked) == 4  # no consent (2), expired, not documented in both records
    assert sum(r["sips"] for r in results.values()) == 15
    assert sum(r.get("actions_dispatched", 0) for r in results.values()) == 24
    assert sum(r["closed"] for r in followed.values()) == 4
    statuses = numbers_by_status()
    assert list(statuses.values()).count(CaseStatus.CLOSED) == 4
    with unit_of_work() as s:
        versions = len(s.exec(select(Sip)).all())
        outbox = len(s.exec(select(Outbox)).all())
    assert versions == 15 + 10
    # a retried or repeated run changes nothing and queues nothing new
    for number in ["K-2026-0001", "K-2026-0004", "K-2026-0013"]:  # revised, closed, blocked
        care_cycle(number, now=T0)
    with unit_of_work() as s:
        assert len(s.exec(select(Sip)).all()) == versions
        assert len(s.exec(select(Outbox)).all()) == outbox


def test_flow_parameters_are_case_numbers_only(sqlite_url, example_data):
    """No case yet: the run fails visibly in Prefect, for the reason that the case is unknown, and
    its parameters and state hold the case number and the time only."""
    import asyncio

    from prefect.client.orchestration import get_client

    from coordination.errors import NotFound
    from coordination.flows.act import act

    load_area(sqlite_url, example_data)
    state = act("K-2026-0001", now=T0, return_state=True)
    assert state.is_failed()
    with pytest.raises(NotFound) as err:
        state.result()
    assert err.value.field == "case" and "K-2026-0001" in str(err.value)

    async def stored():
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)

    run = asyncio.run(stored())
    assert set(run.parameters) <= {"case_number", "now", "deliver"} and run.parameters["case_number"] == "K-2026-0001"
    texts = str(run.parameters) + (run.state.message or "")
    assert not [secret for secret in personal_strings(example_data) if secret in texts]


def _prefect_texts() -> list[tuple[str, bytes]]:
    """Every byte Prefect holds: its database file(s) and everything under PREFECT_HOME."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    paths = []
    url = settings.server.database.connection_url.get_secret_value()
    if url and "sqlite" in url:
        db = Path(url.split("///", 1)[1])
        paths += [p for p in db.parent.glob(db.name + "*")]
    paths += [p for p in Path(os.environ["PREFECT_HOME"]).rglob("*") if p.is_file()]
    paths += [p for p in Path(settings.results.local_storage_path).rglob("*") if p.is_file()] \
        if Path(settings.results.local_storage_path).exists() else []
    return [(str(p), p.read_bytes()) for p in paths]


async def _api_texts() -> str:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        runs = await client.read_flow_runs(limit=200)
        tasks = await client.read_task_runs(limit=200)
        logs = await client.read_logs(limit=200)
        artifacts = await client.read_artifacts(limit=200)
        variables = await client.read_variables(limit=200)
    return repr([r.model_dump() for r in runs + tasks + logs + artifacts + variables])


def test_no_personal_data_reaches_prefect(cycle_db, example_data, capfd):
    """Runs after the module's cycle; the process output is checked by the harness-wide
    capture below, Prefect's stores by scanning their bytes."""
    import asyncio

    output = capfd.readouterr()
    api = asyncio.run(_api_texts())
    assert "K-2026-0001" in api  # the scan looks at the right place
    stores = _prefect_texts()
    assert stores
    leaks = []
    for secret in personal_strings(example_data):
        needle = secret.encode()
        if secret in api or secret in output.out or secret in output.err:
            leaks.append(secret)
        leaks += [f"{secret} in {path}" for path, data in stores if needle in data]
    assert not leaks, leaks


def test_the_demo_against_a_prefect_server_leaks_nothing(tmp_path, example_data):
    """`coordination demo` as an operator runs it, against this session's Prefect server: then
    every byte the Prefect side holds, and everything the process printed, is scanned."""
    import asyncio
    import subprocess
    import sys

    from prefect.settings import PREFECT_API_URL

    env = os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop("COORDINATION_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "coordination", "demo", "--database", str(tmp_path / "demo.db")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "cases:          19" in done.stdout
    # every message recorded as sent is in its member's mailbox, whole, once (a message a file)
    from sqlmodel import select

    from coordination.persistence.engine import unit_of_work
    from coordination.persistence.models import OutboxSend

    with unit_of_work(f"sqlite:///{tmp_path / 'demo.db'}", read_only=True) as s:
        sent = len(s.exec(select(OutboxSend).where(OutboxSend.outcome == "sent", OutboxSend.channel == "mailbox")).all())
    files = [f for f in (tmp_path / "mailbox").rglob("*.txt")]
    assert sent and len(files) == sent and all(f.read_text(encoding="utf-8").endswith("\n") for f in files)
    api = asyncio.run(_api_texts())
    stores = _prefect_texts()
    leaks = []
    for secret in personal_strings(example_data):
        if secret in api or secret in done.stdout or secret in done.stderr:
            leaks.append(secret)
        leaks += [f"{secret} in {path}" for path, data in stores if secret.encode() in data]
    assert not leaks, leaks
