"""Cluster mode on loopback: a Prefect server on PostgreSQL, a process work pool, two workers,
the deployments from deployments/ deployed from this checkout's source. Two follow-up sweeps
run at the same time, one on each worker, against a populated PostgreSQL coordination
database: every notification reaches the receiver exactly once. Everything started is stopped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Outbox
from tests.conftest import ROOT
from tests.notifications.test_delivery import set_targets
from tests.receivers import HttpReceiver, free_port
from tests.support import scratch_pg_database
from tests.usecases.test_sweep import at, world

BIN = Path(sys.executable).parent
POOL = "coordination-test-pool"
# The workers poll only this queue, where the test puts its two runs. The deployments' own
# schedules (the operations watch every ten minutes delivers the outbox too) land in the pool's
# default queue, so a scheduled run can never take a worker's only slot and block on the held
# receiver while the second sweep waits for that worker.
QUEUE = "cluster-test"


def _start(args, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def wait_for_server(api: str, server: subprocess.Popen, log: Path) -> None:
    """Until the Prefect server answers (any status: with basic auth on, /health asks for it)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code in (200, 401):
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, log.read_text()[-3000:]
        time.sleep(1)
    pytest.fail("the Prefect server did not start: " + log.read_text()[-3000:])


@pytest.fixture
def prefect_server(pg_server, tmp_path):
    prefect_db, drop = scratch_pg_database(pg_server, prefix="prefect_test")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_DATABASE_CONNECTION_URL":
            prefect_db.replace("postgresql+psycopg", "postgresql+asyncpg"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
        "PREFECT_API_URL": api, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
        "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_HEARTBEAT_SECONDS": "1",
    }
    server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env,
                    tmp_path / "server.log")
    try:
        wait_for_server(api, server, tmp_path / "server.log")
        yield env
    finally:
        _stop(server)
        drop()


def test_two_workers_sweep_at_once_and_deliver_exactly_once(prefect_server, pg_url, example_data, tmp_path):
    env = prefect_server | {"COORDINATION_DATABASE_URL": pg_url}
    world(pg_url, example_data)
    workers = []
    # The receiver holds every post until both runs have started: whichever run delivers first
    # is still running when the other starts, so the two overlap however fast either one is.
    with HttpReceiver(held=True) as http:
        with unit_of_work() as s:
            codes = [m.code for m in s.exec(select(Member))]
        set_targets({c: [http.url(c) + "?rto=300"] for c in codes})  # a held post must not time out

        subprocess.run([str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process"], env=env,
                       check=True, capture_output=True, cwd=ROOT, timeout=120)
        deployed = subprocess.run([sys.executable, "-m", "coordination", "deploy", "--work-pool", POOL], env=env,
                                  capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert deployed.returncode == 0, deployed.stderr[-3000:]
        assert "follow-up-sweep" in deployed.stdout
        try:
            for i in (1, 2):
                workers.append(_start([str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--work-queue", QUEUE,
                                       "--limit", "1", "--name", f"worker-{i}"], env, tmp_path / f"worker-{i}.log"))
            _wait_for_workers(env, 2)
            runs = [_run(env, {"now": at(2026, 11, 20).isoformat()}) for _ in range(2)]
            assert _states(env, runs).count(f"in {QUEUE}") == 2
            _wait_until_started(env, runs)
            http.release()
            states = _wait(env, runs, tmp_path)
            spans = _spans(env, runs)
        finally:
            for worker in workers:
                _stop(worker)
        assert states == ["COMPLETED", "COMPLETED"], states
        with unit_of_work() as s:
            rows = s.exec(select(Outbox)).all()
        assert {r.status for r in rows} == {"sent"}
        assert len(http.received) == len(rows)  # every row once, none twice
        assert sum(r.kind == "digest" for r in rows) > 0
        logs = [(tmp_path / f"worker-{i}.log").read_text() for i in (1, 2)]
        for log in logs:  # one sweep on each worker
            # (both may race to submit the same run; the server lets one win, so count executions)
            assert len(re.findall(r"Beginning flow run '[^']+' for flow 'follow-up-sweep'", log)) == 1, log[-2000:]
        (start_1, end_1), (start_2, end_2) = spans
        assert start_1 < end_2 and start_2 < end_1, spans  # at the same time: the runs overlapped


def _spans(env, run_ids) -> list[tuple[str, str]]:
    """Each run's start and end time as the server recorded them (ISO, UTC)."""
    out = _client_call(env, f"""
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as c:
    for i in {run_ids!r}:
        r = c.read_flow_run(i)
        print(r.start_time.isoformat(), r.end_time.isoformat())
""")
    return [tuple(line.split()) for line in out.splitlines()]


def _wait_until_started(env, run_ids, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = _client_call(env, f"""
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as c:
    print(all(c.read_flow_run(i).start_time is not None for i in {run_ids!r}))
""")
        if started == "True":
            return
        time.sleep(1)
    pytest.fail("the two runs did not both start: " + _states(env, run_ids))


def _client_call(env, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _wait_for_workers(env, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        online = int(_client_call(env, f"""
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as c:
    print(sum(w.status.value == "ONLINE" for w in c.read_workers_for_work_pool({POOL!r})))
"""))
        if online >= count:
            return
        time.sleep(1)
    pytest.fail(f"fewer than {count} workers came online")


def _run(env, parameters) -> str:
    return _client_call(env, f"""
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as c:
    d = c.read_deployment_by_name("follow-up-sweep/follow-up-sweep")
    print(c.create_flow_run_from_deployment(d.id, parameters={parameters!r}, work_queue_name={QUEUE!r}).id)
""")


def _states(env, run_ids) -> str:
    return _client_call(env, f"""
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as c:
    print(", ".join(f"{{r.id}} {{r.state_name}} in {{r.work_queue_name}}" for r in map(c.read_flow_run, {run_ids!r})))
""")


def _wait(env, run_ids, tmp_path, timeout=240) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        states = _client_call(env, f"""
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as c:
    print(",".join(c.read_flow_run(i).state.type.value for i in {run_ids!r}))
""").split(",")
        if all(s in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states) or time.monotonic() > deadline:
            return states
        time.sleep(2)
