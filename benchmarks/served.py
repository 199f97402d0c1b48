"""Prefect as operators run it: a standalone `prefect server start`, and what a bare flow costs on it.

Under `prefect_test_harness` a flow run costs a fraction of what it costs against a served
Prefect (the harness turns heartbeats off, and its database is in the same process), so every
flow figure is taken against a standalone server too, beside a bare `@flow` that returns 1:
what Prefect itself costs, which the project's overhead is measured above.

The server's port is `COORDINATION_BENCH_PREFECT_PORT` (4299 unless set); it is stopped with
everything it started when the block ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PORT = int(os.environ.get("COORDINATION_BENCH_PREFECT_PORT", "4299"))

# a fresh process running one bare flow: Prefect's own floor for a command that runs a flow
BARE_FLOW = """
from prefect import flow

@flow(name="bare")
def bare():
    return 1

bare()
"""


@dataclass(frozen=True)
class Server:
    url: str  # its API
    home: Path  # its PREFECT_HOME, where its database is


@contextlib.contextmanager
def standalone_server(port: int = PORT, **settings: str):
    """`prefect server start` in its own process group, on its own PREFECT_HOME; yields it once
    /api/health answers. Settings are Prefect's defaults, as served (heartbeats on), but for
    `settings` (PREFECT_... names)."""
    import httpx

    home = tempfile.mkdtemp(prefix="prefect-served-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
               **settings)
    prefect = str(Path(sys.executable).with_name("prefect"))
    log = open(Path(home) / "server.log", "w")
    process = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"prefect server on port {port} stopped at start (port taken? set "
                                 f"COORDINATION_BENCH_PREFECT_PORT): {(Path(home) / 'server.log').read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"prefect server on port {port} did not answer within 120 s")
            time.sleep(0.5)
        yield Server(url, Path(home))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


@contextlib.contextmanager
def served(url: str):
    """Flows of this process run against the server at `url`, with Prefect's default settings."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


def client_env(url: str) -> dict:
    """A fresh process's environment for the server at `url`: no harness settings of this one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=url, PREFECT_HOME=tempfile.mkdtemp(prefix="prefect-client-"),
               PREFECT_LOGGING_LEVEL="WARNING")
    return env


def bare_flow_warm(runs: int = 3) -> float:
    """The best of `runs` runs of a bare flow in this process, on whatever server it runs against."""
    from prefect import flow

    @flow(name="bare")
    def bare():
        return 1

    bare()  # the first run registers the flow: not counted
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        bare()
        best = min(best, time.perf_counter() - started)
    return best


def flush_to_api() -> None:
    """Send the logs this process still holds while the server is up: at exit it is gone."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    EventsWorker.drain_all()


def floor_then_bare_flow(module: str, call: str) -> str:
    """The script of a fresh process doing a floor's work as the product's command does it: `call`
    (an expression over the benchmark module as `bench`, a connection `conn` committed after it
    and the moment `now`; argv: the database URL and the moment), then a bare flow run against
    the configured server; prints what `call` returned, as JSON."""
    return f"""
import json
import sys
sys.path.insert(0, "benchmarks")
import pendulum
from prefect import flow
import {module} as bench
from coordination.persistence.engine import get_engine

@flow(name="bare")
def bare():
    return 1

now = pendulum.parse(sys.argv[2])
with get_engine(sys.argv[1]).begin() as conn:
    done = {call}
bare()
print(json.dumps(done))
"""
