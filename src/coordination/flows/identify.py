from __future__ import annotations

import datetime as dt

from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import deliver_now, screen_signals


@operated_flow("identify")
def identify(now: dt.datetime | None = None) -> dict[str, int]:
    """Screen newly reported signals against the criteria; open or flag cases."""
    counts = screen_signals(now)
    deliver_now(now)
    return counts
