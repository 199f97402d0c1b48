"""Tasks: each opens one unit of work and calls one use case.

Retries are safe because every use case is idempotent for the same inputs (outbox keys,
status checks), so at-least-once task runs give exactly-once effects."""

from __future__ import annotations

import datetime as dt

import pendulum
from prefect import get_run_logger, task
from prefect.states import Failed

from coordination.config.identification import load_screening
from coordination.config.notifications import load_notifications
from coordination.domain.calendar import now_utc
from coordination.domain.planning import can
from coordination.errors import ConsentMissing
from coordination.notifications.delivery import deliver_pending
from coordination.persistence.engine import unit_of_work
from coordination.usecases import acting, following_up, identify, planning
from coordination.usecases.common import Actor, case_by_number

FLOW_ACTOR = Actor("system:prefect")
TASK_OPTIONS = dict(retries=2, retry_delay_seconds=1, persist_result=False)


def moment(now: dt.datetime | None) -> dt.datetime:
    return pendulum.instance(now).in_timezone("UTC") if now else now_utc()


MAX_CASES_LOGGED = 200


@task(**TASK_OPTIONS)
def screen_signals(now: dt.datetime | None = None) -> dict[str, int]:
    with unit_of_work() as session:
        result = identify.identify(session, FLOW_ACTOR, now=moment(now), policy=load_screening())
    log = get_run_logger()
    # a line per case, up to a bound: every log line is a call to the Prefect API
    for number in result.opened[:MAX_CASES_LOGGED]:
        log.info("%s: opened and flagged for the next coordination meeting", number)
    for number in result.flagged[:MAX_CASES_LOGGED]:
        log.info("%s: flagged again for the next coordination meeting", number)
    if len(result.opened) > MAX_CASES_LOGGED or len(result.flagged) > MAX_CASES_LOGGED:
        log.info("%d case(s) opened and %d flagged in all; the cases list has every one",
                 len(result.opened), len(result.flagged))
    return {"screened": result.screened_persons, "opened": len(result.opened), "flagged": len(result.flagged)}


@task(**TASK_OPTIONS)
def check_consent(case_number: str, now: dt.datetime | None = None) -> bool:
    """True when a valid consent allows a SIP; the reason is logged otherwise (ids only)."""
    try:
        with unit_of_work() as session:
            planning.check_plan_consent(session, case=case_by_number(session, case_number), now=moment(now))
        return True
    except ConsentMissing as exc:
        get_run_logger().warning("%s: consent needed, nothing shared — %s", case_number, exc.message)
        return False


@task(**TASK_OPTIONS)
def record_assessment(case_number: str, now: dt.datetime | None = None) -> int | None:
    with unit_of_work() as session:
        case = case_by_number(session, case_number)
        if not can("assess", case.status):
            get_run_logger().info("%s: not open for assessment (%s)", case_number, case.status)
            return None
        return planning.accept_assessment(session, FLOW_ACTOR, case=case, now=moment(now))


@task(**TASK_OPTIONS)
def create_sip(case_number: str, now: dt.datetime | None = None) -> int:
    with unit_of_work() as session:
        sip_id = planning.plan_from_assessment(session, FLOW_ACTOR, case=case_by_number(session, case_number),
                                               now=moment(now))
    get_run_logger().info("%s: SIP drawn up (sip id %s)", case_number, sip_id)
    return sip_id


@task(**TASK_OPTIONS)
def dispatch_actions(case_number: str, now: dt.datetime | None = None) -> int:
    with unit_of_work() as session:
        case = case_by_number(session, case_number)
        if not can("act", case.status):
            get_run_logger().info("%s: no SIP yet (%s), nothing to dispatch", case_number, case.status)
            return 0
        count = acting.dispatch_actions(session, FLOW_ACTOR, case=case, now=moment(now))
    get_run_logger().info("%s: %d action(s) dispatched to their responsible members", case_number, count)
    return count


@task(**TASK_OPTIONS)
def apply_follow_ups(case_number: str, now: dt.datetime | None = None) -> dict[str, int]:
    with unit_of_work() as session:
        case = case_by_number(session, case_number)
        if not can("follow_up", case.status):
            get_run_logger().info("%s: nothing to follow up (%s)", case_number, case.status)
            return {"applied": 0, "revised": 0, "closed": 0}
        counts = following_up.apply_follow_ups(session, FLOW_ACTOR, case=case, now=moment(now))
    get_run_logger().info("%s: follow-ups applied %s", case_number, counts)
    return counts


# No task retries: a failed send already waits for its own backoff, and a retry would claim
# nothing and end Completed, hiding the failure.
@task(retries=0, persist_result=False)
def deliver_notifications(now: dt.datetime | None = None):
    """Send what is pending. Failed sends stay pending with their backoff; this task run then
    ends Failed with the reasons (error class and channel kind), so the Prefect UI shows it."""
    config = load_notifications()
    report = deliver_pending(now=moment(now), tags=config.tags, budget=config.time_budget,
                             concurrency=config.delivery.concurrency, operations=config.operations_target)
    logger = get_run_logger()
    if report.unroutable:
        logger.warning("%d event(s) could not be routed to anyone; operations are told, and `coordination outbox "
                       "--status unroutable` lists them", report.unroutable)
    if report.cancelled:
        logger.info("%d notification(s) cancelled at sending: the consent no longer covers the recipient",
                    report.cancelled)
    if report.members_without_target:
        logger.warning("members without a working notification target: %s", ", ".join(report.members_without_target))
    if report.revived:
        logger.info("%d earlier undeliverable notification(s) retried: their targets changed", report.revived)
    if report.remaining:
        logger.warning("%d notification(s) still due when the time budget ran out; the next run goes on",
                       report.remaining)
    if report.lost_claims:
        logger.warning("stopped: another delivery run took over %d notification(s) after this one stalled",
                       report.lost_claims)
    counts = {"claimed": report.claimed, "sent": report.sent, "failed": report.failed, "no_target": report.no_target,
              "undeliverable": report.undeliverable, "remaining": report.remaining}
    if report.failed or report.undeliverable:
        logger.error("%d notification(s) not delivered (%s); failed sends stay pending and are retried, invalid "
                     "targets wait for a corrected configuration", report.failed + report.undeliverable,
                     report.reasons())
        return Failed(message=f"DeliveryError: {report.failed + report.undeliverable} notification(s) not delivered "
                              f"({report.reasons()})", data=counts | {"reasons": report.reasons()})
    return counts


def deliver_now(now: dt.datetime | None = None) -> dict[str, int]:
    """Run the delivery task; a failed send marks the task run, not the flow that called it (its
    own work is done and committed, and the rows are retried)."""
    state = deliver_notifications(now, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):  # the task itself broke (no database): the flow fails
        raise result
    return result


@task(**TASK_OPTIONS)
def case_status(case_number: str) -> str:
    with unit_of_work() as session:
        return str(case_by_number(session, case_number).status)
