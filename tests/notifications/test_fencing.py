"""Exactly once when sends are slow, deliverers stall or die, and targets are bad: fenced claims,
per-target outcomes, recoverable states and draining, against real receivers."""

from __future__ import annotations

import pytest

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pendulum
from sqlmodel import select

from coordination.domain.vocabulary import OutboxStatus
from coordination.notifications import templates
from coordination.notifications.delivery import CONCURRENCY, deliver_pending, due_count
from coordination.notifications.outbox import enqueue
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Outbox, OutboxSend, SweepNotice
from tests.cli.test_bad_input import run
from tests.conftest import T0
from tests.notifications.test_delivery import outbox, set_targets
from tests.receivers import HttpReceiver
from tests.usecases.test_cycle import open_and_plan, plan

SHORT_LEASE = dt.timedelta(seconds=1)  # the production lease is 5 minutes; the story is the same


def queue(count: int, code: str = "hc-dsk1", prefix: str = "load") -> None:
    """`count` messages to one member, each with its own title (the case number)."""
    with unit_of_work() as s:
        member = s.exec(select(Member).where(Member.code == code)).one()
        for i in range(count):
            number = f"K-2099-{i:04d}"
            enqueue(s, key=f"{prefix}:{i}", message=templates.case_closed(number), member_id=member.id,
                    case_number=number, now=T0)


def received(receiver: HttpReceiver) -> collections.Counter:
    return collections.Counter(m["title"] for m in receiver.received)


def member_rows(status=None):
    return [r for r in outbox(status) if r.key.startswith("load:")]


def claims_ran_out(lease: dt.timedelta, count: int) -> bool:
    """`count` rows are claimed (sending), and every one of those claims is older than the lease."""
    sending = member_rows(OutboxStatus.SENDING)
    return len(sending) == count and due_count(None, now=T0, keys=[r.key for r in sending], lease=lease) == count


def test_a_slow_deliverer_keeps_its_claims_and_a_later_run_takes_none(db_url, example_data):
    """A sends 30 messages at 0.6 s each, eight at a time: over twice the lease; B runs again and
    again meanwhile. A renews its claims as it goes, so B finds nothing to take: each message
    arrives once."""
    open_and_plan(db_url, example_data)
    with HttpReceiver(delay=0.6) as http:
        set_targets({"hc-dsk1": [http.url()]})
        queue(30)
        started = time.monotonic()
        a = threading.Thread(target=lambda: reports.append(deliver_pending(now=T0, lease=SHORT_LEASE)))
        reports: list = []
        a.start()
        b_reports = []
        time.sleep(1.5)  # past A's first lease
        while a.is_alive():
            elapsed = dt.timedelta(seconds=time.monotonic() - started)
            b_reports.append(deliver_pending(now=T0 + elapsed, lease=SHORT_LEASE))
            time.sleep(0.3)
        a.join()
        counts = received(http)
    assert len(counts) == 30 and set(counts.values()) == {1}
    assert reports[0].sent == 30 and reports[0].lost_claims == 0
    assert b_reports and sum(r.claimed for r in b_reports) == 0
    assert all(r.status == OutboxStatus.SENT for r in member_rows())


def test_a_deliverer_that_lost_its_claim_stops_and_never_marks_what_it_no_longer_holds(db_url, example_data):
    """A's sends hang longer than the lease: A stops renewing those claims, as if it had died, and
    B takes the batch over. A's sends complete, but it may not mark the rows: it stops. Only the
    rows in flight can arrive twice."""
    open_and_plan(db_url, example_data)
    with HttpReceiver(delay=3.0) as http:  # under apprise's 4 s read timeout
        set_targets({"hc-dsk1": [http.url()]})
        queue(3)
        reports: list = []
        # a half-second lease: A stops renewing each claim half a second after its send hung, and
        # the claim runs out half a second after that; A's sends end at 3 s
        lease = dt.timedelta(seconds=0.5)
        started = time.monotonic()
        a = threading.Thread(target=lambda: reports.append(deliver_pending(now=T0, lease=lease)))
        a.start()
        # B runs once every claim of A's has run out, not after a fixed sleep: on a loaded machine
        # A starts its sends late, and a B that came too early would take over only some rows
        while not claims_ran_out(lease, 3) and time.monotonic() - started < 2.5:
            time.sleep(0.05)
        assert a.is_alive(), "A's sends ended before its claims ran out: the machine is too slow for this story"
        b = deliver_pending(now=T0 + dt.timedelta(seconds=time.monotonic() - started), lease=lease)
        a.join()
        counts = received(http)
    [a_report] = reports
    assert a_report.lost_claims >= 1 and a_report.sent == 0
    assert b.claimed == 3 and b.sent == 3
    assert len(counts) == 3 and max(counts.values()) <= 2  # the rows A was sending: one re-send at most
    assert all(r.status == OutboxStatus.SENT for r in member_rows())
    ids = {r.id for r in member_rows()}
    with unit_of_work() as s:  # the send log holds each target once: A's late mark was refused
        logged = [k for k in s.exec(select(OutboxSend.outbox_id)).all() if k in ids]
    assert len(logged) == 3


@pytest.mark.slow  # runs the command in a subprocess
def test_a_deliverer_killed_mid_batch_is_recovered_with_nothing_lost(db_url, example_data):
    """kill -9 in the middle of a batch; a later run after the lease delivers the rest: no
    message lost, none sent more than twice, and only those between their send and their mark sent
    twice: the sends in flight and those that ended while a round of marks was being written."""
    open_and_plan(db_url, example_data)
    with HttpReceiver(delay=0.1) as http:
        set_targets({"hc-dsk1": [http.url()]})
        queue(20)
        script = ("import sys, datetime as dt, pendulum\n"
                  "from coordination.notifications.delivery import CONCURRENCY, deliver_pending, due_count\n"
                  "deliver_pending(now=pendulum.parse(sys.argv[1]), lease=dt.timedelta(seconds=1))\n")
        a = subprocess.Popen([sys.executable, "-c", script, T0.isoformat()], env=dict(os.environ))
        deadline = time.monotonic() + 60
        while len(http.received) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        a.send_signal(signal.SIGKILL)
        a.wait()
        got_before = len(http.received)
        assert 5 <= got_before < 20
        time.sleep(1.2)  # the dead run's lease runs out (leases follow the real clock)
        b = deliver_pending(now=T0.add(minutes=1), lease=SHORT_LEASE)
        counts = received(http)
    assert b.lost_claims == 0 and b.remaining == 0
    assert len(counts) == 20 and max(counts.values()) <= 2 and sum(counts.values()) <= 20 + 2 * CONCURRENCY
    assert all(r.status == OutboxStatus.SENT for r in member_rows())


def test_a_run_with_more_recipients_than_a_batch_drains_in_one_run(db_url, example_data):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": [http.url()]})
        queue(620)
        report = deliver_pending(now=T0)
        assert report.sent == 620 and report.batches >= 7 and report.remaining == 0
        assert len(received(http)) == 620


def test_sends_run_concurrently_up_to_the_configured_bound(db_url, example_data):
    open_and_plan(db_url, example_data)
    with HttpReceiver(delay=0.2) as http:
        set_targets({"hc-dsk1": [http.url()]})
        queue(24)
        report = deliver_pending(now=T0, concurrency=4)
        assert report.sent == 24 and len(received(http)) == 24
        assert http.max_in_flight == 4  # never more than the bound, and the bound is used
        queue(6, prefix="one-at-a-time")
        deliver_pending(now=T0, concurrency=1)
        assert sum(received(http).values()) == 30 and http.max_in_flight == 4
    with unit_of_work() as s:  # each send logged once, each row marked sent with its own time
        assert len(s.exec(select(OutboxSend)).all()) >= 30


def test_a_run_stops_at_its_time_budget_and_reports_the_remainder(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    with HttpReceiver(delay=0.05) as http:
        set_targets({"hc-dsk1": [http.url()]})
        queue(60)
        first = deliver_pending(now=T0, limit=5, budget=dt.timedelta(seconds=0.5))
        assert 0 < first.sent < 60 and first.remaining == 60 - first.sent
        second = deliver_pending(now=T0.add(minutes=1))
        assert first.sent + second.sent == 60 and second.remaining == 0
        assert len(received(http)) == 60


def test_one_unset_variable_does_not_silence_a_working_target(db_url, example_data):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": ["env:COORDINATION_TEST_UNSET", http.url()]})
        plan("19380214-2012")
        report = deliver_pending(now=T0)
        assert len(http.received) == 1 and report.sent >= 1
    [row] = [r for r in outbox(OutboxStatus.SENT) if r.kind == "sip_created"]
    assert "COORDINATION_TEST_UNSET is not set" in row.last_error


def test_an_invalid_url_is_a_permanent_reported_error_and_recovers_when_fixed(db_url, example_data, monkeypatch):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        monkeypatch.setenv("COORDINATION_TEST_HOOK", "nosuchscheme://example")
        set_targets({"hc-dsk1": ["env:COORDINATION_TEST_HOOK"]})
        plan("19380214-2012")
        first = deliver_pending(now=T0)
        assert first.undeliverable == 1 and first.failed == 0 and "hc-dsk1" in first.members_without_target
        assert first.errors == {"invalid_target on nosuchscheme": 1}
        [row] = [r for r in outbox(OutboxStatus.FAILED) if r.kind == "sip_created"]
        assert "not a valid apprise URL" in row.last_error and "nosuchscheme://example" not in row.last_error
        # not retried for ever: later runs leave it alone while nothing changes
        assert deliver_pending(now=T0.add(hours=1)).claimed == 0
        assert deliver_pending(now=T0.add(days=1)).claimed == 0
        monkeypatch.setenv("COORDINATION_TEST_HOOK", http.url())  # the administrator fixes it
        fixed = deliver_pending(now=T0.add(days=1, hours=1))
        assert fixed.revived >= 1 and fixed.sent == 1 and len(http.received) == 1
        assert deliver_pending(now=T0.add(days=2)).claimed == 0 and len(http.received) == 1


def test_an_invalid_target_beside_a_working_one_does_not_hold_it_up(db_url, example_data):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": ["nosuchscheme://example", http.url()]})
        plan("19380214-2012")
        for hours in range(3):
            deliver_pending(now=T0.add(hours=hours))
        assert len(http.received) == 1
    [row] = [r for r in outbox() if r.kind == "sip_created" and r.member_id is not None
             and r.last_error and "invalid_target" in r.last_error]
    assert row.status == OutboxStatus.SENT
    with unit_of_work() as s:
        outcomes = sorted(x.outcome for x in s.exec(select(OutboxSend).where(OutboxSend.outbox_id == row.id)))
    assert outcomes == ["invalid", "sent"]


def test_no_target_is_retried_once_the_variable_is_set(db_url, example_data, monkeypatch):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": ["env:COORDINATION_TEST_LATER"]})
        plan("19380214-2012")
        first = deliver_pending(now=T0)
        assert "hc-dsk1" in first.members_without_target
        assert deliver_pending(now=T0.add(hours=1)).revived == 0  # nothing changed: stays no_target
        monkeypatch.setenv("COORDINATION_TEST_LATER", http.url())
        later = deliver_pending(now=T0.add(hours=2))
        assert later.revived >= 1 and len(http.received) == 1
    [row] = [r for r in outbox() if r.kind == "sip_created" and r.member_id is not None
             and r.status == OutboxStatus.SENT]
    assert row.sent_at is not None


@pytest.mark.slow  # runs the command in a subprocess
def test_outbox_retry_makes_waiting_rows_due_and_refuses_sent_ones(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan("19380214-2012")
    deliver_pending(now=T0)  # no member has a target: every row ends no_target
    waiting = len(outbox(OutboxStatus.NO_TARGET))
    assert waiting
    done = run(sqlite_url, "outbox", "retry", "--member", "hc-dsk1")
    assert done.returncode == 0, done.stderr
    mine = [r for r in outbox(OutboxStatus.PENDING)]
    assert mine and len(mine) < waiting and "due now" in done.stdout
    refused = run(sqlite_url, "outbox", "retry", "--status", "sent")
    assert refused.returncode == 2 and "field 'status'" in refused.stderr and "cannot be retried" in refused.stderr
    unknown = run(sqlite_url, "outbox", "retry", "--member", "nobody")
    assert unknown.returncode != 0 and "nobody" in unknown.stderr
    listed = run(sqlite_url, "outbox", "--status", "pending")
    assert listed.returncode == 0 and f"{len(mine)} notification(s)" in listed.stdout


@pytest.mark.slow  # runs the command in a subprocess
def test_config_check_fails_when_the_operations_tag_or_a_member_variable_resolves_to_nothing(
        sqlite_url, example_data, monkeypatch):
    from tests.conftest import load_area

    load_area(sqlite_url, example_data)
    monkeypatch.delenv("COORDINATION_OPS_URL", raising=False)
    unset = run(sqlite_url, "config", "check")
    assert unset.returncode == 2 and "tags.operations[0]" in unset.stderr
    assert "COORDINATION_OPS_URL is not set" in unset.stderr
    monkeypatch.setenv("COORDINATION_OPS_URL", "json://127.0.0.1:9/ops")
    assert run(sqlite_url, "config", "check").returncode == 0
    set_targets({"hc-dsk1": ["env:COORDINATION_TEST_MEMBER_URL"]})
    member = run(sqlite_url, "config", "check")
    assert member.returncode == 2 and "member hc-dsk1 field 'notify[0]'" in member.stderr


def test_digests_name_their_notices_so_pending_digests_about_a_case_can_be_found(db_url, example_data):
    from coordination.config.notifications import SweepPolicy
    from coordination.notifications.outbox import pending_digests_about
    from coordination.usecases.sweep import sweep

    from tests.usecases.test_sweep import world

    world(db_url, example_data)
    with unit_of_work() as s:
        result = sweep(s, now=pendulum.datetime(2026, 11, 18, 6, tz="UTC"), policy=SweepPolicy())
    assert result.digests
    with unit_of_work() as s:
        notices = s.exec(select(SweepNotice)).all()
        digests = set(s.exec(select(Outbox.key).where(Outbox.kind == "digest")).all())
        assert notices and all(n.digest_key in digests and n.digest_key.endswith(result.digest_suffix)
                               for n in notices)
        number = notices[0].case_number
        found = pending_digests_about(s, {number})
        expected = {n.digest_key for n in notices if n.case_number == number}
        assert {d.key for d in found} == expected
        assert pending_digests_about(s, {"K-1999-0001"}) == []
