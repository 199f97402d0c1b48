from __future__ import annotations

import datetime as dt

from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import deliver_now, dispatch_actions


@operated_flow("act")
def act(case_number: str, now: dt.datetime | None = None, deliver: bool = True) -> dict[str, int]:
    """Give the SIP's planned actions their due dates and tell the responsible members."""
    dispatched = dispatch_actions(case_number, now)
    if deliver:
        deliver_now(now)
    return {"actions_dispatched": dispatched}
