from __future__ import annotations

import datetime as dt

from prefect import flow

from flows.act import act
from flows.assess_and_plan import assess_and_plan
from flows.follow_up import follow_up
from flows.tasks import case_status, deliver_notifications


@flow(name="care-cycle", persist_result=False)
def care_cycle(case_number: str, now: dt.datetime | None = None) -> dict[str, int]:
    """One turn of the cycle for one case: assess and plan, act, follow up; then deliver."""
    planned = assess_and_plan(case_number, now, deliver=False)
    counts = dict(planned)
    if case_status(case_number) in ("planned", "active"):
        counts |= act(case_number, now, deliver=False)
        counts |= follow_up(case_number, now, deliver=False)
    counts |= {f"notifications_{k}": v for k, v in deliver_notifications(now).items()}
    return counts
