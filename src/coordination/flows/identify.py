from __future__ import annotations

import datetime as dt

from prefect import flow

from coordination.flows.tasks import deliver_notifications, screen_signals


@flow(name="identify", persist_result=False)
def identify(now: dt.datetime | None = None) -> dict[str, int]:
    """Screen newly reported signals against the criteria; open or flag cases."""
    counts = screen_signals(now)
    deliver_notifications(now)
    return counts
