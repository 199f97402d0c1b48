"""The follow-up sweep at region scale, against a hand-written floor that writes the same rows.

    .venv/bin/python benchmarks/sweep.py --actions 1000000 --due 10000 --database sqlite|postgresql

Seeds N open actions for 500 members (ten of them managers) with consent coverage, of which
`--due` are due (7 in 10 late, 1 past the grace period: escalated and a deviation, 1 due today,
1 due tomorrow) and the rest due in three months; a SIP follow-up is due for some cases too. Due
items are their own parameter, so the costs of N and of what is due don't mix. Prints:
  floor_s        hand-written SQL and a plain loop writing the same notices, deviations and digest
                 rows (tests/test_benchmark_floors.py checks they are identical), committed, on
                 emptied and vacuumed tables, best of three;
  db_s           the sweep's database phase, measured inside the flow (best of three warm runs);
  flow_s         the whole flow in this warm process, delivery excluded (best of three), against a
                 standalone `prefect server` with Prefect's default settings, as operators run it;
  bare_flow_s    a bare flow returning 1 on that server: what Prefect itself costs a flow run;
  flow_quiet_s and bare_flow_quiet_s: the same with heartbeats off. A served flow run joins
                 Prefect's heartbeat thread, which sleeps in whole seconds, so every short run
                 takes about a second; without it the project's own round trips show:
  overhead_s     flow_quiet_s - db_s - bare_flow_quiet_s (per run): what the project adds over a
                 bare flow (tasks, logs, the artifact); compare it at --due 0 and --due 100000;
  flow_harness_s and bare_flow_harness_s: the same under `prefect_test_harness`, where tests run;
  steady_s       the flow again with nothing new (a second sweep the same day), and steady_db_s
                 its database phase, beside steady_floor_s: the anti-joins over what is due (to
                 be told, and to be recorded as a deviation);
  fresh_s        `coordination sweep --no-deliver` in a fresh process against the standalone
                 server, on emptied tables: what a user waits for, beside fresh_floor_s, a fresh
                 process writing the floor's rows and running a bare flow on the same server;
  job_s          the sweep alone (no Prefect) in a fresh process on emptied, vacuumed tables: the
                 first sweep of a new region, where a misplanned anti-join went quadratic;
  job_full_s     the same again, the tables full (nothing new); job_next_day_s: the next day's;
  job_peak_mb    peak memory of a fresh process that runs the sweep alone (no Prefect);
  fresh_peak_mb  peak memory of the fresh CLI process.
`--memory` measures only the two fresh processes, once each (for 1M items due).
Delivery is measured by benchmarks/delivery.py. The last line is one JSON object."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pendulum  # noqa: E402
from sqlalchemy import Date, Integer, String, bindparam, text  # noqa: E402

from coordination.persistence import schema  # noqa: E402
from coordination.persistence.engine import get_engine  # noqa: E402
from coordination.persistence.models import Outbox, SweepNotice  # noqa: E402
from coordination.usecases.sweep import NO_MANAGER  # noqa: E402  (the reason text the rows carry)
from tests.support import scratch_pg_database  # noqa: E402
from served import (  # noqa: E402
    bare_flow_warm, client_env, floor_then_bare_flow, flush_to_api, served, standalone_server,
)

RECIPIENTS = 500
ACTIONS_PER_CASE = 10
NOW = pendulum.datetime(2026, 11, 25, 7, 0, tz="Europe/Stockholm").in_timezone("UTC")
PG_ADMIN = os.environ.get("COORDINATION_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def database(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="bench-")) / "coordination.db"
        return f"sqlite:///{path}", lambda: None
    return scratch_pg_database(PG_ADMIN, prefix="coord_bench")


@contextlib.contextmanager
def migrated_database(kind: str, *, as_default: bool = True):
    """A new, migrated coordination database of `kind` for one benchmark run, dropped after it;
    with `as_default`, also the one the use cases and fresh processes open."""
    url, drop = database(kind)
    if as_default:
        os.environ["COORDINATION_DATABASE_URL"] = url
    try:
        schema.upgrade(url)
        yield url
    finally:
        drop()


def rows(table: str, n: int, due: int):
    today = NOW.in_timezone("Europe/Stockholm").date()
    stamp = NOW.isoformat()
    if table == "organisation":
        for i in range(10):
            yield (i + 1, f"org-{i}", f"Organisation {i}", "municipality" if i % 2 else "region", "home_health_care")
    elif table == "member":  # the first ten are the others' managers, one per organisation
        for i in range(RECIPIENTS):
            yield (i + 1, f"m-{i}", f"Member {i}", "unit_manager" if i < 10 else "nurse", True, "[]", i % 10 + 1,
                   None if i < 10 else i % 10 + 1)
    elif table == "person":
        for i in range(n):
            yield (i + 1, f"BENCH-{i:09d}", False, "1940-01-01", "Given", "Family", False, False)
    elif table == "care_case":
        for i in range(n):
            yield (i + 1, f"K-2026-{i + 1:07d}", i + 1, "active", "[]", False, False, stamp, (i % RECIPIENTS) + 1)
    elif table == "sip":
        for i in range(n):
            # a SIP follow-up is due for one case in a hundred, past the grace period for half of them
            follow_up = today - dt.timedelta(days=10 if i % 200 == 0 else 1) if i % 100 == 0 and i < due // 10 \
                else today + dt.timedelta(days=120)
            yield (i + 1, i + 1, 1, True, stamp, (i % RECIPIENTS) + 1, "x", "[]", follow_up.isoformat())
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
    elif table == "action":  # the first `due` are due: 7 in 10 late, 1 past the grace period (escalated,
        # a deviation), 1 due today, 1 due tomorrow; the rest in three months
        dates = [today - dt.timedelta(days=1)] * 7 + [today - dt.timedelta(days=10), today, today + dt.timedelta(days=1)]
        cycle = [d.isoformat() for d in dates]
        later = (today + dt.timedelta(days=90)).isoformat()
        for i in range(n):
            case_id = i // ACTIONS_PER_CASE + 1
            yield (i + 1, case_id, case_id, "x", i % RECIPIENTS + 1, "next_working_day", "assigned",
                   cycle[i % len(cycle)] if i < due else later, later, stamp)


COLUMNS = {
    "organisation": "id, code, name, organiser, unit_type",
    "member": "id, code, name, role, active, notify, organisation_id, manager_id",
    "person": "id, personnummer, is_coordination_number, birth_date, given_name, family_name, "
              "protected_identity, residence_hidden_from_guardians",
    "care_case": "id, number, person_id, status, reasons, flagged_for_meeting, seriously_ill, opened_at, coordinator_id",
    "sip": "id, case_id, version, current, created_at, coordinator_id, what_matters, other_plans, next_follow_up",
    "consent": "id, person_id, scopes, given_by, form, valid_from, recorded_at",
    "consentparty": "consent_id, organisation_id, documented_at",
    "consentcoverage": "person_id, consent_id, organisation_id, valid_from, valid_until",
    "action": "id, case_id, sip_id, description, responsible_id, handling_time, status, due_date, "
              "follow_up_date, created_at",
}


def seed(url: str, actions: int, due: int) -> float:
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
                    for row in rows(table, n, due):
                        copy.write_row(row)
            cur.execute("ANALYZE")
        raw.commit()
        raw.close()
    else:
        raw = engine.raw_connection()
        cur = raw.cursor()
        for table, n in sizes.items():
            marks = ", ".join("?" * len(COLUMNS[table].split(",")))
            cur.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows(table, n, due))
        raw.commit()
        cur.execute("ANALYZE")
        raw.close()
    return time.perf_counter() - started



# --- the floor: hand-written SQL for the notices and deviations, a plain loop for the digests ------

def _coverage(person: str, organisation: str) -> str:
    return (f"EXISTS (SELECT 1 FROM consentcoverage cc WHERE cc.person_id = {person} "
            f"AND cc.organisation_id = {organisation} AND cc.valid_from <= :today "
            f"AND (cc.valid_until IS NULL OR cc.valid_until >= :today))")


def _klass(due: str) -> str:
    return f"CASE WHEN {due} < :today THEN 'overdue' WHEN {due} = :today THEN 'due_today' ELSE 'due_soon' END"


OPEN_ACTION = "a.status IN ('planned', 'assigned') AND a.due_date IS NOT NULL AND a.due_date <= :soon"
LIVE_SIP = "s.current AND c.status IN ('planned', 'active') AND s.next_follow_up <= :soon"
ACTIONS = "FROM action a JOIN care_case c ON c.id = a.case_id JOIN member r ON r.id = a.responsible_id"
SIPS = "FROM sip s JOIN care_case c ON c.id = s.case_id JOIN member r ON r.id = s.coordinator_id"
MANAGER = "JOIN member m ON m.id = r.manager_id"

DUE = f"""
  SELECT 'action' AS item_kind, a.id AS item_id, a.due_date AS due_date, {_klass('a.due_date')} AS klass,
         r.id AS recipient_id, c.number AS case_number, r.role AS responsible_role, r.organisation_id AS organisation_id,
         :now AS created_at
  {ACTIONS} WHERE {OPEN_ACTION} AND r.active AND {_coverage('c.person_id', 'r.organisation_id')}
  UNION ALL
  SELECT 'action', a.id, a.due_date, 'escalated', m.id, c.number, r.role, r.organisation_id, :now
  {ACTIONS} {MANAGER} WHERE {OPEN_ACTION} AND a.due_date < :escalate_before AND m.active
    AND {_coverage('c.person_id', 'm.organisation_id')}
  UNION ALL
  SELECT 'sip_follow_up', s.id, s.next_follow_up, {_klass('s.next_follow_up')}, r.id, c.number, r.role,
         r.organisation_id, :now
  {SIPS} WHERE {LIVE_SIP} AND r.active AND {_coverage('c.person_id', 'r.organisation_id')}
  UNION ALL
  SELECT 'sip_follow_up', s.id, s.next_follow_up, 'escalated', m.id, c.number, r.role, r.organisation_id, :now
  {SIPS} {MANAGER} WHERE {LIVE_SIP} AND s.next_follow_up < :escalate_before AND m.active
    AND {_coverage('c.person_id', 'm.organisation_id')}
"""
NOT_TOLD = """NOT EXISTS (SELECT 1 FROM sweepnotice n WHERE n.item_kind = d.item_kind AND n.item_id = d.item_id
                  AND n.due_date = d.due_date AND n.klass = d.klass AND n.recipient_id = d.recipient_id)"""

# "told before?" is the unique index's probe (ON CONFLICT), never an anti-join against the table
# the same INSERT fills: on an empty, vacuumed table PostgreSQL plans that as a nested loop over a
# sequential scan, quadratic in what is due (the WHERE keeps SQLite's parser from a join's ON)
NOTICES = f"""
INSERT INTO sweepnotice (item_kind, item_id, due_date, klass, recipient_id, case_number, responsible_role,
                         organisation_id, created_at, digest_key)
SELECT d.*, 'digest:' || CAST(d.recipient_id AS VARCHAR(20)) || :suffix FROM ({DUE}) d WHERE 1 = 1
ON CONFLICT DO NOTHING
"""
STILL_DUE = f"SELECT count(*) FROM ({DUE}) d WHERE {NOT_TOLD}"

DEVIATION_ROWS = f"""
  SELECT 'action' AS item_kind, a.id AS item_id, a.due_date AS due_date, c.number AS case_number,
         r.id AS responsible_id, r.manager_id AS manager_id, :now AS detected_at
  {ACTIONS} WHERE {OPEN_ACTION} AND a.due_date < :escalate_before AND {_coverage('c.person_id', 'r.organisation_id')}
  UNION ALL
  SELECT 'sip_follow_up', s.id, s.next_follow_up, c.number, r.id, r.manager_id, :now
  {SIPS} WHERE {LIVE_SIP} AND s.next_follow_up < :escalate_before AND {_coverage('c.person_id', 'r.organisation_id')}
"""
DEVIATIONS = f"""
INSERT INTO deviation (item_kind, item_id, due_date, case_number, responsible_id, manager_id, detected_at)
SELECT d.* FROM ({DEVIATION_ROWS}) d WHERE 1 = 1 ON CONFLICT DO NOTHING
"""
# what a second sweep must at least read: a count, so the anti-join fills nothing it scans
STILL_DEVIATING = f"""SELECT count(*) FROM ({DEVIATION_ROWS}) d
WHERE NOT EXISTS (SELECT 1 FROM deviation v WHERE v.item_kind = d.item_kind AND v.item_id = d.item_id
                  AND v.due_date = d.due_date)"""

# a deviation whose responsible member has no manager is kept as an unroutable message
ORPHANS = """
INSERT INTO outbox (key, kind, member_id, case_number, subject, body, status, attempts, cancel_reason, created_at,
                    next_attempt_at)
SELECT 'deviation:' || item_kind || :sep || CAST(item_id AS VARCHAR(20)) || :sep || CAST(due_date AS VARCHAR(10)) || :tail,
       'deviation', responsible_id, case_number, 'deviation',
       '', 'unroutable', 0, :reason, :now, :now
FROM deviation WHERE detected_at = :now AND manager_id IS NULL
"""

RUN_NOTICES = """
SELECT item_kind, item_id, case_number, due_date, klass, responsible_role, recipient_id FROM sweepnotice
WHERE created_at = :now AND digest_key LIKE :pattern ORDER BY recipient_id, id
"""

DIGEST = """
INSERT INTO outbox (key, kind, member_id, subject, body, status, attempts, created_at, next_attempt_at)
VALUES (:key, 'digest', :member_id, :subject, :body, 'pending', 0, :now, :now)
"""


def _dates(now: dt.datetime) -> dict:
    from coordination.domain.calendar import add_working_days, local_date

    today = local_date(now)
    days = dict(today=today, soon=add_working_days(today, 2), escalate_before=add_working_days(today, -2))
    return {k: dt.date(d.year, d.month, d.day) for k, d in days.items()}  # plain dates: the drivers bind those


def floor_sweep(connection, *, now: dt.datetime, suffix: str) -> int:
    """The rows the sweep writes (with the default policy), by hand: two INSERT ... SELECTs, one
    read of the new notices, the digests rendered by the same template and written with one
    executemany. Returns the number of digests."""
    from coordination.notifications.templates import DigestItem, digest

    stamp = bindparam("now", now, type_=SweepNotice.created_at.type)
    connection.execute(text(NOTICES).bindparams(stamp), dict(_dates(now), suffix=suffix))
    connection.execute(text(DEVIATIONS).bindparams(stamp), _dates(now))
    connection.execute(text(ORPHANS).bindparams(bindparam("now", now, type_=Outbox.created_at.type)),
                       {"reason": NO_MANAGER, "sep": ":", "tail": ":no_manager"})
    items = defaultdict(list)
    notices = text(RUN_NOTICES).bindparams(stamp).columns(
        item_kind=String, item_id=Integer, case_number=String, due_date=Date, klass=String, responsible_role=String,
        recipient_id=Integer)  # typed, so SQLite's dates come back as dates
    for row in connection.execute(notices, {"pattern": f"%{suffix}"}):
        items[row[6]].append(DigestItem(*row[:6]))
    locales = dict(connection.execute(text("SELECT id, locale FROM member")).all())
    values = []
    for recipient, lines in items.items():
        message = digest(lines).message(locales.get(recipient))
        values.append({"key": f"digest:{recipient}{suffix}", "member_id": recipient, "subject": message.subject,
                       "body": message.body})
    if values:
        connection.execute(text(DIGEST).bindparams(bindparam("now", now, type_=Outbox.created_at.type)), values)
    return len(values)


def steady_floor(connection, *, now: dt.datetime) -> int:
    """What a second sweep the same day must do at least: the anti-joins over what is due, to be
    told and to be recorded as a deviation. Returns how many rows either would write."""
    stamp = bindparam("now", now, type_=SweepNotice.created_at.type)
    untold = connection.execute(text(STILL_DUE).bindparams(stamp), _dates(now)).scalar_one()
    unrecorded = connection.execute(text(STILL_DEVIATING).bindparams(stamp), _dates(now)).scalar_one()
    return untold + unrecorded


def timed_floor(url: str, runs: int = 3) -> tuple[float, float]:
    """Best of `runs` of the floor, committed as the product commits, each on emptied and vacuumed
    tables (the first sweep's case); and of the steady-state floor against what it wrote."""
    engine = get_engine(url)
    best = steady = float("inf")
    for _ in range(runs):
        clear(url)
        with engine.begin() as conn:
            started = time.perf_counter()
            floor_sweep(conn, now=NOW, suffix=":floor")
        best = min(best, time.perf_counter() - started)
        analyze(url)  # the floor may: a bulk change makes the statistics lie, and its count reads them
        with engine.begin() as conn:
            started = time.perf_counter()
            steady_floor(conn, now=NOW)
        steady = min(steady, time.perf_counter() - started)
    clear(url)
    return best, steady


# --- the measured runs ------------------------------------------------------------------------

JOB = """
import json, sys, time
started = time.perf_counter()
import pendulum
from coordination.config.notifications import SweepPolicy
from coordination.persistence.engine import unit_of_work
from coordination.usecases.sweep import sweep
with unit_of_work(sys.argv[1]) as session:
    result = sweep(session, now=pendulum.parse(sys.argv[2]), policy=SweepPolicy())
print(json.dumps({"items": result.items, "wall_s": time.perf_counter() - started}))
"""


def child(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a fresh process; its wall time, its own peak memory (MB) and its output. The peak is the
    child's VmHWM, read while it runs: its rusage would count the parent's pages it forked from."""
    started = time.perf_counter()
    peak_kb = 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env or dict(os.environ), cwd=ROOT)
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
            except (OSError, IndexError):
                pass  # gone between poll and read, or no /proc: the figure stays what it was
            time.sleep(0.005)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])} failed:\n{err.read()[-3000:]}")
        return wall, peak_kb / 1024, out.read()


@contextlib.contextmanager
def prefect_harness():
    """Prefect's test server, for warm flow runs in this process; yields its API URL, which a
    fresh process is given too."""
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-bench-"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=60):
            yield PREFECT_API_URL.value()


def best_flow_run(run, reset, runs: int = 3) -> float:
    """The best of `runs` warm runs of a flow, each after `reset`."""
    best = float("inf")
    for _ in range(runs):
        reset()
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def analyze(url: str) -> None:
    with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def clear(url: str) -> None:
    """Empty what a sweep writes, and vacuum and analyze it: the statistics then say "empty", as
    on a new region's first sweep or after a purge, the case where a plan can go wrong."""
    engine = get_engine(url)
    with engine.begin() as conn:
        for table in ("sweepnotice", "deviation", "outbox"):
            conn.execute(text(f"DELETE FROM {table}"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE sweepnotice, deviation, outbox"))
        else:
            conn.execute(text("VACUUM"))
            conn.execute(text("ANALYZE"))


def memory(url: str, args, due: int) -> None:
    """Peak memory at a size where timing every phase would take too long: the sweep alone and
    `coordination sweep` against a standalone server, each once, on emptied tables."""
    clear(url)
    job_s, job_peak_mb, out = child([sys.executable, "-c", JOB, url, NOW.isoformat()])
    items = json.loads(out)["items"]
    clear(url)
    with standalone_server() as server:
        now = NOW.in_timezone("Europe/Stockholm").strftime("%Y-%m-%dT%H:%M")
        fresh_s, fresh_peak_mb, _ = child([sys.executable, "-m", "coordination", "sweep", "--no-deliver",
                                           "--now", now], client_env(server.url))
    print(f"{items} items: the sweep alone {job_s:.1f} s, peak {job_peak_mb:.0f} MB; `coordination sweep` "
          f"{fresh_s:.1f} s, peak {fresh_peak_mb:.0f} MB", flush=True)
    print(json.dumps({"database": args.database, "actions": args.actions, "due": due, "items": items,
                      "job_s": round(job_s, 2), "job_peak_mb": round(job_peak_mb, 1), "fresh_s": round(fresh_s, 2),
                      "fresh_peak_mb": round(fresh_peak_mb, 1)}))


# what a fresh `coordination sweep` must at least do: start, write the floor's rows and commit,
# and run one bare flow on the same server
FRESH_FLOOR = floor_then_bare_flow("sweep", 'bench.floor_sweep(conn, now=now, suffix=":floor")')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000, help="how many of the actions are due (at most N)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--memory", action="store_true",
                        help="only what a fresh process holds: the sweep alone and `coordination sweep`, once each")
    args = parser.parse_args()
    due = min(args.due, args.actions)
    with migrated_database(args.database) as url:
        seed_s = seed(url, args.actions, due)
        print(f"seeded {args.actions} actions ({due} due) for {RECIPIENTS} members in {seed_s:.1f} s", flush=True)
        if args.memory:
            memory(url, args, due)
            return
        floor_s, steady_floor_s = timed_floor(url)
        print(f"floor_s {floor_s:.3f} steady_floor_s {steady_floor_s:.3f}", flush=True)

        # the job alone in a fresh process: on empty, vacuumed tables (the first sweep); again the
        # same day against the full ones (nothing new); and the next day, the tables full of
        # yesterday's notices and much of it new
        job_s, job_peak_mb, out = child([sys.executable, "-c", JOB, url, NOW.isoformat()])
        items = json.loads(out)["items"]
        print(f"job alone in a fresh process, empty vacuumed tables: {job_s:.3f} s, peak {job_peak_mb:.0f} MB",
              flush=True)
        job_full_s, _, _ = child([sys.executable, "-c", JOB, url, NOW.isoformat()])
        job_next_s, _, out = child([sys.executable, "-c", JOB, url, NOW.add(days=1).isoformat()])
        print(f"job again, tables full: {job_full_s:.3f} s; the next day: {job_next_s:.3f} s "
              f"({json.loads(out)['items']} new items)", flush=True)
        clear(url)

        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        from coordination.flows.follow_up_sweep import follow_up_sweep

        def warm_flows() -> tuple[list[tuple[float, float]], dict]:
            runs = []
            for attempt in range(3):
                clear(url)
                started = time.perf_counter()
                result = follow_up_sweep(now=NOW, deliver=False)
                runs.append((time.perf_counter() - started, result["db_seconds"]))
                print(f"warm run {attempt + 1}: flow_s {runs[-1][0]:.3f} db_s {runs[-1][1]:.4f}", flush=True)
            return runs, result

        now = NOW.in_timezone("Europe/Stockholm").strftime("%Y-%m-%dT%H:%M")
        with prefect_harness():  # the harness the tests use
            bare_harness_s = bare_flow_warm()
            flow_harness_s = min(r[0] for r in warm_flows()[0])
        with standalone_server() as server, served(server.url):  # as operators run it
            env = client_env(server.url)
            clear(url)  # the harness's runs filled them
            fresh_s, fresh_peak_mb, _ = child([sys.executable, "-m", "coordination", "sweep", "--no-deliver",
                                               "--now", now], env)
            clear(url)
            fresh_floor_s, _, _ = child([sys.executable, "-c", FRESH_FLOOR, url, NOW.isoformat()], env)
            print(f"fresh_s {fresh_s:.3f} (peak {fresh_peak_mb:.0f} MB), its floor {fresh_floor_s:.3f}", flush=True)
            bare_flow_s = bare_flow_warm()
            runs, result = warm_flows()
            started = time.perf_counter()
            steady = follow_up_sweep(now=NOW, deliver=False)
            steady_s = time.perf_counter() - started
            # Prefect's heartbeat thread sleeps in whole seconds and a flow run joins it, so served
            # runs end on the next second's tick; without heartbeats the project's own round trips show
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                bare_quiet_s = bare_flow_warm()
                quiet_runs = warm_flows()[0]
            flush_to_api()
        print(f"bare flow {bare_flow_s:.3f} s served, {bare_harness_s:.3f} s under the harness", flush=True)
        flow_s, flow_db_s = min(runs)
        db_s = min(r[1] for r in runs)
        figures = {
            "database": args.database, "actions": args.actions, "due": due, "items": items,
            "digests": result["digests"], "deviations": result["deviations"],
            "floor_s": round(floor_s, 4), "db_s": round(db_s, 4), "ratio_to_floor": round(db_s / floor_s, 2),
            "flow_s": round(flow_s, 4), "bare_flow_s": round(bare_flow_s, 4),
            "flow_quiet_s": round(min(quiet_runs)[0], 4), "bare_flow_quiet_s": round(bare_quiet_s, 4),
            "overhead_s": round(min(r[0] - r[1] for r in quiet_runs) - bare_quiet_s, 4),
            "flow_harness_s": round(flow_harness_s, 4), "bare_flow_harness_s": round(bare_harness_s, 4),
            "steady_s": round(steady_s, 4), "steady_db_s": round(steady["db_seconds"], 4),
            "steady_floor_s": round(steady_floor_s, 4), "steady_items": steady["items"],
            "fresh_s": round(fresh_s, 3), "fresh_floor_s": round(fresh_floor_s, 3),
            "fresh_ratio": round(fresh_s / fresh_floor_s, 2), "fresh_peak_mb": round(fresh_peak_mb, 1),
            "job_s": round(job_s, 3), "job_peak_mb": round(job_peak_mb, 1),
            "job_full_s": round(job_full_s, 3), "job_next_day_s": round(job_next_s, 3),
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
