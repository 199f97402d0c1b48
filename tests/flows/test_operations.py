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


def test_a_failed_care_cycle_run_alerts_operations_once(sqlite_url, configured):  # noqa: F811
    from coordination.flows.care_cycle import care_cycle
    from coordination.flows.operations_watch import operations_watch

    with HttpReceiver() as ops:
        configured(ops.url("ops"))
        state = care_cycle("K-2026-9999", return_state=True)  # no such case: the run fails
        assert state.is_failed()
        alerts = [m for m in ops.received if m["title"] == "Flow run failed: care-cycle"]
        assert len(alerts) == 1 and "NotFound" in alerts[0]["message"]
        operations_watch(lookback_minutes=30)
        assert sum(m["title"] == "Flow run failed: care-cycle" for m in ops.received) == 1


def test_a_failed_send_marks_the_delivery_task_and_names_the_reason(sqlite_url, example_data, configured):  # noqa: F811
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from coordination.flows.identify import identify
    from tests.conftest import T0, load_area
    from tests.notifications.test_delivery import set_targets

    load_area(sqlite_url, example_data)
    with HttpReceiver() as ops, HttpReceiver() as down:
        configured(ops.url("ops"))
        set_targets({"hc-dsk1": [down.url()]})
        down.fail_next(1000)
        from coordination.persistence.engine import unit_of_work
        from coordination.notifications.outbox import enqueue
        from coordination.notifications.templates import Message
        with unit_of_work() as s:
            from coordination.usecases.common import member_by_code
            enqueue(s, key="t:1", message=Message("case_flagged", "K-2026-0001", "x"),
                    member_id=member_by_code(s, "hc-dsk1").id, case_number=None, now=T0)
        state = identify(now=T0, return_state=True)
        assert state.is_completed()  # identification itself succeeded; its delivery task did not

        async def task_states():
            async with get_client() as client:
                runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
            return {r.name.rsplit("-", 1)[0]: r.state for r in runs}

        delivery = asyncio.run(task_states())["deliver_notifications"]
        assert delivery.is_failed() and "http_5xx on json" in delivery.message
        assert down.url() not in delivery.message
