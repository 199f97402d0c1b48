from __future__ import annotations

import datetime as dt

from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import apply_follow_ups, deliver_now


@operated_flow("follow-up")
def follow_up(case_number: str, now: dt.datetime | None = None, deliver: bool = True) -> dict[str, int]:
    """Apply recorded follow-up outcomes: revise the SIP where needs remain, else close."""
    counts = apply_follow_ups(case_number, now)
    if deliver:
        deliver_now(now)
    return counts
