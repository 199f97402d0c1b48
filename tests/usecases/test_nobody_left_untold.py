"""No event that promises to tell someone tells no one in silence: a deviation always reaches the
responsible member's manager (with the case number only where the consent does not cover them),
and an event nobody may be told about is recorded as unroutable, listed by `coordination outbox`
and reported to operations once."""

from __future__ import annotations

import pendulum
import pytest
from sqlmodel import select

from coordination.config.notifications import SweepPolicy
from coordination.domain.vocabulary import OutboxStatus
from coordination.errors import AccessDenied
from coordination.notifications.delivery import deliver_pending
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Deviation, Member, Outbox
from coordination.usecases import acting, deviations, following_up, queries, workspace
from coordination.usecases.common import actor_for, member_by_code
from coordination.usecases.sweep import sweep
from tests.cli.test_bad_input import run
from tests.conftest import ADMIN, T0
from tests.receivers import HttpReceiver
from tests.usecases.test_cycle import case_of, open_and_plan, plan

HANNA = "19410605-2386"  # consented to hc-norrby, hsv-norrby, soc-norrby, ht-norrby: not rehab-norrby
SIGGE = "20150622-8673"  # his fixed doctor, bkl-lak, has no manager in the example area
GUSTAV = "19380214-2012"  # consent valid until 2027-10-01


def outbox(**where):
    with unit_of_work() as s:
        rows = s.exec(select(Outbox).order_by(Outbox.id)).all()
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


def hanna_planned(url, data) -> tuple[str, str]:
    """Hanna's case planned: its number and its coordinator's code."""
    open_and_plan(url, data)
    plan(HANNA)
    with unit_of_work() as s:
        case = case_of(s, HANNA)
        return case.number, s.get(Member, case.coordinator_id).code


def test_a_deviation_outside_the_consent_reaches_the_manager_with_the_case_number_only(db_url, example_data):
    number, coordinator = hanna_planned(db_url, example_data)
    with unit_of_work() as s:
        deviation_id = deviations.report_deviation(
            s, actor_for(s, coordinator), case=case_of(s, HANNA), now=T0,
            description="Fysioterapeutens hembesök blev inte av", responsible=member_by_code(s, "rehab-ft"))
    with unit_of_work() as s:
        chef = member_by_code(s, "rehab-chef")
        assert s.get(Deviation, deviation_id).manager_id == chef.id
    [told] = outbox(member_id=chef.id)
    assert told.kind == "deviation_unit" and number in told.subject
    assert "Fysioterapeutens" not in told.subject + told.body
    with unit_of_work() as s:
        [line] = workspace.unit_deviations(s, actor_for(s, "rehab-chef"), now=T0)
    assert line.id == deviation_id and line.withheld and line.description is None
    with pytest.raises(AccessDenied):  # the manager still may not read the case
        with unit_of_work() as s:
            queries.case_record(s, actor_for(s, "rehab-chef"), number, now=T0)
    with unit_of_work() as s:  # and closes it after following it up in their own unit
        deviations.close_deviation(s, actor_for(s, "rehab-chef"), deviation_id=deviation_id,
                                   note="Genomgång med fysioterapeuten", now=T0)
    with unit_of_work() as s:
        assert s.get(Deviation, deviation_id).closed_at is not None
    assert outbox(status=OutboxStatus.UNROUTABLE) == []


def test_an_overdue_action_of_a_member_without_a_manager_is_unroutable_and_operations_hear_once(db_url, example_data):
    """Sigge's fixed doctor has no manager: the sweep's escalation has nobody to go to. It is
    recorded, listed and reported to operations once, without the case number."""
    open_and_plan(db_url, example_data)
    plan(SIGGE)
    with unit_of_work() as s:
        acting.dispatch_actions(s, ADMIN, case=case_of(s, SIGGE), now=T0)
        number = case_of(s, SIGGE).number
        doctor = member_by_code(s, "bkl-lak").id
    later = pendulum.datetime(2026, 11, 30, 7, tz="Europe/Stockholm").in_timezone("UTC")
    with unit_of_work() as s:
        result = sweep(s, now=later, policy=SweepPolicy())
    assert number in result.escalations_without_manager
    unroutable = outbox(status=OutboxStatus.UNROUTABLE)
    [row] = [r for r in unroutable if r.member_id == doctor]
    assert (row.kind, row.case_number) == ("deviation", number)
    assert "no manager" in row.cancel_reason and row.body == ""
    with HttpReceiver() as ops:
        report = deliver_pending(now=later, tags={"ops": [ops.url()]}, operations="tag:ops")
        again = deliver_pending(now=later.add(hours=1), tags={"ops": [ops.url()]}, operations="tag:ops")
        [alert] = ops.received
    assert report.unroutable == len(unroutable) and again.unroutable == 0
    assert "could not be routed" in alert["title"] and f"deviation x{len(unroutable)}" in alert["message"]
    assert number not in alert["title"] + alert["message"]


def test_a_case_closed_when_no_participant_is_covered_is_recorded_as_unroutable(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan(GUSTAV)
    expired = pendulum.datetime(2027, 10, 4, 9, tz="Europe/Stockholm").in_timezone("UTC")
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        following_up.record_follow_up(s, ADMIN, case=case, by=member_by_code(s, "hc-dsk1"), outcome="Behoven är mötta",
                                      needs_remain=False, next_follow_up=None, now=expired)
        following_up.apply_follow_ups(s, ADMIN, case=case, now=expired)
    assert outbox(kind="case_closed", status=OutboxStatus.PENDING) == []
    [row] = outbox(kind="case_closed")
    assert row.status == OutboxStatus.UNROUTABLE and "consent covers none" in row.cancel_reason


@pytest.mark.slow  # runs the command in a subprocess
def test_the_outbox_command_lists_what_could_not_be_routed(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan(SIGGE)
    with unit_of_work() as s:
        acting.dispatch_actions(s, ADMIN, case=case_of(s, SIGGE), now=T0)
        sweep(s, now=T0.add(days=14), policy=SweepPolicy())
    done = run(sqlite_url, "outbox", "--status", "unroutable")
    assert done.returncode == 0, done.stderr
    assert "unroutable" in done.stdout and "deviation" in done.stdout and "no manager" in done.stdout


@pytest.mark.slow  # runs the command in a subprocess
def test_a_deviation_outside_the_consent_on_the_command_line_tells_the_manager(sqlite_url, example_data):
    number, coordinator = hanna_planned(sqlite_url, example_data)
    done = run(sqlite_url, "deviation", "report", number, "--by", coordinator, "--description", "Uteblev",
               "--responsible", "rehab-ft")
    assert done.returncode == 0, done.stderr
    listed = run(sqlite_url, "deviation", "list", "--by", "rehab-chef")
    assert listed.returncode == 0 and number in listed.stdout and "Uteblev" not in listed.stdout



def test_a_case_flagged_when_its_coordinator_is_no_longer_covered_is_recorded_as_unroutable(db_url, example_data):
    """A readmission after Gustav's consent expired flags his open case for the meeting (where it
    says "consent needed"); the coordinator may not be told, so the event is kept as unroutable."""
    from coordination.domain.vocabulary import SignalKind
    from coordination.usecases import identify
    from coordination.usecases.common import person_by_personnummer

    open_and_plan(db_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:  # the flag of planning day is cleared: the meeting dealt with it
        case = case_of(s, GUSTAV)
        case.flagged_for_meeting = False
        s.add(case)
    expired = pendulum.datetime(2027, 10, 5, 9, tz="Europe/Stockholm").in_timezone("UTC")
    with unit_of_work() as s:
        identify.report_signal(s, ADMIN, person=person_by_personnummer(s, GUSTAV, today=expired.date()),
                               kind=SignalKind.READMISSION, occurred_on=expired.date(), days=None,
                               organisation_id=None, now=expired)
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=expired)
    assert outbox(kind="case_flagged", status=OutboxStatus.PENDING) == []
    [row] = outbox(kind="case_flagged", status=OutboxStatus.UNROUTABLE)
    assert row.case_number == case.number and "consent covers none" in row.cancel_reason
