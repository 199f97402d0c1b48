from __future__ import annotations

import datetime as dt

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterEndTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType

from coordination.config.notifications import load_notifications
from coordination.flows.alerts import operated_flow, ui_url
from coordination.flows.tasks import TASK_OPTIONS, deliver_now, moment
from coordination.persistence.engine import unit_of_work
from coordination.usecases.operations import FailedRun, alert_operations

WATCH_SCHEDULE = "*/10 * * * *"
PAGE = 200  # the API's largest page


@task(**TASK_OPTIONS)
def failed_runs(lookback_minutes: int, now: dt.datetime | None = None) -> list[dict]:
    """Flow runs that failed or crashed within the look-back window (ids, names, states)."""
    since = moment(now) - dt.timedelta(minutes=lookback_minutes)
    wanted = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED])),
        end_time=FlowRunFilterEndTime(after_=since))
    runs = []
    with get_client(sync_client=True) as client:
        while page := client.read_flow_runs(flow_run_filter=wanted, limit=PAGE, offset=len(runs)):
            runs += page
            if len(page) < PAGE:
                break
        flows = {f.id: f.name for f in client.read_flows(limit=PAGE)}
    return [{"id": str(r.id), "name": r.name, "flow_name": flows.get(r.flow_id, "unknown"),
             "state": r.state.name if r.state else "Failed", "message": r.state.message if r.state else None}
            for r in runs]


@task(**TASK_OPTIONS)
def queue_alerts(runs: list[dict], now: dt.datetime | None = None) -> int:
    config = load_notifications()
    if not config.operations_tag:
        get_run_logger().warning("no operations_tag configured: %d failed run(s) not alerted", len(runs))
        return 0
    with unit_of_work() as session:
        return alert_operations(session, [FailedRun(**r) for r in runs], target=f"tag:{config.operations_tag}",
                                ui_url=ui_url(), now=moment(now))


@operated_flow("operations-watch")
def operations_watch(lookback_minutes: int = 60, now: dt.datetime | None = None) -> dict:
    """Tell the operations channel about every failed or crashed flow run, once. It runs on its
    own schedule, so an alert survives the crash of the process whose run failed."""
    runs = failed_runs(lookback_minutes, now)
    queued = queue_alerts(runs, now)
    delivered = deliver_now(now)
    return {"failed_runs": len(runs), "alerts_queued": queued, **{f"delivery_{k}": v for k, v in delivered.items()}}
