from __future__ import annotations

import datetime as dt

from prefect import flow

from coordination.flows.alerts import alert_operations

from coordination.flows.tasks import deliver_now, dispatch_actions


@flow(name="act", persist_result=False, on_failure=[alert_operations],
      on_crashed=[alert_operations])
def act(case_number: str, now: dt.datetime | None = None, deliver: bool = True) -> dict[str, int]:
    """Give the SIP's planned actions their due dates and tell the responsible members."""
    dispatched = dispatch_actions(case_number, now)
    if deliver:
        deliver_now(now)
    return {"actions_dispatched": dispatched}
