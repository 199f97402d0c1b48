"""The in-process operations alert: a Prefect on_failure / on_crashed hook that queues the
alert in the outbox and delivers it at once. The `operations-watch` flow queues the same alert
under the same key when it finds the run later, so a run is alerted once — and still alerted
if the process died before its hook could run."""

from __future__ import annotations

from prefect import flow
from prefect.settings import PREFECT_UI_URL

from coordination.config.notifications import load_notifications
from coordination.domain.calendar import now_utc
from coordination.errors import CoordinationError
from coordination.notifications.delivery import deliver_pending
from coordination.persistence.engine import unit_of_work
from coordination.usecases.operations import FailedRun, alert_key
from coordination.usecases.operations import alert_operations as queue_alerts


def ui_url() -> str:
    """The Prefect UI's address, for the run's link in an alert."""
    return PREFECT_UI_URL.value() or "http://127.0.0.1:4200"


def alert_operations(flow, flow_run, state) -> None:
    try:
        config = load_notifications()
        if not config.operations_tag:
            return

        run = FailedRun(str(flow_run.id), flow_run.name, flow.name, state.name, state.message)
        now = now_utc()
        with unit_of_work() as session:
            queue_alerts(session, [run], target=f"tag:{config.operations_tag}", ui_url=ui_url(), now=now)
        deliver_pending(now=now, tags=config.tags, keys=[alert_key(run)])  # this alert only
    except CoordinationError:
        pass  # a broken configuration is reported by `coordination config check`; the watch retries


def operated_flow(name: str):
    """A project flow: no persisted results (they could hold data), and operations are alerted
    when a run fails or crashes. Every flow uses this, so none can be deployed without the hook."""
    return flow(name=name, persist_result=False, on_failure=[alert_operations], on_crashed=[alert_operations])
