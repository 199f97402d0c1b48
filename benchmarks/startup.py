"""CLI start-up: what a user waits for before a command does anything.

    .venv/bin/python benchmarks/startup.py [--runs 10]

Times fresh processes (median and best of `--runs`) with their peak memory:
  floor        `python -c pass`: a bare interpreter, the floor of any command;
  version      `coordination --version`;
  help         `coordination --help`;
  status       `coordination status` on a small SQLite database (the example area);
  status_pg    the same on PostgreSQL, when it can be reached.
Each figure has its ratio to the floor; the goal for --version and --help is 10x the floor and
under 0.3 s. Bytecode is written, as on an installed system (a first, untimed run writes it),
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
    figures["status"] = timed([*command, "status"], args.runs, area(sqlite_url))
    try:
        url, drop = database("postgresql")
    except Exception as exc:  # no server here: say so rather than fail
        print(f"PostgreSQL at {PG_ADMIN} not reachable ({type(exc).__name__}); status_pg skipped")
    else:
        try:
            figures["status_pg"] = timed([*command, "status"], args.runs, area(url))
        finally:
            drop()
    for name, f in figures.items():
        f["ratio"] = round(f["median_s"] / figures["floor"]["median_s"], 1)
        print(f"{name:<10} median {f['median_s']:.3f} s  best {f['best_s']:.3f} s  {f['ratio']:>5}x the floor  "
              f"peak {f['peak_mb']:.0f} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
