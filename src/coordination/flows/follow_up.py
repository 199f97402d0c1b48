from __future__ import annotations

import datetime as dt

from prefect import flow

from coordination.flows.alerts import alert_operations

from coordination.flows.tasks import apply_follow_ups, deliver_now


@flow(name="follow-up", persist_result=False, on_failure=[alert_operations],
      on_crashed=[alert_operations])
def follow_up(case_number: str, now: dt.datetime | None = None, deliver: bool = True) -> dict[str, int]:
    """Apply recorded follow-up outcomes: revise the SIP where needs remain, else close."""
    counts = apply_follow_ups(case_number, now)
    if deliver:
        deliver_now(now)
    return counts
