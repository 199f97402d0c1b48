"""Nothing the outbox records is untrue: a message is marked sent only once its target holds it,
whole and once; a crash or a stall costs at most what was in flight; the consent is judged when a
message is sent, not only when it was queued; no live secret stays at rest."""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time

import pendulum
import pytest
from sqlmodel import select

from coordination.domain.vocabulary import OutboxStatus
from coordination.notifications import templates
from coordination.notifications.delivery import CONCURRENCY, deliver_pending
from coordination.notifications.outbox import enqueue
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Outbox
from tests.conftest import T0, load_area
from tests.notifications.test_delivery import set_targets
from tests.receivers import HttpReceiver, SmtpReceiver
from tests.usecases.test_cycle import open_and_plan, plan
from tests.web.test_journey import texts

SHORT_LEASE = dt.timedelta(seconds=1)
NUMBER = re.compile(r"K-2099-\d{4}")  # no case has these numbers: the consent is not asked about them


def queue(numbers: list[str], code: str = "hc-dsk1") -> None:
    with unit_of_work() as s:
        member = s.exec(select(Member).where(Member.code == code)).one()
        for number in numbers:
            enqueue(s, key=f"load:{number}", message=templates.case_closed(number), member_id=member.id,
                    case_number=number, now=T0)


def rows(prefix: str = "load:"):
    with unit_of_work() as s:
        return [r for r in s.exec(select(Outbox).order_by(Outbox.id)) if r.key.startswith(prefix)]


def numbers_in(received: list[str]) -> collections.Counter:
    return collections.Counter(n for text in received for n in set(NUMBER.findall(text)))


@pytest.mark.slow
@pytest.mark.parametrize("channel", ["mailbox", "smtp", "http"])
def test_a_thousand_messages_to_one_member_arrive_each_whole_and_once(sqlite_url, example_data, tmp_path, channel,
                                                                    monkeypatch):
    load_area(sqlite_url, example_data)
    if channel == "smtp":
        # apprise spaces e-mails to one address 5.5 s apart (against flooding a mailbox): right for a
        # digest a day, but a thousand would take an hour here. The sends stay real.
        from apprise.plugins.email.base import NotifyEmail

        monkeypatch.setattr(NotifyEmail, "request_rate_per_sec", 0)
    expected = [f"K-2099-{i:04d}" for i in range(1000)]
    folder = tmp_path / "mailbox" / "hc-dsk1"
    with SmtpReceiver() as smtp, HttpReceiver() as http:
        set_targets({"hc-dsk1": [{"mailbox": f"mailbox://{folder}", "smtp": smtp.url("dsk1@example.org"),
                                  "http": http.url()}[channel]]})
        queue(expected)
        report = deliver_pending(now=T0, concurrency=CONCURRENCY)
        if channel == "mailbox":
            files = sorted(folder.glob("*.txt"))
            received = [f.read_text(encoding="utf-8") for f in files]
            # each file whole: the same message but for its case number, title first, ending with a newline
            assert len({NUMBER.sub("K", text) for text in received}) == 1
            assert all(text.startswith(NUMBER.findall(text)[0]) and text.endswith("\n") for text in received)
            assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temporary file left
            assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in [folder, *files])  # the owner's only
        elif channel == "smtp":
            received = [texts(m) for m in smtp.messages]
        else:
            received = [m["title"] + "\n" + m["message"] for m in http.received]
    assert len(received) == 1000
    counts = numbers_in(received)
    assert sorted(counts) == expected and set(counts.values()) == {1}
    assert report.sent == 1000 and {r.status for r in rows()} == {OutboxStatus.SENT}


DELIVER = ("import sys, datetime as dt, pendulum\n"
           "from coordination.notifications.delivery import deliver_pending\n"
           "deliver_pending(now=pendulum.parse(sys.argv[1]), lease=dt.timedelta(seconds=1), concurrency=8)\n")


def start_deliverer() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DELIVER, T0.isoformat()], env=dict(os.environ))


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.slow
def test_a_crash_at_concurrency_8_resends_at_most_one_message_per_worker(sqlite_url, example_data):
    """kill -9 in the middle of delivery, twenty times: every message arrives, and the successor
    re-sends at most the eight that were in flight (one per worker), never a round of marks."""
    load_area(sqlite_url, example_data)
    rng = random.Random(20261204)
    with HttpReceiver(delay=0.15) as http:
        set_targets({"hc-dsk1": [http.url()]})
        for trial in range(20):
            expected = [f"K-2099-{trial:02d}{i:02d}" for i in range(48)]
            queue(expected)

            def got():
                return sum(n in expected for n in numbers_in([m["title"] for m in http.received]).elements())

            dying = start_deliverer()
            kill_after = rng.randint(4, 36)
            wait_for(lambda: got() >= kill_after)
            dying.send_signal(signal.SIGKILL)
            dying.wait()
            time.sleep(SHORT_LEASE.total_seconds() + 0.2)  # the dead run's claims run out (real clock)
            successor = deliver_pending(now=T0.add(minutes=1), lease=SHORT_LEASE)
            counts = numbers_in([m["title"] for m in http.received])
            mine = {n: counts[n] for n in expected}
            assert all(mine.values()), f"trial {trial}: lost {[n for n, c in mine.items() if not c]}"
            assert sum(mine.values()) - len(expected) <= CONCURRENCY, f"trial {trial}: {mine}"
            assert successor.remaining == 0 and successor.lost_claims == 0
    assert {r.status for r in rows()} == {OutboxStatus.SENT}


@pytest.mark.slow
def test_a_deliverer_stopped_past_its_lease_sends_nothing_once_it_resumes(pg_url, example_data):
    """A deliverer is stopped (SIGSTOP) with its eight sends on the wire, held by the receiver; the
    receiver answers them while it is stopped, its lease runs out, and another run takes the rows
    over and delivers them; SIGCONT: the first run finds its claims lost and starts no send more.
    (On PostgreSQL: a process stopped on SQLite may hold the database's only write lock.)"""
    load_area(pg_url, example_data)
    expected = [f"K-2099-{i:04d}" for i in range(48)]
    with HttpReceiver(held=True) as http:
        set_targets({"hc-dsk1": [http.url()]})
        queue(expected)
        stalled = start_deliverer()
        wait_for(lambda: http.in_flight == CONCURRENCY)  # every worker waits on its answer
        stalled.send_signal(signal.SIGSTOP)
        try:
            http.release()
            time.sleep(SHORT_LEASE.total_seconds() + 0.5)
            successor = deliver_pending(now=T0.add(minutes=1), lease=SHORT_LEASE)
            before = len(http.received)
        finally:
            stalled.send_signal(signal.SIGCONT)
        stalled.wait(timeout=60)
        time.sleep(0.5)
        after = len(http.received)
        counts = numbers_in([m["title"] for m in http.received])
    assert successor.claimed == len(expected) and successor.remaining == 0
    assert after == before, f"the resumed deliverer sent {after - before} more"
    assert sorted(counts) == expected and sum(counts.values()) <= len(expected) + CONCURRENCY
    assert {r.status for r in rows()} == {OutboxStatus.SENT}


def test_a_consent_that_expires_between_queueing_and_sending_stops_the_message(db_url, example_data):
    """Gustav's consent is valid until 2027-10-01. Messages queued while it was valid and sent
    after it expired are cancelled at the moment of sending, with the reason; before, they go."""
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({code: [http.url(code)] for code in ("hc-dsk1", "hsv-ssk1", "rehab-ft")})
        plan("19380214-2012")  # tells the three participants
        after_expiry = pendulum.datetime(2027, 10, 2, 8, tz="Europe/Stockholm").in_timezone("UTC")
        report = deliver_pending(now=after_expiry)
        assert http.received == []
        cancelled = [r for r in rows("sip:") if r.status == OutboxStatus.CANCELLED]
        assert report.cancelled == len(cancelled) == 3 and report.sent == 0
        assert all("consent no longer covers" in r.cancel_reason for r in cancelled)

        plan("19410605-2386")  # a consent without end: the same day, delivered to those with a channel
        report = deliver_pending(now=after_expiry)
        assert report.sent >= 1 and report.cancelled == 0 and len(http.received) == report.sent


@pytest.mark.parametrize("day, told", [(13, True), (14, False)])
def test_a_guardians_consent_stops_covering_on_the_childs_18th_birthday(db_url, example_data, day, told):
    """Alva (born 2011-09-14) is covered by her guardian's consent until 2029-09-13. A digest
    queued by the sweep the day before her birthday is not sent on the birthday, and a sweep on
    the birthday tells nobody about her case: she consents for herself from now on."""
    from coordination.config.notifications import SweepPolicy
    from coordination.persistence.models import AuditEvent, SweepNotice
    from coordination.usecases import acting
    from coordination.usecases.sweep import sweep
    from tests.conftest import ADMIN
    from tests.usecases.test_cycle import case_of

    open_and_plan(db_url, example_data)
    # and a case whose consent has no end, so a member's digest tells about both
    for pnr in ("20110914-9045", "19410605-2386"):
        plan(pnr)
        with unit_of_work() as s:
            acting.dispatch_actions(s, ADMIN, case=case_of(s, pnr), now=T0)
    with unit_of_work() as s:
        number = case_of(s, "20110914-9045").number
    swept_at = pendulum.datetime(2029, 9, day, 7, tz="Europe/Stockholm").in_timezone("UTC")
    with unit_of_work() as s:
        sweep(s, now=swept_at, policy=SweepPolicy())
    with unit_of_work() as s:
        about = s.exec(select(SweepNotice).where(SweepNotice.case_number == number)).all()
    assert bool(about) == told
    if told:
        with HttpReceiver() as http:
            set_targets({code: [http.url(code)] for code in
                         {m.code for m in _members_of([n.recipient_id for n in about])}})
            birthday = pendulum.datetime(2029, 9, 14, 8, tz="Europe/Stockholm").in_timezone("UTC")
            deliver_pending(now=birthday)
        assert not any(number in str(m) for m in http.received)
        with unit_of_work() as s:
            digests = s.exec(select(Outbox).where(Outbox.key.in_({n.digest_key for n in about}))).all()
        # cancelled when the case was all it told, else sent without the case's lines
        assert digests and all(d.status == OutboxStatus.CANCELLED and "consent no longer covers" in d.cancel_reason
                               or d.status == OutboxStatus.SENT and number not in d.body for d in digests)
        # the audit of who was told names what each sent digest still told, never her case
        with unit_of_work() as s:
            told = set(s.exec(select(AuditEvent.record_id, AuditEvent.recipient_id)
                              .where(AuditEvent.action == "notify")).all())
            still = {(n.case_number, d.member_id) for d in digests if d.status == OutboxStatus.SENT
                     for n in s.exec(select(SweepNotice).where(SweepNotice.digest_key == d.key))}
        assert still, "a digest that told about another case too was sent without her lines"
        assert number not in {case for case, _ in told}
        assert still <= told and number not in {case for case, _ in still}


def _members_of(ids):
    with unit_of_work() as s:
        return s.exec(select(Member).where(Member.id.in_(ids))).all()


def test_a_sign_in_message_keeps_no_link_once_delivered_or_expired(sqlite_url, example_data):
    from coordination.usecases import signin

    load_area(sqlite_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hsv-ssk1": [http.url()]})
        with unit_of_work() as s:
            key = signin.send_link(s, "hsv-ssk1", now=T0)
        deliver_pending(now=T0, keys=[key])
        [message] = http.received
    token = re.search(r"/signin/([^\s<\"']+)", message["message"]).group(1)
    with unit_of_work() as s:
        row = s.exec(select(Outbox).where(Outbox.key == key)).one()
    assert row.status == OutboxStatus.SENT and token not in row.body and "/signin/…" in row.body

    set_targets({"hsv-ssk1": []})  # no channel: the link waits, and expires
    with unit_of_work() as s:
        waiting = signin.send_link(s, "hsv-ssk1", now=T0)
    deliver_pending(now=T0, keys=[waiting])
    with unit_of_work() as s:
        row = s.exec(select(Outbox).where(Outbox.key == waiting)).one()
        assert row.status == OutboxStatus.NO_TARGET and "/signin/" in row.body
    report = deliver_pending(now=T0.add(minutes=16))
    with unit_of_work() as s:
        row = s.exec(select(Outbox).where(Outbox.key == waiting)).one()
    assert report.expired == 1 and row.status == OutboxStatus.CANCELLED
    assert re.search(r"/signin/[^…\s]", row.body) is None and "expired" in row.cancel_reason
