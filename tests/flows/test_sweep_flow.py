"""The scheduled follow-up sweep as a Prefect flow: what operations staff see."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Outbox
from tests.notifications.test_delivery import personal_strings, set_targets
from tests.receivers import HttpReceiver
from tests.usecases.test_sweep import at, world

pytestmark = pytest.mark.usefixtures("prefect_harness")


async def _runs_and_artifacts(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, TaskRunFilter, \
        TaskRunFilterFlowRunId

    async with get_client() as client:
        for _ in range(50):  # task runs reach the API as events, a moment after the flow ends
            tasks = await client.read_task_runs(task_run_filter=TaskRunFilter(
                flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id])))
            if len(tasks) >= 2:
                break
            await asyncio.sleep(0.2)
        artifacts = await client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return tasks, artifacts


@pytest.fixture
def configured(tmp_path, monkeypatch):
    def write(ops_url: str | None):
        path = tmp_path / "notifications.yaml"
        path.write_text("sweep: {due_soon_working_days: 2, escalation_grace_working_days: 2}\n"
                        + (f"tags:\n  ops: ['{ops_url}']\noperations_tag: ops\n" if ops_url else ""))
        monkeypatch.setenv("COORDINATION_NOTIFICATIONS_CONFIG", str(path))
    return write


def test_sweep_flow_reports_per_organisation_with_case_numbers_only(sqlite_url, example_data, configured):
    from coordination.flows.follow_up_sweep import follow_up_sweep

    configured(None)
    world(sqlite_url, example_data)
    with HttpReceiver() as http:
        with unit_of_work() as s:
            codes = [m.code for m in s.exec(select(Member))]
        set_targets({c: [http.url(c)] for c in codes})
        state = follow_up_sweep(now=at(2026, 11, 20), return_state=True)
        assert state.is_completed()
        result = state.result()
        assert result["digests"] > 0 and result["delivery_failed"] == 0
        tasks, artifacts = asyncio.run(_runs_and_artifacts(state.state_details.flow_run_id))
    # enqueue and deliver, the same whatever the number of cases; the report is the flow's own step
    assert sorted(t.name.rsplit("-", 1)[0] for t in tasks) == ["deliver_notifications", "enqueue_digests"]
    [artifact] = artifacts
    rows = artifact.data if isinstance(artifact.data, list) else __import__("json").loads(artifact.data)
    labels = {r["organisation"] for r in rows}
    assert "hc-norrby (health_centre)" in labels
    assert sum(r["overdue"] for r in rows) > 0 and sum(r["escalated"] for r in rows) > 0
    assert any("K-2026-0001" in r["cases"] for r in rows)
    text = str(rows) + str(artifact.description)
    for secret in personal_strings(example_data):
        assert secret not in text


def test_failed_deliveries_fail_the_run_and_alert_operations(sqlite_url, example_data, configured):
    from coordination.flows.follow_up_sweep import follow_up_sweep

    world(sqlite_url, example_data)
    with HttpReceiver() as ops, HttpReceiver() as down:
        configured(ops.url("ops"))
        set_targets({"hc-dsk1": [down.url()]})
        down.fail_next(1000)
        state = follow_up_sweep(now=at(2026, 11, 20), return_state=True)
        assert state.is_failed() and "DeliveryError" in state.message
        assert "http_5xx on json" in state.message  # the reason: error class and channel kind, no URL
        assert len(ops.received) == 1
        alert = ops.received[0]
        assert "follow-up-sweep" in alert["title"] and "/runs/flow-run/" in alert["message"]
        assert "DeliveryError" in alert["message"]  # the alert says why, by class
        for secret in personal_strings(example_data):
            assert secret not in str(alert)
        with unit_of_work() as s:  # the receiver comes back: the next sweep delivers what was left
            pending = s.exec(select(Outbox).where(Outbox.status == "pending")).all()
        assert pending and all(p.attempts == 1 and p.last_error for p in pending)
        down.fail_next(0)
        later = follow_up_sweep(now=at(2026, 11, 21, 12), return_state=True)
        assert later.is_completed()
        assert len(down.received) == len(pending)
