from __future__ import annotations

import datetime as dt
import time

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.states import Failed
from sqlalchemy import func, select

from coordination.config.notifications import load_notifications
from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import TASK_OPTIONS, deliver_now, moment
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Organisation, Outbox
from coordination.usecases.sweep import CLASSES, sweep

@task(**TASK_OPTIONS)
def enqueue_digests(now: dt.datetime | None = None) -> dict:
    """Find what is due and queue one digest per recipient (one transaction)."""
    policy = load_notifications().sweep
    stamp = moment(now)
    started = time.perf_counter()
    with unit_of_work() as session:
        result = sweep(session, now=stamp, policy=policy)
    result.db_seconds = time.perf_counter() - started  # the database phase, its commit included
    log = get_run_logger()
    log.info("sweep found %d item(s); %d digest(s) queued; %d deviation(s) recorded",
             result.items, result.digests, result.deviations)
    if result.escalations_without_manager:
        log.warning("escalation without a manager for %s", ", ".join(result.escalations_without_manager))
    # Counts and bounded lists only: Prefect walks a task's result and the next task's parameters,
    # so their size must not grow with the number of due items.
    return {"items": result.items, "digests": result.digests, "deviations": result.deviations,
            "db_seconds": result.db_seconds, "digest_suffix": result.digest_suffix, "stamp": stamp,
            "by_organisation": result.by_organisation,
            "cases_by_organisation": result.cases_by_organisation,
            "escalations_without_manager": result.escalations_without_manager}


# A plain function in the flow, not a task: a task run costs a served flow about 20 ms of round
# trips, and this one only reads counts; a failure still fails the flow run and alerts operations
# (the sweep itself is committed by then, and the next run goes on).
def publish_report(found: dict, delivered: dict | None) -> dict[str, dict[str, int]]:
    """A table artifact per sweep: counts per organisation and unit, and case numbers only."""
    outcome: dict[str, dict[str, int]] = {}
    if found["digests"]:
        # this run's digests: written at the run's time, their keys ending with its suffix (found
        # through the outbox's time index, however many items they tell)
        with unit_of_work(read_only=True) as session:
            rows = session.execute(
                select(Organisation.code, Organisation.unit_type, Outbox.status, func.count())
                .join(Member, Member.id == Outbox.member_id).join(Organisation, Organisation.id == Member.organisation_id)
                .where(Outbox.created_at == found["stamp"], Outbox.kind == "digest",
                       Outbox.key.endswith(found["digest_suffix"]))
                .group_by(Organisation.code, Organisation.unit_type, Outbox.status)).all()
        for code, unit, status, count in rows:
            outcome.setdefault(f"{code} ({unit})", {}).setdefault(str(status), count)
    table = []
    for label in sorted(set(found["by_organisation"]) | set(outcome)):
        counts = found["by_organisation"].get(label, dict.fromkeys(CLASSES, 0))
        sent = outcome.get(label, {})
        cases = found["cases_by_organisation"].get(label, {"count": 0, "listed": []})
        listed = ", ".join(cases["listed"]) + (f" … and {cases['count'] - len(cases['listed'])} more"
                                               if cases["count"] > len(cases["listed"]) else "")
        table.append({"organisation": label, **counts, "digests delivered": sent.get("sent", 0),
                      "digests failed": sent.get("pending", 0) + sent.get("failed", 0),
                      "without target": sent.get("no_target", 0),
                      "cases": listed})
    description = (f"{found['items']} item(s), {found['digests']} digest(s), {found['deviations']} deviation(s)"
                   + (f"; delivery: {delivered}" if delivered else "; delivery not run"))
    create_table_artifact(key="follow-up-sweep", table=table, description=description)
    return outcome


@operated_flow("follow-up-sweep")
def follow_up_sweep(now: dt.datetime | None = None, deliver: bool = True):
    """Remind of what is due soon and due today, flag what is overdue, escalate what stays
    overdue past the grace period; one digest per recipient; a table artifact per sweep."""
    found = enqueue_digests(now)
    delivered = deliver_now(now) if deliver else None
    publish_report(found, delivered)
    summary = {"items": found["items"], "digests": found["digests"], "deviations": found["deviations"],
               "db_seconds": found["db_seconds"], **({f"delivery_{k}": v for k, v in delivered.items()}
                                                     if delivered else {})}
    if delivered and (not_delivered := delivered["failed"] + delivered.get("undeliverable", 0)):
        return Failed(message=f"DeliveryError: {not_delivered} notification(s) not delivered "
                              f"({delivered['reasons']}); failed sends are retried, invalid targets wait for a fix",
                      data=summary)
    return summary
