"""Operations alerts for failed and crashed runs: once each, with flow, link and error class only."""

from __future__ import annotations

import pytest
from prefect import flow

from tests.flows.test_sweep_flow import configured  # noqa: F401  (fixture)
from tests.receivers import HttpReceiver

pytestmark = pytest.mark.usefixtures("prefect_harness")


@flow(name="breaks-on-purpose")
def breaks(detail: str) -> None:
    raise ValueError(f"could not handle {detail}")  # the text may hold data: it must not be alerted


def test_failed_and_crashed_runs_alert_operations_once(sqlite_url, configured):  # noqa: F811
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    from coordination.flows.operations_watch import operations_watch

    with HttpReceiver() as ops:
        configured(ops.url("ops"))
        state = breaks("19380214-2012", return_state=True)
        assert state.is_failed()
        with get_client(sync_client=True) as client:
            crashed = client.create_flow_run(breaks, parameters={"detail": "x"})
            client.set_flow_run_state(crashed.id, Crashed(message="Process exited with code -9"), force=True)
        first = operations_watch(lookback_minutes=30)
        assert first["failed_runs"] >= 2 and first["alerts_queued"] >= 2  # other tests' failed runs too
        ours = [m for m in ops.received if m["title"].endswith("breaks-on-purpose")]
        titles = sorted(m["title"] for m in ours)
        assert titles == ["Flow run crashed: breaks-on-purpose", "Flow run failed: breaks-on-purpose"]
        failed = next(m for m in ours if "failed" in m["title"])
        assert "ValueError" in failed["message"] and "/runs/flow-run/" in failed["message"]
        assert "19380214-2012" not in str(ops.received) and "could not handle" not in str(ops.received)
        seen = len(ops.received)
        again = operations_watch(lookback_minutes=30)
        assert again["alerts_queued"] == 0 and len(ops.received) == seen


def test_a_hook_and_the_watch_alert_the_same_run_once(sqlite_url, configured):  # noqa: F811
    from coordination.flows.alerts import alert_operations
    from coordination.flows.operations_watch import operations_watch

    with HttpReceiver() as ops:
        configured(ops.url("ops"))
        guarded = breaks.with_options(name="guarded", on_failure=[alert_operations])
        assert guarded("x", return_state=True).is_failed()
        assert [m["title"] for m in ops.received] == ["Flow run failed: guarded"]  # the hook, at once
        operations_watch(lookback_minutes=30)
        assert sum("guarded" in m["title"] for m in ops.received) == 1
