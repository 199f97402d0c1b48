"""A coordination meeting's agenda for an area with many open cases, against a hand-written floor
that finds the same lines.

    .venv/bin/python benchmarks/agenda.py --cases 2000 --database sqlite|postgresql

Seeds the sweep benchmark's region (ten actions a case, a consent documented by every
organisation) and builds the agenda of all ten organisations: the artifact's facts, as the
`coordination-meeting` flow prepares them. Prints:
  floor_s  four plain queries (the cases, their open actions, their current SIPs, their consents)
           and the same rules (tests/test_benchmark_floors.py checks the lines are identical);
  job_s    `agenda_facts` in this process;
  flow_s   the `coordination-meeting` flow preparing the meeting (agenda, leader, invitations) in
           this warm process, best of three, against a standalone Prefect server as served, beside
           bare_flow_s, a bare flow there, and flow_harness_s, under the test harness;
  fresh_s  `coordination meeting agenda --now` in a fresh process, as the team's first member: the
           agenda a member asks for, with the policy asked per case and every read audited,
           beside fresh_floor_s, a fresh process printing the same text from the floor's queries
           and writing one audit row (the benchmark checks the two texts are the same);
  fresh_peak_mb  its peak memory.
The last line is one JSON object."""

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

from sqlalchemy import Date, text  # noqa: E402

from coordination.persistence.engine import get_engine, unit_of_work  # noqa: E402
from sweep import ACTIONS_PER_CASE, NOW, best_flow_run, child, migrated_database, prefect_harness, seed  # noqa: E402
from served import bare_flow_warm, flush_to_api, served, standalone_server  # noqa: E402

ORGANISATIONS = tuple(f"org-{i}" for i in range(10))


def job(url: str):
    from coordination.usecases.team_meeting_agenda import agenda_facts

    with unit_of_work(url, read_only=True) as session:
        return agenda_facts(session, ORGANISATIONS, now=NOW)


def floor_agenda(connection, *, now: dt.datetime):
    """The artifact's agenda facts by hand: the same lines, in four queries and one loop."""
    from coordination.domain import team_meetings as m
    from coordination.domain.calendar import local_date
    from coordination.domain.consent import ConsentFacts
    from coordination.domain.access import shared_consent
    from coordination.domain.personnummer import age_on
    from coordination.domain.vocabulary import ConsentGiver, ConsentScope
    from coordination.usecases.team_meeting_agenda import LOOK_AHEAD

    today = local_date(now)
    today = dt.date(today.year, today.month, today.day)
    area = ("SELECT id FROM organisation WHERE code IN :codes")
    cases = connection.execute(text(
        "SELECT c.id, c.number, c.person_id, c.status, c.reasons, c.flagged_for_meeting, p.birth_date "
        "FROM care_case c JOIN person p ON p.id = c.person_id WHERE c.status != 'closed' AND ("
        f"c.person_id IN (SELECT person_id FROM signal WHERE organisation_id IN ({area})) OR "
        f"c.coordinator_id IN (SELECT id FROM member WHERE organisation_id IN ({area}))) ORDER BY c.number")
        .bindparams(_expanding("codes")).columns(birth_date=Date), {"codes": list(ORGANISATIONS)}).all()
    ids = [c.id for c in cases]
    actions = defaultdict(list)
    for case_id, action_id, due_date in connection.execute(text(
            "SELECT case_id, id, due_date FROM action WHERE case_id IN :ids AND status IN ('planned', 'assigned') "
            "AND due_date IS NOT NULL ORDER BY id").bindparams(_expanding("ids")).columns(due_date=Date), {"ids": ids}):
        actions[case_id].append((action_id, due_date))
    follow_ups = dict(connection.execute(text(
        "SELECT case_id, next_follow_up FROM sip WHERE case_id IN :ids AND current")
        .bindparams(_expanding("ids")).columns(next_follow_up=Date), {"ids": ids}).all())
    consents = defaultdict(dict)
    for consent_id, person_id, scopes, given_by, valid_from, valid_until, withdrawn_at, code, documented in \
            connection.execute(text(
                "SELECT k.id, k.person_id, k.scopes, k.given_by, k.valid_from, k.valid_until, k.withdrawn_at, o.code, "
                "cp.documented_at IS NOT NULL FROM consent k JOIN consentparty cp ON cp.consent_id = k.id "
                "JOIN organisation o ON o.id = cp.organisation_id WHERE k.person_id IN :persons")
                .bindparams(_expanding("persons")).columns(valid_from=Date, valid_until=Date),
                {"persons": [c.person_id for c in cases]}):
        entry = consents[person_id].setdefault(consent_id, [scopes, given_by, valid_from, valid_until, withdrawn_at,
                                                            set(), set()])
        entry[5].add(code)
        if documented:
            entry[6].add(code)
    counts, overdue = {}, 0
    discharge, at_risk, ongoing, need_sip = [], [], [], []
    for case in cases:
        counts[case.status] = counts.get(case.status, 0) + 1
        facts = [ConsentFacts(id=cid, scopes=frozenset(ConsentScope(s) for s in _json(e[0])),
                              given_by=ConsentGiver(e[1]), parties=frozenset(e[5]), documented_in=frozenset(e[6]),
                              valid_from=e[2], valid_until=e[3], withdrawn_at=e[4])
                 for cid, e in sorted(consents[case.person_id].items())]
        consented = shared_consent(facts, at=now, on=today, person_is_child=age_on(case.birth_date, today) < 18)
        due = []
        for action_id, due_date in actions.get(case.id, ()):
            overdue += due_date < today
            if due_date <= today + LOOK_AHEAD:
                due.append(m.Due("action", action_id, due_date))
        follow_up = follow_ups.get(case.id)
        if follow_up and follow_up <= today + LOOK_AHEAD:
            due.append(m.Due("sip_follow_up", None, follow_up))
        reasons = tuple(_json(case.reasons))
        line = m.CaseLine(case.number, consented, reasons, tuple(due))
        flagged = case.flagged_for_meeting
        if flagged and "discharge_coordination" in reasons:
            discharge.append(line)
        elif flagged and case.status in ("identified", "consented", "assessed"):
            at_risk.append(line)
        if case.status in ("planned", "active") and due:
            ongoing.append(line)
        if consented and case.status in ("consented", "assessed"):
            need_sip.append(line)
    return m.AgendaFacts(counts, overdue, discharge, at_risk, ongoing, need_sip)


# what a fresh `coordination meeting agenda` must at least do: start, read the floor's way,
# audit the read, print the same agenda
FRESH_FLOOR = """
import sys
sys.path.insert(0, "benchmarks")
import pendulum
from sqlalchemy import bindparam, text
import agenda as bench
from coordination.persistence.models import AuditEvent
from coordination.config.teams import find_series, load_teams
from coordination.domain import team_meetings as meetings
from coordination.persistence.engine import get_engine

now = pendulum.parse(sys.argv[2])
team, series = find_series(load_teams(), "bench", "bench-weekly")
occurrence = meetings.next_occurrence(series, now)
with get_engine(sys.argv[1]).begin() as conn:
    facts = bench.floor_agenda(conn, now=now)
    conn.execute(text("INSERT INTO auditevent (at, actor, action, record_type, record_id) "
                      "VALUES (:at, 'm-10', 'read', 'agenda', :record)").bindparams(
                          bindparam("at", now, type_=AuditEvent.at.type)), {"record": f"{series.id} {occurrence.date}"})
title = f"{team.name}: coordination meeting {occurrence.date}"
print(meetings.agenda_markdown(title, meetings.build_agenda(facts, details=True)))
"""


def unprepare(url: str) -> None:
    """Undo a meeting's preparation, so the next flow run prepares it again."""
    with get_engine(url).begin() as conn:
        for table in ("meetingattendance", "meetingdecision", "meetingminutes", "meeting"):
            conn.execute(text(f"DELETE FROM {table}"))


def _expanding(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with migrated_database(args.database) as url:
        seed(url, args.cases * ACTIONS_PER_CASE, args.cases * ACTIONS_PER_CASE // 10)
        floor_s = job_s = float("inf")
        for _ in range(3):
            with get_engine(url).connect() as conn:
                started = time.perf_counter()
                by_hand = floor_agenda(conn, now=NOW)
                floor_s = min(floor_s, time.perf_counter() - started)
            started = time.perf_counter()
            facts = job(url)
            job_s = min(job_s, time.perf_counter() - started)
        assert facts == by_hand
        print(f"floor_s {floor_s:.3f} job_s {job_s:.3f}", flush=True)
        teams = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-teams-{os.getpid()}.yaml"
        teams.write_text(TEAMS, encoding="utf-8")
        env = dict(os.environ, COORDINATION_DATABASE_URL=url, COORDINATION_TEAMS_CONFIG=str(teams))
        os.environ.update(COORDINATION_DATABASE_URL=url, COORDINATION_TEAMS_CONFIG=str(teams))
        from coordination.flows.meeting import coordination_meeting

        def prepare():
            return coordination_meeting("bench", "bench-weekly", "prepare", now=NOW)

        with prefect_harness():
            flow_harness_s = best_flow_run(prepare, lambda: unprepare(url))
        with standalone_server() as server, served(server.url):
            bare_flow_s = bare_flow_warm()
            flow_s = best_flow_run(prepare, lambda: unprepare(url))
            flush_to_api()
        print(f"flow_s {flow_s:.3f} served (a bare flow {bare_flow_s:.3f}), {flow_harness_s:.3f} under the harness",
              flush=True)
        now = NOW.in_timezone("Europe/Stockholm").strftime("%Y-%m-%dT%H:%M")
        fresh_s, fresh_peak_mb, printed = child([sys.executable, "-m", "coordination", "meeting", "agenda", "bench",
                                                 "bench-weekly", "--by", "m-10", "--now", now], env)
        fresh_floor_s, _, by_hand_text = child([sys.executable, "-c", FRESH_FLOOR, url, NOW.isoformat()], env)
        assert printed == by_hand_text, "the floor prints another agenda"
        teams.unlink()
        figures = {"database": args.database, "cases": args.cases, "lines": sum(
            len(x) for x in (facts.discharge, facts.at_risk, facts.ongoing, facts.need_sip)),
            "floor_s": round(floor_s, 3), "job_s": round(job_s, 3), "ratio_to_floor": round(job_s / floor_s, 2),
            "flow_s": round(flow_s, 3), "bare_flow_s": round(bare_flow_s, 3),
            "flow_harness_s": round(flow_harness_s, 3), "fresh_s": round(fresh_s, 3), "fresh_floor_s": round(fresh_floor_s, 3),
            "fresh_ratio": round(fresh_s / fresh_floor_s, 2), "fresh_peak_mb": round(fresh_peak_mb, 1)}
        print(json.dumps(figures))


TEAMS = """
teams:
  - id: bench
    name: Bench
    organisations: [org-0, org-1, org-2, org-3, org-4, org-5, org-6, org-7, org-8, org-9]
    members:
      - {code: m-10, role: nurse, organisation: org-0}
      - {code: m-11, role: nurse, organisation: org-1}
    meetings:
      - id: bench-weekly
        weekday: wednesday
        start: "13:00"
        duration_minutes: 60
        interval_weeks: 1
        timezone: Europe/Stockholm
        link: https://meet.example.org/bench
        rotation:
          - {organisation: org-0, eligible: [m-10]}
        preparation_hours: 48
        reminder_hours: 2
        holiday_policy: next_working_day
"""


if __name__ == "__main__":
    main()
