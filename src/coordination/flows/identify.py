from __future__ import annotations

import datetime as dt

from prefect import flow

from coordination.flows.alerts import alert_operations

from coordination.flows.tasks import deliver_now, screen_signals


@flow(name="identify", persist_result=False, on_failure=[alert_operations],
      on_crashed=[alert_operations])
def identify(now: dt.datetime | None = None) -> dict[str, int]:
    """Screen newly reported signals against the criteria; open or flag cases."""
    counts = screen_signals(now)
    deliver_now(now)
    return counts
