"""Outbox delivery through apprise to real receivers: exactly once, never leaking."""

from __future__ import annotations


from sqlmodel import select

from coordination.domain.vocabulary import OutboxStatus
from coordination.notifications import templates
from coordination.notifications.delivery import LEASE, claim, deliver_pending
from coordination.notifications.outbox import enqueue
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Outbox
from tests.conftest import T0
from tests.receivers import HttpReceiver, SmtpReceiver
from tests.support import in_parallel
from tests.usecases.test_cycle import open_and_plan, plan


def set_targets(targets: dict[str, list[str]]) -> None:
    with unit_of_work() as s:
        for code, urls in targets.items():
            member = s.exec(select(Member).where(Member.code == code)).one()
            member.notify = urls
            s.add(member)


def personal_strings(data: dict) -> list[str]:
    """Every name, personnummer (all forms), address and phone seeded in the example. Names
    shorter than five letters are searched for only as full names ('Ove' is part of 'Over')."""
    out = []
    for p in data["persons"]:
        out += [p["personnummer"], p["personnummer"].replace("-", ""), p["personnummer"][2:],
                f"{p['given_name']} {p['family_name']}"]
        out += [n for n in (p["given_name"], p["family_name"]) if len(n) >= 5]
        out += [v for v in (p.get("address"), p.get("phone")) if v]
        out += [c["name"] for c in p.get("contacts", [])]
    for a in data["assessments"]:  # health details
        out += [a["situation"], a["background"], a["assessment"], a["what_matters"]]
    return [text for text in out if len(text) >= 5]


def outbox(status=None):
    with unit_of_work() as s:
        q = select(Outbox).order_by(Outbox.id)
        return s.exec(q.where(Outbox.status == status) if status else q).all()


def test_delivers_to_webhook_and_email_once_without_personal_data(db_url, example_data):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http, SmtpReceiver() as smtp:
        set_targets({"hc-dsk1": [http.url()], "rehab-ft": [smtp.url("ft@example.org")],
                     "hsv-ssk1": [http.url("hsv"), smtp.url("hsv@example.org")]})
        plan("19380214-2012")  # participants: hc-dsk1, hsv-ssk1, rehab-ft
        plan("19830407-8309")  # protected identity: gets no more than anyone else
        report = deliver_pending(now=T0)
        assert report.sent == len(outbox(OutboxStatus.SENT)) and report.failed == 0
        assert len(http.received) == 4 and len(smtp.messages) == 3
        again = deliver_pending(now=T0.add(hours=1))
        assert again.claimed == 0 and len(http.received) == 4 and len(smtp.messages) == 3
    payloads = [str(m) for m in http.received] + [m["data"] for m in smtp.messages]
    assert all("K-2026-" in p for p in payloads)
    for secret in personal_strings(example_data):
        assert not any(secret in p for p in payloads), secret


def test_member_without_target_is_reported_not_dropped(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan("19380214-2012")
    report = deliver_pending(now=T0)
    assert report.no_target == 3 and report.sent == 0
    assert sorted(report.members_without_target) == ["hc-dsk1", "hsv-ssk1", "rehab-ft"]
    rows = outbox(OutboxStatus.NO_TARGET)
    assert len(rows) == 3 and all(r.last_error for r in rows)


def test_env_reference_keeps_the_url_out_of_the_database(db_url, example_data, monkeypatch):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        monkeypatch.setenv("NOTIFY_HC_DSK1", http.url())
        set_targets({"hc-dsk1": ["env:NOTIFY_HC_DSK1"], "hsv-ssk1": ["env:NOT_SET_ANYWHERE"]})
        plan("19380214-2012")
        report = deliver_pending(now=T0)
        assert len(http.received) == 1 and report.sent == 1
        assert "hsv-ssk1" in report.members_without_target
        assert any("NOT_SET_ANYWHERE" in (r.last_error or "") for r in outbox(OutboxStatus.NO_TARGET))


def test_receiver_down_keeps_rows_pending_with_attempts_error_and_backoff(db_url, example_data):
    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": [http.url()]})
        plan("19380214-2012")
        http.fail_next(1)
        first = deliver_pending(now=T0)
        assert first.failed == 1
        [row] = [r for r in outbox() if r.member_id and r.status == OutboxStatus.PENDING]
        assert row.attempts == 1 and row.last_error and row.next_attempt_at > T0
        assert deliver_pending(now=T0).claimed == 0  # still backing off
        later = deliver_pending(now=row.next_attempt_at)
        assert later.sent == 1 and len(http.received) == 1
        sent = next(r for r in outbox() if r.id == row.id)
        assert sent.status == OutboxStatus.SENT and sent.attempts == 2


def test_crash_between_claim_and_send_resends_once_after_the_lease(db_url, example_data):
    import datetime as dt
    import time

    open_and_plan(db_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": [http.url()]})
        plan("19380214-2012")
        claimed = claim(None, now=T0, token="crashed")  # the deliverer "crashes" here: nothing sent, nothing marked
        assert claimed
        assert deliver_pending(now=T0.add(minutes=1)).claimed == 0  # the claim still holds
        # leases follow the real clock: a run that simulates a later day still respects them
        assert deliver_pending(now=T0.add(days=7)).claimed == 0
        time.sleep(0.6)
        recovered = deliver_pending(now=T0.add(minutes=2), lease=dt.timedelta(seconds=0.5))
        assert recovered.claimed == len(claimed) and len(http.received) == 1
        assert deliver_pending(now=T0.add(minutes=3), lease=dt.timedelta(seconds=0.5)).claimed == 0
        assert LEASE == dt.timedelta(minutes=5)


def test_parallel_deliverers_on_postgresql_never_send_a_row_twice(pg_url, example_data):
    open_and_plan(pg_url, example_data)
    with HttpReceiver() as http:
        set_targets({"hc-dsk1": [http.url()]})
        with unit_of_work() as s:
            member = s.exec(select(Member).where(Member.code == "hc-dsk1")).one()
            for i in range(300):
                enqueue(s, key=f"load:{i}", message=templates.case_closed(f"K-2099-{i:04d}"),
                        member_id=member.id, case_number=f"K-2099-{i:04d}", now=T0)
        reports = []

        def worker():
            reports.append(deliver_pending(now=T0, limit=20))
            while (r := deliver_pending(now=T0, limit=20)).claimed:
                reports.append(r)

        in_parallel(worker, 3)
        titles = [m["title"] for m in http.received]
        assert len(titles) == 300 and len(set(titles)) == 300
        assert sum(r.sent for r in reports) == 300
        assert len(outbox(OutboxStatus.SENT)) == 300


def test_two_targets_one_down_each_gets_the_message_exactly_once(db_url, example_data):
    """Delivery is per target: the working target is not sent the message again at every retry,
    and the one that was down gets it once when it is back."""
    open_and_plan(db_url, example_data)
    with HttpReceiver() as up, HttpReceiver() as down:
        set_targets({"hc-dsk1": [up.url("up"), down.url("down")]})
        down.fail_next(1000)
        plan("19380214-2012")  # hc-dsk1 is told about the new SIP
        for hours in (0, 1, 3, 6, 10):  # five runs, each after the backoff
            deliver_pending(now=T0.add(hours=hours))
        assert len(up.received) == 1 and down.received == []
        [row] = [r for r in outbox() if r.member_id is not None and r.kind == "sip_created"
                 and r.status == OutboxStatus.PENDING]
        assert row.last_error.startswith("http_5xx on json") and row.attempts == 5
        down.fail_next(0)
        deliver_pending(now=T0.add(days=1))
        assert len(up.received) == 1 and len(down.received) == 1
    with unit_of_work() as s:
        from coordination.persistence.models import AuditEvent, OutboxSend
        sends = s.exec(select(OutboxSend).where(OutboxSend.outbox_id == row.id)).all()
        assert len(sends) == 2 and {x.channel for x in sends} == {"json"}
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "send",
                                                   AuditEvent.record_id.startswith(row.key))).all()) == 2


def test_a_sent_notification_cannot_be_changed(db_url, example_data):
    import pytest
    from sqlalchemy.exc import DatabaseError

    open_and_plan(db_url, example_data)
    with HttpReceiver() as up:
        set_targets({"hc-dsk1": [up.url()]})
        plan("19380214-2012")
        deliver_pending(now=T0)
    [sent] = [r for r in outbox(OutboxStatus.SENT)][:1]
    with pytest.raises(DatabaseError, match="cannot be changed"):
        with unit_of_work() as s:
            row = s.get(Outbox, sent.id)
            row.body = "rewritten"
            s.add(row)
