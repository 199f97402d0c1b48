"""Every benchmark at the sizes a region reaches, one after the other, and one table of the figures.

    .venv/bin/python benchmarks/all.py [--quick]

Runs each script of this folder in its own process (nothing else should run meanwhile), takes the
JSON of its last line, and prints a Markdown table per job with the floor beside each figure. A
script that fails or hangs is recorded as failed and stopped with whatever it started; the
others' figures are kept, and the run exits non-zero.
`--quick` stops at 100k actions (a few minutes); the whole run reaches 3M actions on PostgreSQL
and takes about an hour on two cores. The last line is one JSON object with every run."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SWEEPS = [("sqlite", 1_000, 100), ("postgresql", 1_000, 100),
          ("sqlite", 100_000, 0), ("sqlite", 100_000, 100_000),
          ("postgresql", 100_000, 0), ("postgresql", 100_000, 100_000),
          ("sqlite", 1_000_000, 10_000), ("postgresql", 1_000_000, 10_000),
          ("postgresql", 3_000_000, 30_000)]


WORKSPACES = [("sqlite", 100_000), ("postgresql", 100_000), ("postgresql", 1_000_000)]


FAILED: list[str] = []
TIMEOUT_S = 3600  # one script at the most; a stuck one is stopped with everything it started


def run(script: str, *args: object) -> dict:
    """One script in its own process group: its figures, or, when it fails or hangs, an `error`
    entry, so one failure keeps every other figure; whatever it started is stopped with it."""
    command = [sys.executable, str(HERE / script), *map(str, args)]
    print("$", " ".join(command[1:]), flush=True)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        out, err = "", f"stopped after {TIMEOUT_S} s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # servers and workers it left behind
    lines = out.strip().splitlines()
    if process.returncode != 0 or not lines:
        what = " ".join([script, *map(str, args)])
        FAILED.append(f"{what}: {err.strip().splitlines()[-1] if err.strip() else 'no output'}")
        print(f"  failed: {err[-2000:]}", flush=True)
        return {"error": FAILED[-1]}
    return json.loads(lines[-1])


def ok(runs: list[dict]) -> list[dict]:
    return [f for f in runs if "error" not in f]


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}\n\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at 100k actions")
    args = parser.parse_args()
    sweeps = [s for s in SWEEPS if not args.quick or s[1] <= 100_000]
    figures = {
        "startup": run("startup.py", "--runs", 10),
        "delivery": [run("delivery.py", "--messages", 500, "--delay-ms", 20, "--database", db)
                     for db in ("postgresql", "sqlite")],
        "agenda": [run("agenda.py", "--cases", 2000, "--database", db) for db in ("sqlite", "postgresql")],
        "identify": [run("identify.py", "--persons", 100_000, "--met", met, "--database", db)
                     for db, met in (("sqlite", 10_000), ("postgresql", 10_000), ("postgresql", 100_000))],
        "workspace": [run("workspace.py", "--actions", n, "--overdue", n // 10, "--database", db)
                      for db, n in WORKSPACES if not args.quick or n <= 100_000],
        "schedules": run("schedules.py", "--series", 300),
        "sweep": [run("sweep.py", "--actions", n, "--due", due, "--database", db) for db, n, due in sweeps],
        "memory": [run("sweep.py", "--actions", n, "--due", n, "--database", "postgresql", "--memory")
                   for n in (100_000, 1_000_000) if not args.quick or n <= 100_000],
        "persons_plan": [run("persons_plan.py", "--database", db) for db in ("sqlite", "postgresql")],
    }
    table("The sweep (seconds): the database phase beside its floor; the flow against a standalone Prefect server "
          "beside a bare flow there (as served, then with heartbeats off) and under the test harness; what the "
          "project adds over a bare flow (goal < 0.1 s); a fresh `coordination sweep` beside a fresh process "
          "writing the floor's rows and running a bare flow (goal 1.5x); the sweep alone, fresh, on emptied "
          "and vacuumed tables, on full ones and the next day; peak MB of the fresh CLI (goal < 200)",
          ["database", "actions", "due", "db", "floor", "flow served", "bare served", "flow quiet", "bare quiet",
           "flow harness", "bare harness", "project overhead", "steady", "steady db", "steady floor", "fresh",
           "fresh floor", "ratio", "fresh MB", "job empty", "job full", "job next day", "job MB"],
          [[f["database"], f["actions"], f["due"], f["db_s"], f["floor_s"], f["flow_s"], f["bare_flow_s"],
            f["flow_quiet_s"], f["bare_flow_quiet_s"], f["flow_harness_s"], f["bare_flow_harness_s"],
            f["overhead_s"], f["steady_s"], f["steady_db_s"], f["steady_floor_s"], f["fresh_s"], f["fresh_floor_s"],
            f["fresh_ratio"], f["fresh_peak_mb"], f["job_s"], f["job_full_s"], f["job_next_day_s"], f["job_peak_mb"]]
           for f in ok(figures["sweep"])])
    table("Memory of a fresh sweep with everything due (PostgreSQL; MB; goal < 200)",
          ["actions", "items", "sweep alone", "its MB", "coordination sweep", "its MB"],
          [[f["actions"], f["items"], f["job_s"], f["job_peak_mb"], f["fresh_s"], f["fresh_peak_mb"]]
           for f in ok(figures["memory"])])
    table("Delivery of 500 digests to a receiver that answers in 20 ms (seconds; the floor posts the same payload "
          "and commits; fresh: `coordination deliver` beside a fresh process doing the floor's work, goal 1.5x)",
          ["database", "deliver", "floor", "ratio", "fresh", "fresh floor", "fresh ratio", "fresh MB"],
          [[f["database"], f["deliver_s"], f["floor_s"], f["ratio_to_floor"], f["fresh_s"], f["fresh_floor_s"],
            f["fresh_ratio"], f["fresh_peak_mb"]] for f in ok(figures["delivery"])])
    table("Identify, 100k persons with a new signal each (seconds; the flow on a standalone server beside a bare "
          "flow there and under the harness; fresh: `coordination identify` beside a fresh floor, goal 1.5x)",
          ["database", "met", "use case", "floor", "ratio", "flow served", "bare served", "flow harness", "fresh",
           "fresh floor", "fresh ratio"],
          [[f["database"], f["met"], f["job_s"], f["floor_s"], f["ratio_to_floor"], f["flow_s"], f["bare_flow_s"],
            f["flow_harness_s"], f["fresh_s"], f["fresh_floor_s"], f["fresh_ratio"]] for f in ok(figures["identify"])])
    table("The agenda of 2,000 open cases (seconds; the meeting's preparation flow on a standalone server beside a "
          "bare flow and under the harness; fresh: `coordination meeting agenda` as a member beside a fresh "
          "process printing the same text, and `coordination meeting prepare` (agenda, leader, invitations "
          "with their .ics sent) beside a fresh process doing the same by hand and running a bare flow; "
          "goal 1.5x)",
          ["database", "agenda", "floor", "ratio", "flow served", "bare served", "flow harness", "fresh",
           "fresh floor", "fresh ratio", "prepare fresh", "its floor", "ratio", "prepare MB"],
          [[f["database"], f["job_s"], f["floor_s"], f["ratio_to_floor"], f["flow_s"], f["bare_flow_s"],
            f["flow_harness_s"], f["fresh_s"], f["fresh_floor_s"], f["fresh_ratio"], f["prepare_s"],
            f["prepare_floor_s"], f["prepare_ratio"], f["prepare_peak_mb"]] for f in ok(figures["agenda"])])
    table("The workspace (milliseconds): my items and the case page as use cases (committed) beside the floor, as "
          "whole requests for one user, and 50 users thinking 1-3 s (goal p95 < 200)",
          ["database", "actions", "my items", "floor", "ratio", "case page", "its floor", "ratio", "my items HTTP",
           "case page HTTP", "p50", "p95", "p95 my items", "p95 case page", "requests/s"],
          [[f["database"], f["actions"], f["my_items_ms"], f["floor_ms"], f["ratio"], f["case_page_ms"],
            f.get("case_floor_ms"), f.get("case_ratio"), f["my_items_http_ms"], f["case_page_http_ms"], f["p50_ms"],
            f["p95_ms"], f["p95_my_items_ms"],
            f["p95_case_page_ms"], f["requests_per_s"]] for f in ok(figures["workspace"])])
    schedules = figures["schedules"]
    if "error" not in schedules:
        table("Prefect's scheduler loop over 300 meeting series (seconds; its interval is 60 s)",
              ["shape", "deployments", "deploy", "first loop", "its CPU", "steady loop", "after a redeploy", "runs"],
              [[f["shape"], f["deployments"], f["deploy_s"], f["first_s"], f["first_cpu_s"], f["steady_s"],
                f["again_s"], f["runs"]] for f in schedules.values()])
    table("The person's SIP as PDF (seconds)", ["database", "job", "floor", "first request", "then, p50"],
          [[f["database"], f["job_s"], f["floor_s"], f["first_s"], f["http_p50_s"]] for f in ok(figures["persons_plan"])])
    start = figures["startup"]
    if "error" not in start:
        table("Start-up (median of 10 fresh processes; the floor of --version and --help is a bare interpreter, "
              "goal 10x and under 0.3 s; status's floor prints the same counts by hand, goal 1.5x)",
              ["command", "seconds", "x its floor", "MB"],
              [[name, f["median_s"], f["ratio"], f["peak_mb"]] for name, f in start.items()])
    for failure in FAILED:
        print(f"failed: {failure}")
    print(json.dumps(figures))
    if FAILED:  # every figure that was got is above; the run as a whole did not succeed
        raise SystemExit(1)


if __name__ == "__main__":
    main()
