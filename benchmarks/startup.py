"""CLI start-up: what a user waits for before a command does anything.

    .venv/bin/python benchmarks/startup.py [--runs 10]

Times fresh processes (median and best of `--runs`) with their peak memory:
  floor        `python -c "import typer"`: the interpreter and the CLI framework, nothing of ours;
  help         `coordination --help`;
  status       `coordination status` on a small SQLite database (the example area);
  status_pg    the same on PostgreSQL, when it can be reached.
The last line is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sweep import PG_ADMIN, child, database  # noqa: E402


def timed(command: list[str], runs: int, env: dict) -> dict:
    figures = [child(command, env)[:2] for _ in range(runs)]
    walls = [w for w, _ in figures]
    return {"median_s": round(statistics.median(walls), 3), "best_s": round(min(walls), 3),
            "peak_mb": round(max(m for _, m in figures), 1)}


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
    figures = {"floor": timed([sys.executable, "-c", "import typer"], args.runs, env),
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
        print(f"{name:<10} median {f['median_s']:.3f} s  best {f['best_s']:.3f} s  peak {f['peak_mb']:.0f} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
