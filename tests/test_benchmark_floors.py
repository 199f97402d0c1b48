"""The benchmarks' floors are honest: each writes exactly the rows the job it is compared with
writes, so a ratio to the floor measures the job's overhead and nothing else."""

from __future__ import annotations

import dataclasses
import json
import sys

import pytest
from sqlalchemy import MetaData, select, text

from coordination.config.notifications import SweepPolicy
from coordination.persistence.engine import get_engine, unit_of_work
from coordination.usecases.sweep import sweep
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import agenda as agenda_bench  # noqa: E402
import delivery as delivery_bench  # noqa: E402
import identify as identify_bench  # noqa: E402
import sweep as sweep_bench  # noqa: E402
import workspace as workspace_bench  # noqa: E402

WRITTEN = {  # table -> the columns that must match (ids and claim tokens are the database's own)
    "sweepnotice": ["item_kind", "item_id", "due_date", "klass", "recipient_id", "case_number", "responsible_role",
                    "organisation_id", "created_at", "digest_key"],
    "deviation": ["item_kind", "item_id", "due_date", "case_number", "responsible_id", "manager_id", "detected_at"],
    "outbox": ["key", "kind", "member_id", "target", "case_number", "subject", "body", "status", "attempts",
               "last_error", "created_at", "next_attempt_at", "claim_token", "cancel_reason"],
    "outboxsend": ["outbox_id", "target_key", "channel", "outcome"],
    "auditevent": ["actor_id", "actor", "action", "record_type", "record_id", "person_id", "recipient_id"],
}  # the times a delivery marks follow the real clock, so they are left out


def written(connection, tables, columns: dict = WRITTEN) -> dict[str, list[tuple]]:
    meta = MetaData()
    meta.reflect(connection, only=list(tables))
    return {name: sorted((tuple(row) for row in connection.execute(
        select(*[meta.tables[name].c[c] for c in columns[name]]))), key=repr) for name in tables}


def test_the_sweep_floor_writes_the_rows_the_sweep_writes(db_url):
    sweep_bench.seed(db_url, 3000, 1200)
    tables = ["sweepnotice", "deviation", "outbox"]
    with get_engine(db_url).connect() as conn:
        trans = conn.begin()
        digests = sweep_bench.floor_sweep(conn, now=sweep_bench.NOW, suffix=":same")
        by_hand = written(conn, tables)
        assert sweep_bench.steady_floor(conn, now=sweep_bench.NOW) == 0  # nothing is left to tell
        trans.rollback()
    with unit_of_work() as session:
        result = sweep(session, now=sweep_bench.NOW, policy=SweepPolicy(), suffix=":same")
    with get_engine(db_url).connect() as conn:
        by_sweep = written(conn, tables)
    # every source is exercised: reminders, late, due today, escalations, follow-ups, deviations
    klasses = {row[3] for row in by_sweep["sweepnotice"]}
    assert klasses == {"due_soon", "due_today", "overdue", "escalated"}
    assert {row[0] for row in by_sweep["sweepnotice"]} == {"action", "sip_follow_up"}
    assert result.deviations > 0 and result.digests == digests > 0
    assert by_hand == by_sweep
    with unit_of_work() as session:  # and a second sweep the same day writes nothing, as the floor says
        assert sweep(session, now=sweep_bench.NOW, policy=SweepPolicy()).items == 0


@pytest.mark.parametrize("concurrency", [1, 8])
def test_the_delivery_floor_writes_the_rows_delivery_writes(db_url, concurrency):
    from tests.receivers import HttpReceiver

    with HttpReceiver() as http:
        delivery_bench.seed(db_url, messages=40, target=http.url())
        with get_engine(db_url).connect() as conn:
            trans = conn.begin()
            delivery_bench.floor_deliver(conn, now=delivery_bench.NOW, threads=concurrency)
            by_hand = written(conn, ["outbox", "outboxsend", "auditevent"])
            trans.rollback()
        report = delivery_bench.deliver(db_url, concurrency=concurrency)
        assert report.sent == 40 and len(http.received) == 80  # each message once by hand, once by delivery
        posted = [json.dumps(body, sort_keys=True) for body in http.received]
        assert sorted(posted[:40]) == sorted(posted[40:])  # the same text, as the same payload
    with get_engine(db_url).connect() as conn:
        by_delivery = written(conn, ["outbox", "outboxsend", "auditevent"])
    assert by_hand == by_delivery


def test_the_identify_floor_writes_the_rows_identify_writes(db_url):
    identify_bench.seed(db_url, persons=300, met=120)
    tables = {"care_case": ["number", "person_id", "status", "reasons", "initiated_by", "flagged_for_meeting",
                            "seriously_ill",
                            "coordinator_id", "opened_at"],
              "auditevent": WRITTEN["auditevent"],
              "signal": ["person_id", "kind", "screened_at"],
              "casesequence": ["year", "last"]}
    with get_engine(db_url).connect() as conn:
        trans = conn.begin()
        opened = identify_bench.floor_identify(conn, now=identify_bench.NOW)
        by_hand = written(conn, tables, tables)
        trans.rollback()
    result = identify_bench.run_identify(db_url)
    with get_engine(db_url).connect() as conn:
        by_identify = written(conn, tables, tables)
    assert opened == len(result.opened) == 120 and result.screened_persons == 300
    assert by_hand == by_identify


def test_the_agenda_floor_finds_the_lines_the_agenda_finds(db_url):
    sweep_bench.seed(db_url, 400, 120)
    with get_engine(db_url).connect() as conn:  # a few cases of every kind the agenda sorts into
        conn.execute(text("UPDATE care_case SET status = 'consented', flagged_for_meeting = true, "
                          "reasons = '[\"discharge_coordination\"]' WHERE id % 4 = 1"))
        conn.execute(text("UPDATE care_case SET status = 'identified', flagged_for_meeting = true, "
                          "reasons = '[\"frequent_visitor\"]' WHERE id % 4 = 2"))
        conn.execute(text("UPDATE care_case SET status = 'closed' WHERE id % 10 = 3"))
        conn.execute(text("UPDATE consent SET valid_until = '2026-01-31' WHERE id % 5 = 0"))  # ran out
        conn.commit()
        by_hand = agenda_bench.floor_agenda(conn, now=sweep_bench.NOW)
    facts = agenda_bench.job(db_url)
    assert facts.discharge and facts.at_risk and facts.ongoing and facts.need_sip and facts.overdue_actions
    assert {line.consented for line in facts.discharge} == {True, False}
    assert facts == by_hand


def test_the_prepare_floor_writes_and_sends_what_meeting_prepare_does(db_url, tmp_path, monkeypatch):
    """The meeting flow's work without Prefect (its task's use case, then delivery) against the
    floor: the same meeting row, invitations with their .ics, sends and audit rows, the same
    posts and the same result."""
    from coordination.config.teams import find_series, load_teams
    from coordination.flows.tasks import FLOW_ACTOR
    from coordination.notifications.delivery import deliver_pending
    from coordination.usecases.team_meeting_agenda import prepare_meeting
    from tests.receivers import HttpReceiver

    sweep_bench.seed(db_url, 400, 120)
    (tmp_path / "teams.yaml").write_text(agenda_bench.TEAMS, encoding="utf-8")
    monkeypatch.setenv("COORDINATION_TEAMS_CONFIG", str(tmp_path / "teams.yaml"))
    columns = WRITTEN | {"meeting": ["team_id", "series_id", "regular_date", "date", "starts_at", "leader_id",
                                     "status", "summary"],
                         "outbox": WRITTEN["outbox"] + ["attachment_name", "attachment"],
                         "outboxsend": WRITTEN["outboxsend"][1:]}  # the rows' own ids differ
    tables = ["meeting", "outbox", "outboxsend", "auditevent"]
    with HttpReceiver() as http:
        agenda_bench.invite_to(db_url, http.url())
        with get_engine(db_url).connect() as conn:
            trans = conn.begin()
            by_hand = agenda_bench.floor_prepare(conn, now=sweep_bench.NOW)
            rows_by_hand = written(conn, tables, columns)
            trans.rollback()
        agenda_bench.unprepare(db_url)  # the meeting's id again, as a benchmark round starts
        team, series = find_series(load_teams(), "bench", "bench-weekly")
        with unit_of_work() as session:
            prepared = prepare_meeting(session, FLOW_ACTOR, team=team, series=series, now=sweep_bench.NOW,
                                       step="prepare")
        report = deliver_pending(db_url, now=sweep_bench.NOW)
        assert report.sent == 2 and len(http.received) == 4
        posted = [json.dumps(body, sort_keys=True) for body in http.received]
        assert sorted(posted[:2]) == sorted(posted[2:])  # the same text, link and .ics
        assert all(body["attachments"][0]["filename"].endswith(".ics") for body in http.received)
    with get_engine(db_url).connect() as conn:
        assert rows_by_hand == written(conn, tables, columns)
    assert by_hand == {"date": prepared.date.isoformat(), "invited": prepared.invited, "leader": prepared.leader}
    assert by_hand["invited"] == 2 and by_hand["leader"] == "m-10"


def test_the_workspace_floor_finds_the_items_my_items_shows(db_url):
    from coordination.usecases.workspace import my_items

    sweep_bench.seed(db_url, 3000, 1200)
    with unit_of_work() as session:
        for member_id in (1, 11):  # a manager (escalations) and a nurse (their own items)
            items = my_items(session, member_id, now=sweep_bench.NOW, policy=SweepPolicy())
            by_hand = workspace_bench.floor_rows(session.connection(), member_id, sweep_bench.NOW)
            assert items and [dataclasses.astuple(i) for i in items] == by_hand


def test_the_case_page_floor_reads_the_rows_the_case_page_shows(db_url):
    from coordination.usecases import queries
    from coordination.usecases.common import Actor

    sweep_bench.seed(db_url, 400, 200)
    with unit_of_work() as session:  # deviations for the items past their grace period
        sweep(session, now=sweep_bench.NOW, policy=SweepPolicy())
    with get_engine(db_url).connect() as conn:
        number, coordinator = conn.execute(text(
            "SELECT c.number, c.coordinator_id FROM deviation d JOIN care_case c ON c.number = d.case_number "
            "ORDER BY d.id LIMIT 1")).one()
    with unit_of_work() as session:
        record = queries.case_record(session, Actor("bench", coordinator), number, now=sweep_bench.NOW)
    with get_engine(db_url).begin() as conn:  # committed, as the product commits
        by_hand = workspace_bench.floor_case(conn, coordinator, number, sweep_bench.NOW)
    assert by_hand["actions"] and by_hand["deviations"] and by_hand["sip"] and by_hand["consents"]
    assert workspace_bench.shown(record) == by_hand
    with get_engine(db_url).connect() as conn:  # each read's audit row, alike
        reads = conn.execute(text("SELECT actor_id, actor, action, record_type, record_id, person_id FROM auditevent "
                                  "WHERE record_id = :n"), {"n": number}).all()
    assert len(reads) == 2 and reads[0] == reads[1]


def test_the_status_floor_prints_what_status_prints(db_url):
    """`same_output` is the benchmark's own check; here it runs on a database with cases, actions,
    follow-ups and messages, so every count of the floor's SQL is compared with the product's."""
    import os

    import startup as startup_bench

    sweep_bench.seed(db_url, 600, 200)
    with unit_of_work() as session:  # messages, in more than one status
        sweep(session, now=sweep_bench.NOW, policy=SweepPolicy())
    with get_engine(db_url).begin() as conn:
        conn.execute(text("UPDATE outbox SET status = 'sent' WHERE id % 3 = 0"))
    env = dict(os.environ, COORDINATION_DATABASE_URL=db_url)
    printed = startup_bench.same_output([sys.executable, "-m", "coordination", "status"],
                                        [sys.executable, "-c", startup_bench.STATUS_FLOOR], env)
    assert '"sent": ' in printed and '"pending": ' in printed and '"active": 60' in printed
