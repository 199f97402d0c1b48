from __future__ import annotations

import datetime as dt

from coordination.flows.act import act
from coordination.flows.alerts import operated_flow
from coordination.flows.assess_and_plan import assess_and_plan
from coordination.flows.follow_up import follow_up
from coordination.flows.tasks import deliver_now


@operated_flow("care-cycle")
def care_cycle(case_number: str, now: dt.datetime | None = None) -> dict[str, int]:
    """One turn of the cycle for one case: assess and plan, act, follow up; then deliver."""
    # Only subflows here, no tasks in between: each step itself skips what is not ready.
    # (A Prefect subflow started right after a task of its parent waits about two seconds.)
    counts = dict(assess_and_plan(case_number, now, deliver=False))
    counts |= act(case_number, now, deliver=False)
    counts |= follow_up(case_number, now, deliver=False)
    counts |= {f"notifications_{k}": v for k, v in deliver_now(now).items()}
    return counts
