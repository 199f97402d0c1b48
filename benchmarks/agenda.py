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
  fresh_peak_mb  its peak memory;
  prepare_s  `coordination meeting prepare --now` in a fresh process against the standalone server:
           the agenda, the leader, the team's invitations with their .ics sent to a local receiver,
           the flow run; beside prepare_floor_s, a fresh process doing the same by hand
           (`floor_prepare`) and running a bare flow (the benchmark checks both print the same
           result and post the same invitations); prepare_peak_mb, its peak memory.
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
from served import (  # noqa: E402
    bare_flow_warm, client_env, floor_then_bare_flow, flush_to_api, served, standalone_server,
)

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


def floor_prepare(connection, *, now: dt.datetime) -> dict:
    """What `coordination meeting prepare` does, by hand: the agenda's counts from the floor's
    queries, the meeting's row with the rotation's leader, one invitation per active member (the
    same text and .ics, by the product's own templates) queued and sent as delivery sends them,
    and the audit row. Returns what the command prints."""
    from sqlalchemy import bindparam

    import delivery as delivery_bench
    from coordination.config.teams import find_series, load_teams
    from coordination.domain import team_meetings as m
    from coordination.notifications import calendar_feed, templates
    from coordination.persistence.models import AuditEvent, Meeting, Outbox

    team, series = find_series(load_teams(), "bench", "bench-weekly")
    occ = m.target_of_run(series, now, dt.timedelta(hours=series.preparation_hours)).occurrence
    facts = floor_agenda(connection, now=now)
    found = {code: (member_id, role, locale) for member_id, code, role, locale in connection.execute(text(
        "SELECT id, code, role, locale FROM member WHERE active AND code IN :codes").bindparams(_expanding("codes")),
        {"codes": [t.code for t in team.members]})}
    leader = m.leader(series, m.occurrence_index(series, occ), [t.code for t in team.members if t.code in found])
    meeting_id = connection.execute(text(
        "INSERT INTO meeting (team_id, series_id, regular_date, date, starts_at, leader_id, status, summary) "
        "VALUES (:team, :series, :regular, :date, :starts, :leader, 'planned', '') RETURNING id").bindparams(
            bindparam("starts", type_=Meeting.starts_at.type), bindparam("regular", type_=Date),
            bindparam("date", type_=Date)),
        {"team": team.id, "series": series.id, "regular": occ.regular, "date": occ.date,
         "starts": occ.start.astimezone(dt.timezone.utc), "leader": found[leader][0] if leader else None}).scalar_one()
    consent_needed = sum(not c.consented for c in (*facts.discharge, *facts.at_risk))
    counts = templates.AgendaCounts(len(facts.discharge), len(facts.at_risk), len(facts.ongoing),
                                    len(facts.need_sip), consent_needed)
    draft = templates.meeting_message(
        "prepare", team_name=team.name, day=occ.date, start=occ.start, end=occ.end, timezone=series.timezone,
        moved_from=occ.regular if occ.moved else None, join_url=series.link,
        leader=(found[leader][1], leader) if leader else None, counts=counts,
        invitation=lambda t: calendar_feed.invitation(series, occ, team_name=team.name, stamp=now, t=t),
        meeting_id=meeting_id)
    stamp = bindparam("now", now, type_=Outbox.created_at.type)
    invitations = []
    for code, (member_id, _, locale) in sorted(found.items()):
        message = draft.message(locale)
        invitations.append({"key": f"meeting:{series.id}:{occ.date}:prepare:{member_id}", "kind": message.kind,
                            "member": member_id, "subject": message.subject, "body": message.body,
                            "name": message.attachment_name, "attachment": message.attachment})
    connection.execute(text(
        "INSERT INTO outbox (key, kind, member_id, subject, body, attachment_name, attachment, status, attempts, "
        "created_at, next_attempt_at) VALUES (:key, :kind, :member, :subject, :body, :name, :attachment, "
        "'pending', 0, :now, :now)").bindparams(stamp), invitations)
    connection.execute(text("INSERT INTO auditevent (at, actor, action, record_type, record_id) "
                            "VALUES (:at, 'system:prefect', 'prepare', 'meeting', :record)").bindparams(
                                bindparam("at", now, type_=AuditEvent.at.type)), {"record": f"{series.id} {occ.date}"})
    delivery_bench.floor_deliver(connection, now=now)
    return {"date": occ.date.isoformat(), "invited": len(invitations), "leader": leader}


# what a fresh `coordination meeting prepare` must at least do: start, prepare and send the
# floor's way, commit, run a bare flow, print the same result
PREPARE_FLOOR = floor_then_bare_flow("agenda", "bench.floor_prepare(conn, now=now)")


def unprepare(url: str) -> None:
    """Undo a meeting's preparation (its row and its invitations, sent or not), so the next run
    prepares and sends it again."""
    with get_engine(url).begin() as conn:
        for table in ("meetingattendance", "meetingdecision", "meetingminutes", "meeting"):
            conn.execute(text(f"DELETE FROM {table}"))
        # a sent message is final (triggers refuse to change it) to everyone but a benchmark's undo
        saved = []
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            saved = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name IN ('outbox', 'outboxsend')")).all()
            for name, _ in saved:
                conn.execute(text(f"DROP TRIGGER {name}"))
        meeting = "(SELECT id FROM outbox WHERE key LIKE 'meeting:%')"
        for table, column in (("outboxsend", "outbox_id"), ("outbox", "id")):
            conn.execute(text(f"DELETE FROM {table} WHERE {column} IN {meeting}"))
        for _, sql in saved:
            conn.execute(text(sql))
        if conn.dialect.name == "postgresql":  # the next meeting gets the same id, so the same link
            conn.execute(text("SELECT setval(pg_get_serial_sequence('meeting', 'id'), "
                              "(SELECT coalesce(max(id), 0) + 1 FROM meeting), false)"))


def invite_to(url: str, target: str) -> None:
    """The team's members (m-10 and m-11 in TEAMS) get their invitations at `target`."""
    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE member SET notify = :notify WHERE code IN ('m-10', 'm-11')"),
                     {"notify": json.dumps([target])})


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
        from tests.receivers import HttpReceiver

        def prepare():
            return coordination_meeting("bench", "bench-weekly", "prepare", now=NOW)

        now = NOW.in_timezone("Europe/Stockholm").strftime("%Y-%m-%dT%H:%M")
        with HttpReceiver() as http:  # the invitations are sent, as the flow sends them
            invite_to(url, http.url())
            with prefect_harness():
                flow_harness_s = best_flow_run(prepare, lambda: unprepare(url))
            with standalone_server() as server, served(server.url):
                bare_flow_s = bare_flow_warm()
                flow_s = best_flow_run(prepare, lambda: unprepare(url))
                flush_to_api()
                print(f"flow_s {flow_s:.3f} served (a bare flow {bare_flow_s:.3f}), {flow_harness_s:.3f} under the "
                      "harness", flush=True)
                served_env = client_env(server.url) | {"COORDINATION_DATABASE_URL": url,
                                                       "COORDINATION_TEAMS_CONFIG": str(teams)}
                unprepare(url)
                sent = len(http.received)
                prepare_s, prepare_peak_mb, prepared = child(
                    [sys.executable, "-m", "coordination", "meeting", "prepare", "bench", "bench-weekly", "--now", now],
                    served_env)
                by_product = http.received[sent:]
                unprepare(url)
                sent = len(http.received)
                prepare_floor_s, _, prepared_by_hand = child(
                    [sys.executable, "-c", PREPARE_FLOOR, url, NOW.isoformat()], served_env)
                by_hand = http.received[sent:]
        # the same result printed and the same invitations posted, .ics and all
        assert json.loads(prepared.strip().splitlines()[-1]) == json.loads(prepared_by_hand.strip().splitlines()[-1])
        assert len(by_product) == 2 and sorted(map(json.dumps, by_product)) == sorted(map(json.dumps, by_hand))
        print(f"prepare_s {prepare_s:.3f} fresh against its floor {prepare_floor_s:.3f}", flush=True)
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
            "fresh_ratio": round(fresh_s / fresh_floor_s, 2), "fresh_peak_mb": round(fresh_peak_mb, 1),
            "prepare_s": round(prepare_s, 3), "prepare_floor_s": round(prepare_floor_s, 3),
            "prepare_ratio": round(prepare_s / prepare_floor_s, 2), "prepare_peak_mb": round(prepare_peak_mb, 1)}
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
