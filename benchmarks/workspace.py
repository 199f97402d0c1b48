"""Workspace speed at region scale: "my items" and the case page, and 50 signed-in users at once.

Seeds open actions as `sweep.py` does (500 members, 10 actions a case), vacuums them as autovacuum
would (PostgreSQL), then prints:
- the server time of "my items" and of the case page (the use cases in this process, each read's
  audit row committed as the workspace commits it), against a hand-written SQL floor that
  returns the same rows: the median of 40 calls of each, product and floor taken in turn;
- what one user waits for: each page as a whole HTTP request to an idle server (median of 10);
- p50 and p95 of whole HTTP requests from 50 signed-in users on loopback, each thinking 1 to 3 s
  between requests (seeded, so every run asks the same), against the workspace in its own
  processes, one worker per core, as `coordination web --workers N` serves it.
The server runs on the seeded region's fixed clock (benchmarks/fixed_clock_app.py), so the same
items are due whatever day it runs.

Usage: .venv/bin/python benchmarks/workspace.py --actions 1000000 --database sqlite|postgresql
       [--port 8765] [--requests 20]
Its last line is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sweep as seeding  # noqa: E402  (the sweep benchmark's seeding: the same region)

import httpx  # noqa: E402
from sqlalchemy import Date, bindparam, text  # noqa: E402

from coordination.config.notifications import SweepPolicy  # noqa: E402
from coordination.persistence.engine import get_engine, unit_of_work  # noqa: E402
from coordination.persistence.models import Member, SweepNotice  # noqa: E402
from coordination.usecases import queries, signin, workspace  # noqa: E402
from coordination.usecases.common import Actor  # noqa: E402

USERS = 50
WORKERS = os.cpu_count() or 1  # as an operator would run it: one worker per core
THINK_S = (1.0, 3.0)  # a member reads a page before the next click
HERE = Path(__file__).resolve().parent


def floor_rows(connection, member_id: int, now) -> list[tuple]:
    """Hand-written SQL for one member's items: the sweep floor's due items for this recipient,
    with each action's description, handling time and (when escalated) responsible member."""
    rows = connection.execute(text(f"""
        SELECT d.item_kind, d.item_id, d.case_number, d.due_date, d.klass, d.responsible_role, a.description,
               a.handling_time, CASE WHEN d.klass = 'escalated' THEN r.name END
        FROM ({seeding.DUE}) d
        LEFT JOIN action a ON d.item_kind = 'action' AND a.id = d.item_id
        LEFT JOIN member r ON r.id = a.responsible_id
        WHERE d.recipient_id = :member""").bindparams(
        bindparam("now", now, type_=SweepNotice.created_at.type)).columns(due_date=Date),
        dict(seeding._dates(now), member=member_id)).all()
    order = {"escalated": 0, "overdue": 1, "due_today": 2, "due_soon": 3}
    return sorted((tuple(r) for r in rows), key=lambda r: (order[r[4]], r[3], r[2], r[1]))


def floor_case(connection, member_id: int, number: str, now) -> dict:
    """Hand-written SQL for the case page's record: the rows `queries.case_record` reads (the
    case and person, contacts, consents, blocks, SIP versions with their participants, the latest
    SBAR, actions, follow-ups, SIP meetings, questions and their recipients, deviations, return
    reports, members by name), and the read's audit row. No policy: that is the product's cost.
    Returns what `shown` returns for the product's record."""
    def rows(sql: str, **params) -> list:
        return connection.execute(text(sql), params).all()

    def iso(day) -> str | None:  # SQLite gives a text query's dates as text
        return day if day is None or isinstance(day, str) else day.isoformat()

    [(case_id, person_id, coordinator_id)] = rows(
        "SELECT c.id, p.id, c.coordinator_id FROM care_case c JOIN person p ON p.id = c.person_id "
        "WHERE c.number = :number", number=number)
    names = dict(rows("SELECT id, name FROM member"))
    rows("SELECT kind, name, phone, may_be_involved FROM contact WHERE person_id = :p ORDER BY kind, id", p=person_id)
    consents = rows("SELECT id FROM consent WHERE person_id = :p ORDER BY id", p=person_id)
    rows("SELECT b.id, o.code, b.placed_at, b.lifted_at FROM block b JOIN organisation o ON o.id = b.organisation_id "
         "WHERE b.person_id = :p", p=person_id)
    sips = rows("SELECT id, version, current, coordinator_id, next_follow_up FROM sip WHERE case_id = :c ORDER BY version",
                c=case_id)
    taking_part = rows("SELECT sp.sip_id, sp.member_id FROM sipparticipant sp JOIN sip s ON s.id = sp.sip_id "
                       "WHERE s.case_id = :c", c=case_id)
    rows("SELECT * FROM assessment WHERE case_id = :c ORDER BY id DESC LIMIT 1", c=case_id)
    actions = rows("SELECT id, status, description, responsible_id, due_date FROM action WHERE case_id = :c ORDER BY id",
                   c=case_id)
    follow_ups = rows("SELECT id FROM followup WHERE case_id = :c ORDER BY id", c=case_id)
    rows("SELECT id FROM sip_meeting WHERE case_id = :c ORDER BY id", c=case_id)
    questions = rows("SELECT e.id FROM escalation e WHERE e.case_id = :c ORDER BY e.id", c=case_id)
    rows("SELECT r.escalation_id, r.member_id FROM escalationrecipient r JOIN escalation e ON e.id = r.escalation_id "
         "WHERE e.case_id = :c", c=case_id)
    deviations = rows("SELECT id FROM deviation WHERE case_number = :n ORDER BY id", n=number)
    rows("SELECT id FROM returnreport WHERE case_id = :c ORDER BY id", c=case_id)
    connection.execute(text("INSERT INTO auditevent (at, actor_id, actor, action, record_type, record_id, person_id) "
                            "VALUES (:at, :m, :actor, 'read', 'case', :n, :p)").bindparams(
        bindparam("at", now, type_=SweepNotice.created_at.type)),
        dict(m=member_id, actor="bench", n=number, p=person_id))
    current = next((s for s in sips if s.current), None)
    return {"coordinator": names.get(coordinator_id), "consents": [c.id for c in consents],
            "sip": None if current is None else (current.version, names[current.coordinator_id],
                                                 iso(current.next_follow_up),
                                                 sorted(names[m] for s, m in taking_part if s == current.id)),
            "versions": [s.version for s in sips],
            "actions": [(a.id, a.status, a.description, names[a.responsible_id],
                         iso(a.due_date)) for a in actions],
            "follow_ups": [f.id for f in follow_ups], "questions": [q.id for q in questions],
            "deviations": [d.id for d in deviations]}


def shown(record: dict) -> dict:
    """What the floor's comparison takes from the product's record: the same rows, by name."""
    sip = record["sip"]
    return {"coordinator": (record["coordinator"] or {}).get("name"), "consents": [c["id"] for c in record["consents"]],
            "sip": None if sip is None else (sip["version"], sip["coordinator"]["name"], sip["next_follow_up"],
                                             sorted(p["name"] for p in sip["participants"])),
            "versions": sorted([sip["version"], *(v["version"] for v in sip["earlier_versions"])]) if sip else [],
            "actions": [(a["id"], a["status"], a["description"], a["responsible"]["name"], a["due_date"])
                        for a in record["actions"]],
            "follow_ups": [f["id"] for f in record["follow_ups"]], "questions": [q["id"] for q in record["escalations"]],
            "deviations": [d["id"] for d in record["deviations"]]}


RUNS = 40  # each use case and its floor, taken in turn


def paired(product, floor, runs: int = RUNS) -> tuple[float, float, Any, Any]:
    """The median of `runs` calls of each, the product and its floor taken in turn after a few
    to warm up, so both meet the machine as it is at that moment (a best-of-five of each, one
    after the other, compared a quiet minute with a busy one). Returns both medians and the
    last results."""
    product_s, floor_s = [], []
    for i in range(runs + 5):
        started = time.perf_counter()
        mine = product()
        middle = time.perf_counter()
        theirs = floor()
        if i >= 5:
            product_s.append(middle - started)
            floor_s.append(time.perf_counter() - middle)
    return statistics.median(product_s), statistics.median(floor_s), mine, theirs


def server_times(url: str, member_id: int, case_number: str, now) -> dict:
    """My items and the case page as use cases, each beside its floor. Both commit what they
    write: the product its unit of work (a read's audit row is part of the read), the floor its
    transaction."""
    def my_items():
        with unit_of_work() as s:
            return workspace.my_items(s, member_id, now=now, policy=SweepPolicy())

    def items_floor():
        with get_engine(url).begin() as conn:
            return floor_rows(conn, member_id, now)

    def case_page():
        with unit_of_work() as s:
            return queries.case_record(s, Actor("bench", member_id), case_number, now=now)

    def case_floor():
        with get_engine(url).begin() as conn:
            return floor_case(conn, member_id, case_number, now)

    items_s, items_floor_s, items, floor_items = paired(my_items, items_floor)
    assert len(items) == len(floor_items), (len(items), len(floor_items))
    case_s, case_floor_s, record, by_hand = paired(case_page, case_floor)
    assert shown(record) == by_hand
    return {"my_items_s": items_s, "items": len(items), "floor_s": items_floor_s,
            "case_page_s": case_s, "case_floor_s": case_floor_s}


def serve(port: int) -> subprocess.Popen:
    """The workspace in its own processes, as `coordination web --workers N` runs it (the same
    app factory under uvicorn), on the benchmark's fixed clock: the load generator here does not
    share its interpreter."""
    env = dict(os.environ, COORDINATION_BENCH_NOW=seeding.NOW.isoformat())
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "fixed_clock_app:create_app", "--factory",
                                "--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(WORKERS), "--log-level", "warning"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/signin", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the workspace did not start")


def page_waits(base: str, token: str, path: str, runs: int = 10) -> float:
    """The median whole request for one page, one user, nothing else asking."""
    waits = []
    with httpx.Client(base_url=base, cookies={"coord_session": token}, timeout=60) as client:
        for _ in range(runs + 1):
            started = time.perf_counter()
            response = client.get(path)
            waits.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
    return statistics.median(waits[1:])  # the first warms the worker's caches


def thinking_users(base: str, tokens: list[tuple[str, str]], requests: int) -> dict[str, list[float]]:
    """Each user opens my items and a case page in turn, thinking 1-3 s before each click."""
    def user(index_token_case):
        index, (token, case_number) = index_token_case
        think = random.Random(index)  # the same pauses every run
        waits = {"/": [], "case": []}
        with httpx.Client(base_url=base, cookies={"coord_session": token}, timeout=60) as client:
            for i in range(requests):
                time.sleep(think.uniform(*THINK_S))
                path = "/" if i % 2 == 0 else f"/cases/{case_number}"
                started = time.perf_counter()
                response = client.get(path)
                waits["/" if path == "/" else "case"].append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
        return waits

    out: dict[str, list[float]] = {"/": [], "case": []}
    with ThreadPoolExecutor(len(tokens)) as pool:
        for waits in pool.map(user, enumerate(tokens)):
            for page, figures in waits.items():
                out[page].extend(figures)
    return out


def settle(url: str) -> None:
    """The seeded tables as a running region's are: vacuumed (PostgreSQL), so an index that holds
    what a query asks is read alone. Autovacuum does this within minutes of a bulk load; left to
    it, it would land at some moment of the measured run, and each run would measure another
    database. SQLite has no such state (the seeding analyzes it)."""
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--requests", type=int, default=20, help="requests per user under load")
    args = parser.parse_args()

    os.environ["COORDINATION_WEB_URL"] = f"http://127.0.0.1:{args.port}"
    os.environ.setdefault("COORDINATION_NOTIFICATIONS_CONFIG",
                          str(Path(__file__).resolve().parents[1] / "deployments" / "notifications.yaml"))
    with seeding.migrated_database(args.database) as url:
        seed_s = seeding.seed(url, args.actions, min(args.overdue, args.actions))
        settle(url)
        print(f"seeded {args.actions} actions for {seeding.RECIPIENTS} members in {seed_s:.1f} s")
        now = seeding.NOW
        with unit_of_work() as s:
            members = s.exec(Member.__table__.select().order_by(Member.id).limit(USERS)).all()
        member_id = members[0].id
        with get_engine(url).connect() as conn:
            case_number = conn.execute(text("SELECT c.number FROM action a JOIN care_case c ON c.id = a.case_id "
                                            "WHERE a.responsible_id = :m ORDER BY a.id LIMIT 1"),
                                       {"m": member_id}).scalar_one()
        inner = server_times(url, member_id, case_number, now)
        floor_s, case_floor_s = inner["floor_s"], inner["case_floor_s"]
        print(f"my items: {inner['my_items_s'] * 1000:.1f} ms ({inner['items']} items); floor {floor_s * 1000:.1f} ms; "
              f"case page: {inner['case_page_s'] * 1000:.1f} ms; floor {case_floor_s * 1000:.1f} ms")

        tokens = []
        with unit_of_work() as s:
            from sqlmodel import select
            for member in s.exec(select(Member).order_by(Member.id).limit(USERS)).all():
                number = s.connection().execute(text(
                    "SELECT c.number FROM action a JOIN care_case c ON c.id = a.case_id "
                    "WHERE a.responsible_id = :m ORDER BY a.id LIMIT 1"), {"m": member.id}).scalar_one()
                tokens.append((signin.open_session(s, member, now=now, how="bench"), number))
        base = os.environ["COORDINATION_WEB_URL"]
        server = serve(args.port)
        try:
            my_items_http = page_waits(base, tokens[0][0], "/")
            case_http = page_waits(base, tokens[0][0], f"/cases/{case_number}")
            print(f"one user, whole requests: my items {my_items_http * 1000:.1f} ms, case page "
                  f"{case_http * 1000:.1f} ms", flush=True)
            started = time.perf_counter()
            by_page = thinking_users(base, tokens, args.requests)
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        waits = by_page["/"] + by_page["case"]
        p50, p95 = percentile(waits, 0.5), percentile(waits, 0.95)
        print(f"{USERS} users thinking {THINK_S[0]:.0f}-{THINK_S[1]:.0f} s, {args.requests} requests each: "
              f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (my items {percentile(by_page['/'], 0.95) * 1000:.0f}, "
              f"case page {percentile(by_page['case'], 0.95) * 1000:.0f}), {len(waits) / wall:.1f} requests/s")
        print(json.dumps({
            "actions": args.actions, "database": args.database,
            "my_items_ms": round(inner["my_items_s"] * 1000, 2), "floor_ms": round(floor_s * 1000, 2),
            "ratio": round(inner["my_items_s"] / floor_s, 2) if floor_s else None,
            "case_page_ms": round(inner["case_page_s"] * 1000, 2), "case_floor_ms": round(case_floor_s * 1000, 2),
            "case_ratio": round(inner["case_page_s"] / case_floor_s, 2), "items": inner["items"],
            "my_items_http_ms": round(my_items_http * 1000, 1), "case_page_http_ms": round(case_http * 1000, 1),
            "users": USERS, "workers": WORKERS, "think_s": list(THINK_S), "p50_ms": round(p50 * 1000, 1),
            "p95_ms": round(p95 * 1000, 1), "p95_my_items_ms": round(percentile(by_page["/"], 0.95) * 1000, 1),
            "p95_case_page_ms": round(percentile(by_page["case"], 0.95) * 1000, 1),
            "requests_per_s": round(len(waits) / wall, 1)}))


if __name__ == "__main__":
    main()
