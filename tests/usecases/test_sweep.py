"""The follow-up sweep: classes, escalation, deviations, one digest per recipient, exactly once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pendulum
from sqlmodel import select

from coordination.config.notifications import SweepPolicy
from coordination.notifications.delivery import deliver_pending
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, Deviation, Member, Outbox, SweepNotice
from coordination.usecases import acting
from coordination.usecases.sweep import sweep
from tests.conftest import ADMIN, T0
from tests.notifications.test_delivery import personal_strings, set_targets
from tests.receivers import HttpReceiver
from tests.support import in_parallel
from tests.usecases.test_cycle import case_of, open_and_plan, plan

POLICY = SweepPolicy(due_soon_working_days=2, escalation_grace_working_days=2)


def at(y, m, d, h=7):
    return pendulum.datetime(y, m, d, h, tz="Europe/Stockholm").in_timezone("UTC")


def world(url, data, pnrs=("19380214-2012", "19410605-2386", "19440826-4978")):
    """Planned and dispatched on Monday 2026-11-16: actions due 11-16 (urgent) and 11-17."""
    open_and_plan(url, data)
    for pnr in pnrs:
        plan(pnr)
        with unit_of_work() as s:
            acting.dispatch_actions(s, ADMIN, case=case_of(s, pnr), now=T0)


def run(now, policy=POLICY):
    with unit_of_work() as s:
        return sweep(s, now=now, policy=policy)


def notices():
    with unit_of_work() as s:
        return s.exec(select(SweepNotice).order_by(SweepNotice.id)).all()


def digests():
    with unit_of_work() as s:
        return s.exec(select(Outbox).where(Outbox.kind == "digest").order_by(Outbox.id)).all()


def codes() -> dict[int, str]:
    with unit_of_work() as s:
        return {m.id: m.code for m in s.exec(select(Member))}


def code(member_id):
    return codes()[member_id]


def test_classes_escalation_and_one_digest_per_recipient(db_url, example_data):
    world(db_url, example_data)
    # Friday 2026-11-20: 11-16 and 11-17 are overdue; 11-16 is past two working days' grace
    result = run(at(2026, 11, 20))
    rows = notices()
    by_class = {k: sorted((r.item_id, code(r.recipient_id)) for r in rows if r.klass == k)
                for k in ("due_soon", "due_today", "overdue", "escalated")}
    names = codes()
    with unit_of_work() as s:
        actions = {a.id: (a.due_date, names[a.responsible_id]) for a in s.exec(select(Action)) if a.due_date}
    overdue = {i for i, (due, _) in actions.items() if due < dt.date(2026, 11, 20)}
    assert {i for i, _ in by_class["overdue"]} == overdue
    escalated = {i for i, (due, _) in actions.items() if due < dt.date(2026, 11, 18)}
    assert {i for i, _ in by_class["escalated"]} == escalated and escalated
    managers = {"hc-dsk1": "hc-chef", "hc-lak": "hc-chef", "hsv-ssk1": "hsv-chef", "rehab-at": "rehab-chef",
                "soc-bih": "soc-chef", "rehab-ft": "rehab-chef"}
    assert all(m == managers[actions[i][1]] for i, m in by_class["escalated"])
    recipients = {r.recipient_id for r in rows}
    assert result.digests == len(recipients) == len(digests())
    with unit_of_work() as s:
        deviations = s.exec(select(Deviation)).all()
    assert {d.item_id for d in deviations if d.item_kind == "action"} == escalated
    assert result.deviations == len(deviations)


def test_digests_written_a_few_items_at_a_time_are_the_digests_written_at_once(db_url, example_data, monkeypatch):
    """Memory stays flat with what is due because digests are written once they hold
    ITEMS_PER_WRITE items; how they are batched must not change what is queued."""
    from coordination.usecases import sweep as sweeping

    world(db_url, example_data)
    monkeypatch.setattr(sweeping, "ITEMS_PER_WRITE", 1)  # every digest written on its own
    result = run(at(2026, 11, 20))
    told = Counter(n.recipient_id for n in notices())
    written = digests()
    assert result.digests == len(written) == len(told) > 1  # one digest per recipient, none split
    for digest in written:  # each holds a line (and link) for every notice its recipient got
        assert digest.body.count("/actions/") + digest.body.count("#follow-up") == told[digest.member_id]


def test_due_soon_and_due_today_follow_the_working_day_calendar(db_url, example_data):
    world(db_url, example_data, pnrs=("19380214-2012",))
    # SIP follow-up on Monday 2026-12-14: due soon from Thursday 12-10 (two working days before)
    assert not [r for r in notices() if r.item_kind == "sip_follow_up"]
    run(at(2026, 12, 9))
    assert not [r for r in notices() if r.item_kind == "sip_follow_up"]
    run(at(2026, 12, 10))
    assert [r.klass for r in notices() if r.item_kind == "sip_follow_up"] == ["due_soon"]
    run(at(2026, 12, 14))
    assert [r.klass for r in notices() if r.item_kind == "sip_follow_up"] == ["due_soon", "due_today"]


def test_running_the_sweep_twice_sends_nothing_new(db_url, example_data):
    world(db_url, example_data)
    first = run(at(2026, 11, 20))
    count = len(digests())
    second = run(at(2026, 11, 20, 15))
    assert first.items > 0 and second.items == 0 and second.digests == 0
    assert len(digests()) == count


def test_digest_says_what_when_who_and_how_but_not_who_the_person_is(db_url, example_data):
    world(db_url, example_data, pnrs=("19830407-8309",))  # protected identity
    run(at(2026, 11, 20))
    [digest] = [d for d in digests() if code(d.member_id) == "rehab-at"]
    # Swedish by default: what, which case, when, the responsible role, and a link to the item
    assert "K-2026-0017" in digest.body and "åtgärd 1" in digest.body and "2026-11-17" in digest.body
    assert "arbetsterapeut" in digest.body and "/actions/1\n" in digest.body
    for secret in personal_strings(example_data):
        assert secret not in digest.body + digest.subject


def test_parallel_sweeps_on_postgresql_send_each_digest_once(pg_url, example_data):
    world(pg_url, example_data)
    with HttpReceiver() as http:
        with unit_of_work() as s:
            codes = [m.code for m in s.exec(select(Member))]
        set_targets({c: [http.url(c)] for c in codes})
        now = at(2026, 11, 20)

        def one_sweep():
            run(now)
            deliver_pending(now=now)

        in_parallel(one_sweep, 2)
        with unit_of_work() as s:
            rows = s.exec(select(Outbox)).all()
        assert len(http.received) == len(rows)  # every row, digests included, arrived exactly once
        digest_titles = [m["title"] for m in http.received if m["title"].startswith("Samordning:")]
        assert len(digest_titles) == len(digests()) > 0
        assert all(d.status == "sent" for d in digests())
