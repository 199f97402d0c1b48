"""Operations alerts: a failed flow run tells the operations channel through apprise.

The message holds the flow's name, the run's name and link, and the error class — never
parameters or logs, which could in principle hold more than ids."""

from __future__ import annotations

import apprise
from prefect.settings import PREFECT_UI_URL

from coordination.config import load_notifications
from coordination.errors import CoordinationError
from coordination.notifications.delivery import UnresolvedTarget, resolve_targets


def operations_message(flow_name: str, run_name: str, run_id: str, state) -> tuple[str, str]:
    error = "unknown error"
    try:
        state.result(raise_on_failure=True)
    except Exception as exc:  # the class is what operations need; the text may carry data
        error = type(exc).__name__
    else:
        error = state.name
    link = f"{(PREFECT_UI_URL.value() or 'http://127.0.0.1:4200').rstrip('/')}/runs/flow-run/{run_id}"
    title = f"Flow run failed: {flow_name}"
    body = f"Flow '{flow_name}', run '{run_name}' ended {state.name}: {error}.\n{link}"
    return title, body


def alert_operations(flow, flow_run, state) -> None:
    """Prefect on_failure / on_crashed hook."""
    try:
        config = load_notifications()
        targets = [t for entry in config.operations_targets() for t in resolve_targets(entry)]
    except (CoordinationError, UnresolvedTarget):
        targets = []
    if not targets:
        return
    title, body = operations_message(flow.name, flow_run.name, str(flow_run.id), state)
    notifier = apprise.Apprise()
    for target in targets:
        notifier.add(target)
    notifier.notify(title=title, body=body)
