"""Identification at region scale, against a hand-written floor that writes the same rows.

    .venv/bin/python benchmarks/identify.py --persons 100000 --met 10000 --database sqlite|postgresql

Seeds N persons with one new signal each; `--met` of them meet a criterion (a hospital discharge)
and the rest do not (one emergency visit). Prints:
  floor_s   one read of the new signals, the same screening rule, the case numbers in one
            UPDATE, the cases and their audit events in two INSERTs, the signals marked screened,
            committed (tests/test_benchmark_floors.py checks the rows are those `identify` writes);
  job_s     the `identify` use case in this process (its database phase, committed);
  flow_s    the `identify` flow in this warm process (best of three) against a standalone Prefect
            server as served, beside bare_flow_s, a bare flow there, and flow_harness_s, the flow
            under the test harness;
  fresh_s   `coordination identify` in a fresh process (it runs no flow): what a user waits for,
            beside fresh_floor_s, a fresh process doing the floor's work;
  fresh_peak_mb  its peak memory.
Each run works on a fresh copy of the seeded data. The last line is one JSON object."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pendulum  # noqa: E402
from sqlalchemy import Date, Integer, String, bindparam, text  # noqa: E402

from coordination.persistence.engine import get_engine, unit_of_work  # noqa: E402
from coordination.persistence.models import AuditEvent, CareCase, SignalRecord  # noqa: E402
from sweep import best_flow_run, child, migrated_database, prefect_harness  # noqa: E402
from served import bare_flow_warm, flush_to_api, served, standalone_server  # noqa: E402

NOW = pendulum.datetime(2026, 11, 25, 7, 0, tz="Europe/Stockholm").in_timezone("UTC")


def seed(url: str, *, persons: int, met: int) -> None:
    yesterday = (NOW.date() - dt.timedelta(days=1)).isoformat()
    with get_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO person (id, personnummer, is_coordination_number, birth_date, given_name, "
                          "family_name, protected_identity, residence_hidden_from_guardians) "
                          "VALUES (:id, :pnr, false, '1940-01-01', 'G', 'F', false, false)"),
                     [{"id": i + 1, "pnr": f"BENCH-{i:09d}"} for i in range(persons)])
        conn.execute(text("INSERT INTO signal (person_id, kind, occurred_on) VALUES (:person, :kind, :on)"),
                     [{"person": i + 1, "kind": "hospital_discharge" if i < met else "emergency_visit",
                       "on": yesterday} for i in range(persons)])


def floor_identify(connection, *, now: dt.datetime) -> int:
    """The rows `identify` writes for persons with no case yet, by hand. Returns cases opened."""
    from coordination.domain.identification import ScreeningPolicy, Signal, screen
    from coordination.domain.personnummer import age_on
    from coordination.domain.vocabulary import SignalKind

    today = now.astimezone(pendulum.timezone("Europe/Stockholm")).date()
    today = dt.date(today.year, today.month, today.day)
    since = today - dt.timedelta(days=ScreeningPolicy().lookback_days)
    rows = connection.execute(text(
        "SELECT p.id, p.birth_date, s.kind, s.occurred_on, s.days FROM person p JOIN signal s ON s.person_id = p.id "
        "WHERE p.id IN (SELECT person_id FROM signal WHERE screened_at IS NULL) AND s.occurred_on >= :since")
        .columns(id=Integer, birth_date=Date, kind=String, occurred_on=Date, days=Integer), {"since": since})
    signals, births = defaultdict(list), {}
    for pid, birth, kind, occurred_on, days in rows:
        births[pid] = birth
        signals[pid].append(Signal(SignalKind(kind), occurred_on, days))
    met = [(pid, reasons) for pid in sorted(births)
           if (reasons := screen(age=age_on(births[pid], today), today=today, signals=signals[pid]))]
    stamp = bindparam("now", now, type_=CareCase.opened_at.type)
    if met:
        connection.execute(text("INSERT INTO casesequence (year, last) SELECT :year, 0 WHERE NOT EXISTS "
                                "(SELECT 1 FROM casesequence WHERE year = :year)"), {"year": today.year})
        last = connection.execute(text("UPDATE casesequence SET last = last + :n WHERE year = :year RETURNING last"),
                                  {"n": len(met), "year": today.year}).scalar_one()
        numbers = [f"K-{today.year}-{last - len(met) + i + 1:04d}" for i in range(len(met))]
        connection.execute(text("INSERT INTO care_case (number, person_id, status, reasons, initiated_by, "
                                "flagged_for_meeting, seriously_ill, opened_at) VALUES (:number, :person, "
                                "'identified', :reasons, 'identification', true, false, :now)").bindparams(stamp),
                           [{"number": n, "person": pid, "reasons": json.dumps([str(r) for r in reasons])}
                            for n, (pid, reasons) in zip(numbers, met)])
        connection.execute(text("INSERT INTO auditevent (at, actor, action, record_type, record_id, person_id) "
                                "VALUES (:now, 'system:cli', 'open', 'case', :number, :person)")
                           .bindparams(bindparam("now", now, type_=AuditEvent.at.type)),
                           [{"number": n, "person": pid} for n, (pid, _) in zip(numbers, met)])
    connection.execute(text("UPDATE signal SET screened_at = :now WHERE screened_at IS NULL")
                       .bindparams(bindparam("now", now, type_=SignalRecord.screened_at.type)))
    return len(met)


def run_identify(url: str):
    from coordination.usecases import identify
    from coordination.usecases.common import Actor

    with unit_of_work(url) as session:
        return identify.identify(session, Actor("system:cli"), now=NOW)


def reset(url: str) -> None:
    with get_engine(url).begin() as conn:
        # the audit events stay: the database keeps them append-only
        for statement in ("DELETE FROM care_case", "DELETE FROM casesequence", "UPDATE signal SET screened_at = NULL"):
            conn.execute(text(statement))


# what a fresh `coordination identify` must at least do: start, screen the floor's way, commit
FRESH_FLOOR = """
import sys
sys.path.insert(0, "benchmarks")
import pendulum
import identify as bench
from coordination.persistence.engine import get_engine

with get_engine(sys.argv[1]).begin() as conn:
    bench.floor_identify(conn, now=pendulum.parse(sys.argv[2]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--met", type=int, default=10_000, help="how many meet a criterion (at most N)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with migrated_database(args.database) as url:
        seed(url, persons=args.persons, met=min(args.met, args.persons))
        floor_s = job_s = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            with get_engine(url).begin() as conn:  # committed, as identify commits
                opened_by_hand = floor_identify(conn, now=NOW)
            floor_s = min(floor_s, time.perf_counter() - started)
            reset(url)
            started = time.perf_counter()
            result = run_identify(url)
            job_s = min(job_s, time.perf_counter() - started)
            assert len(result.opened) == opened_by_hand, (len(result.opened), opened_by_hand)
            reset(url)
        print(f"floor_s {floor_s:.3f} job_s {job_s:.3f}", flush=True)
        os.environ["COORDINATION_DATABASE_URL"] = url
        from coordination.flows.identify import identify as identify_flow

        with prefect_harness():
            flow_harness_s = best_flow_run(lambda: identify_flow(now=NOW), lambda: reset(url))
        with standalone_server() as server, served(server.url):
            bare_flow_s = bare_flow_warm()
            flow_s = best_flow_run(lambda: identify_flow(now=NOW), lambda: reset(url))
            flush_to_api()
        reset(url)
        print(f"flow_s {flow_s:.3f} served (a bare flow {bare_flow_s:.3f}), {flow_harness_s:.3f} under the harness",
              flush=True)
        env = dict(os.environ, COORDINATION_DATABASE_URL=url)
        fresh_floor_s, _, _ = child([sys.executable, "-c", FRESH_FLOOR, url, NOW.isoformat()], env)
        reset(url)
        fresh_s, fresh_peak_mb, out = child([sys.executable, "-m", "coordination", "identify", "--json",
                                             "--now", "2026-11-25T07:00"], env)
        assert len(json.loads(out.strip().splitlines()[-1])["opened"]) == opened_by_hand, out[-500:]
        figures = {"database": args.database, "persons": args.persons, "met": args.met, "opened": opened_by_hand,
                   "floor_s": round(floor_s, 3), "job_s": round(job_s, 3), "ratio_to_floor": round(job_s / floor_s, 2),
                   "flow_s": round(flow_s, 3), "bare_flow_s": round(bare_flow_s, 3),
                   "flow_harness_s": round(flow_harness_s, 3), "fresh_s": round(fresh_s, 3),
                   "fresh_floor_s": round(fresh_floor_s, 3), "fresh_ratio": round(fresh_s / fresh_floor_s, 2),
                   "fresh_peak_mb": round(fresh_peak_mb, 1)}
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
