"""CLI start-up: what a user waits for before a command does anything.

    .venv/bin/python benchmarks/startup.py [--runs 10]

Times fresh processes (median and best of `--runs`) with their peak memory:
  floor        `python -c pass`: a bare interpreter, the floor of any command;
  version      `coordination --version`;
  help         `coordination --help`;
  status       `coordination status` on a small SQLite database (the example area), beside
  status_floor a fresh process printing the same text from the same counts in hand-written SQL
               (SQLAlchemy Core, no models), whose output must be the product's, byte for byte;
  status_pg    and status_pg_floor: the same on PostgreSQL, when it can be reached.
Each figure has its ratio to its floor; the goal for --version and --help is 10x the bare
interpreter and under 0.3 s, for status 1.5x its floor. Bytecode is written, as on an installed system (a first, untimed run writes it),
whatever PYTHONDONTWRITEBYTECODE says here. The last line is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sweep import PG_ADMIN, child, database  # noqa: E402


def timed(command: list[str], runs: int, env: dict) -> dict:
    """Wall times without watching the process (watching adds its polling interval to a 10 ms
    command); the peak memory from one more, watched run."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)  # writes the bytecode
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(walls), 4), "best_s": round(min(walls), 4),
            "peak_mb": round(child(command, env)[1], 1)}


# `coordination status` by hand: the same counts, the same JSON, in a fresh process
STATUS_FLOOR = """
import json, os, sys
from sqlalchemy import create_engine, text
with create_engine(os.environ["COORDINATION_DATABASE_URL"]).connect() as c:
    one = lambda sql: c.execute(text(sql)).scalar_one()
    by = lambda table: {str(k): v for k, v in c.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status"))}
    totals = {"persons": one("SELECT count(*) FROM person"), "cases": by("care_case"),
              "sips": one("SELECT count(DISTINCT case_id) FROM sip"), "sip_versions": one("SELECT count(*) FROM sip"),
              "actions": by("action"), "follow_ups": one("SELECT count(*) FROM followup"),
              "notifications": by("outbox")}
sys.stdout.write(json.dumps(totals, indent=2) + "\\n")
"""


def same_output(product: list[str], floor: list[str], env: dict) -> str:
    """The floor earns its place only by printing exactly what the product prints."""
    a, b = (subprocess.run(c, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
            for c in (product, floor))
    if a != b:
        raise SystemExit(f"the floor prints something else than {' '.join(product[-1:])}:\n{a}\n---\n{b}")
    return a


def area(url: str) -> dict:
    env = dict(os.environ, COORDINATION_DATABASE_URL=url)
    child([sys.executable, "-m", "coordination", "init"], env)
    child([sys.executable, "-m", "coordination", "import", str(ROOT / "src/coordination/examples/area.yaml")], env)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    command = [str(Path(sys.executable).with_name("coordination"))]
    env = dict(os.environ)
    figures = {"floor": timed([sys.executable, "-c", "pass"], args.runs, env),
               "version": timed([*command, "--version"], args.runs, env),
               "help": timed([*command, "--help"], args.runs, env)}
    sqlite_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-')) / 'coordination.db'}"
    floor_of = {"version": "floor", "help": "floor"}

    def status(name: str, env: dict) -> None:
        floor = [sys.executable, "-c", STATUS_FLOOR]
        same_output([*command, "status"], floor, env)
        figures[name], figures[f"{name}_floor"] = timed([*command, "status"], args.runs, env), timed(floor, args.runs, env)
        floor_of[name] = f"{name}_floor"

    status("status", area(sqlite_url))
    try:
        url, drop = database("postgresql")
    except Exception as exc:  # no server here: say so rather than fail
        print(f"PostgreSQL at {PG_ADMIN} not reachable ({type(exc).__name__}); status_pg skipped")
    else:
        try:
            status("status_pg", area(url))
        finally:
            drop()
    for name, f in figures.items():
        f["ratio"] = round(f["median_s"] / figures[floor_of.get(name, name)]["median_s"], 1)
        print(f"{name:<16} median {f['median_s']:.3f} s  best {f['best_s']:.3f} s  {f['ratio']:>5}x its floor  "
              f"peak {f['peak_mb']:.0f} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
