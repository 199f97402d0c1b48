"""Benchmark the follow-up sweep at scale; prints figures, asserts nothing.

    .venv/bin/python benchmarks/sweep.py --actions 1000000 --database sqlite|postgresql

Seeds N open actions across 500 recipients, of which `--overdue` (default 10,000, at most N)
were due yesterday (overdue, not yet escalated) and the rest are due in three months. Then:
  sql_s    the best of three runs of hand-written SQL doing the same work (insert a notice per
           due item and one digest row per recipient), rolled back;
  sweep_s  the whole `follow-up-sweep` flow on Prefect's test harness, delivery excluded;
  db_s     the sweep's own find-and-enqueue database time, measured inside it.
The flow also runs three times, its notices, digests and deviations deleted in between (a
sweep that finds nothing new does nothing), and the best run is reported, as for sql_s; the
first, cold run is printed too.
The last line is one JSON object with every figure."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-bench-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pendulum  # noqa: E402
from sqlalchemy import text  # noqa: E402

from coordination.persistence import schema  # noqa: E402
from coordination.persistence.engine import get_engine  # noqa: E402
from tests.support import scratch_pg_database  # noqa: E402

RECIPIENTS = 500
ACTIONS_PER_CASE = 10
NOW = pendulum.datetime(2026, 11, 25, 7, 0, tz="Europe/Stockholm").in_timezone("UTC")
PG_ADMIN = os.environ.get("COORDINATION_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def database(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="bench-")) / "coordination.db"
        return f"sqlite:///{path}", lambda: None
    return scratch_pg_database(PG_ADMIN, prefix="coord_bench")


def rows(table: str, n: int, overdue: int):
    today = NOW.in_timezone("Europe/Stockholm").date()
    stamp = NOW.isoformat()
    if table == "organisation":
        for i in range(10):
            yield (i + 1, f"org-{i}", f"Organisation {i}", "municipality" if i % 2 else "region", "home_health_care")
    elif table == "member":
        for i in range(RECIPIENTS):
            yield (i + 1, f"m-{i}", f"Member {i}", "nurse", True, "[]", i % 10 + 1, None)
    elif table == "person":
        for i in range(n):
            yield (i + 1, f"BENCH-{i:09d}", False, "1940-01-01", "Given", "Family", False, False)
    elif table == "care_case":
        for i in range(n):
            yield (i + 1, f"K-2026-{i + 1:07d}", i + 1, "active", "[]", False, False, stamp)
    elif table == "sip":
        for i in range(n):
            yield (i + 1, i + 1, 1, True, stamp, (i % RECIPIENTS) + 1, "x", "[]",
                   (today + dt.timedelta(days=120)).isoformat())
    elif table == "consent":
        for i in range(n):
            yield (i + 1, i + 1, '["share_information", "sip"]', "person", "oral", "2026-01-01", stamp)
    elif table == "consentparty":  # named by and documented in every organisation
        for i in range(n // 10):
            for org in range(10):
                yield (i + 1, org + 1, stamp)
    elif table == "consentcoverage":  # every organisation may be told: the same rows as before the policy
        for i in range(n // 10):
            for org in range(10):
                yield (i + 1, i + 1, org + 1, "2026-01-01", None)
    elif table == "action":
        late, later = (today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=90)).isoformat()
        for i in range(n):
            case_id = i // ACTIONS_PER_CASE + 1
            yield (i + 1, case_id, case_id, "x", i % RECIPIENTS + 1, "next_working_day", "assigned",
                   late if i < overdue else later, later, stamp)


COLUMNS = {
    "organisation": "id, code, name, organiser, unit_type",
    "member": "id, code, name, role, active, notify, organisation_id, manager_id",
    "person": "id, personnummer, is_coordination_number, birth_date, given_name, family_name, "
              "protected_identity, residence_hidden_from_guardians",
    "care_case": "id, number, person_id, status, reasons, flagged_for_meeting, seriously_ill, opened_at",
    "sip": "id, case_id, version, current, created_at, coordinator_id, what_matters, other_plans, next_follow_up",
    "consent": "id, person_id, scopes, given_by, form, valid_from, recorded_at",
    "consentparty": "consent_id, organisation_id, documented_at",
    "consentcoverage": "person_id, consent_id, organisation_id, valid_from, valid_until",
    "action": "id, case_id, sip_id, description, responsible_id, handling_time, status, due_date, "
              "follow_up_date, created_at",
}


def seed(url: str, actions: int, overdue: int) -> float:
    started = time.perf_counter()
    cases = max(1, -(-actions // ACTIONS_PER_CASE))
    sizes = {"organisation": 10, "member": RECIPIENTS, "person": cases, "care_case": cases, "sip": cases,
             "consent": cases, "consentparty": cases * 10, "consentcoverage": cases * 10, "action": actions}
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        with raw.cursor() as cur:
            for table, n in sizes.items():
                with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows(table, n, overdue):
                        copy.write_row(row)
            cur.execute("ANALYZE")
        raw.commit()
        raw.close()
    else:
        raw = engine.raw_connection()
        cur = raw.cursor()
        for table, n in sizes.items():
            marks = ", ".join("?" * len(COLUMNS[table].split(",")))
            cur.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows(table, n, overdue))
        raw.commit()
        cur.execute("ANALYZE")
        raw.close()
    return time.perf_counter() - started


def hand_written_sql(url: str) -> float:
    """The floor: one INSERT ... SELECT of the notices (with the access policy's consent coverage and
    active-member filter, as the sweep applies it), one grouped INSERT of the digests."""
    engine = get_engine(url)
    pg = engine.dialect.name == "postgresql"
    today = NOW.in_timezone("Europe/Stockholm").date()
    cutoff = (today + dt.timedelta(days=4)).isoformat()
    agg = "string_agg(n.case_number, ',')" if pg else "group_concat(n.case_number, ',')"
    now = NOW.isoformat() if pg else NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    cast_date = "CAST(:today AS DATE)" if pg else ":today"
    best = float("inf")
    for _ in range(3):
        with engine.connect() as conn:
            trans = conn.begin()
            started = time.perf_counter()
            conn.execute(text(f"""
                INSERT INTO sweepnotice (item_kind, item_id, due_date, klass, recipient_id, case_number,
                                         responsible_role, organisation_id, created_at)
                SELECT 'action', a.id, a.due_date,
                       CASE WHEN a.due_date < {cast_date} THEN 'overdue'
                            WHEN a.due_date = {cast_date} THEN 'due_today' ELSE 'due_soon' END,
                       m.id, c.number, m.role, m.organisation_id, :now
                FROM action a JOIN member m ON m.id = a.responsible_id JOIN care_case c ON c.id = a.case_id
                WHERE a.status IN ('planned', 'assigned') AND a.due_date <= :cutoff AND m.active
                  AND EXISTS (SELECT 1 FROM consentcoverage cc WHERE cc.person_id = c.person_id
                              AND cc.organisation_id = m.organisation_id AND cc.valid_from <= {cast_date}
                              AND (cc.valid_until IS NULL OR cc.valid_until >= {cast_date}))
            """), {"today": today.isoformat() if not pg else today,
                   "cutoff": cutoff if not pg else today + dt.timedelta(days=4), "now": now})
            conn.execute(text(f"""
                INSERT INTO outbox (key, kind, member_id, subject, body, status, attempts, created_at,
                                    next_attempt_at)
                SELECT 'sql:' || n.recipient_id, 'digest', n.recipient_id, 'digest', {agg}, 'pending', 0, :now, :now
                FROM sweepnotice n WHERE n.created_at = :now GROUP BY n.recipient_id
            """), {"now": now})
            best = min(best, time.perf_counter() - started)
            trans.rollback()
    return best


async def task_run_count(flow_run_id) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    async with get_client() as client:
        runs = await client.read_task_runs(task_run_filter=TaskRunFilter(
            flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id])))
    return len(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    overdue = min(args.overdue, args.actions)

    url, drop = database(args.database)
    os.environ["COORDINATION_DATABASE_URL"] = url
    try:
        schema.upgrade(url)
        seed_s = seed(url, args.actions, overdue)
        print(f"seeded {args.actions} actions ({overdue} overdue) for {RECIPIENTS} recipients in {seed_s:.1f} s")
        sql_s = hand_written_sql(url)

        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
        from prefect.testing.utilities import prefect_test_harness

        from coordination.flows.follow_up_sweep import follow_up_sweep

        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            with prefect_test_harness(server_startup_timeout=60):
                runs = []
                for attempt in range(3):
                    if attempt:
                        with get_engine(url).begin() as conn:
                            for table in ("sweepnotice", "deviation", "outbox"):
                                conn.execute(text(f"DELETE FROM {table}"))
                    started = time.perf_counter()
                    state = follow_up_sweep(now=NOW, deliver=False, return_state=True)
                    runs.append((time.perf_counter() - started, state.result(), state))
                    print(f"run {attempt + 1}: sweep_s {runs[-1][0]:.3f} db_s {runs[-1][1]['db_seconds']:.4f}")
                sweep_s, result, state = min(runs, key=lambda r: r[1]["db_seconds"])
                task_runs = asyncio.run(task_run_count(state.state_details.flow_run_id))
        with get_engine(url).connect() as conn:
            recipients = conn.execute(text("SELECT count(DISTINCT recipient_id) FROM sweepnotice")).scalar_one()
        figures = {
            "actions": args.actions, "overdue": overdue, "recipients": recipients,
            "sweep_s": round(sweep_s, 4), "db_s": round(result["db_seconds"], 4), "sql_s": round(sql_s, 4),
            "ratio": round(result["db_seconds"] / sql_s, 2) if sql_s else None,
            "task_runs": task_runs, "messages": result["digests"],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        print(f"orchestration overhead (sweep_s - db_s): {sweep_s - result['db_seconds']:.3f} s")
        print(json.dumps(figures))
    finally:
        drop()


if __name__ == "__main__":
    main()
