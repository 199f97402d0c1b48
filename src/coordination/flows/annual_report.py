from __future__ import annotations

import json
import os
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact

from coordination.config.teams import leadership_warnings, load_teams
from coordination.domain.calendar import local_date, now_utc
from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import TASK_OPTIONS
from coordination.persistence.engine import unit_of_work
from coordination.usecases.reports import annual_indicators


@task(**TASK_OPTIONS)
def indicators(year: int) -> dict:
    with unit_of_work() as session:
        return annual_indicators(session, year)


@operated_flow("annual-report")
def annual_report(year: int | None = None) -> dict:
    """The leadership group's annual report: indicators as a table artifact and a JSON file."""
    year = year or local_date(now_utc()).year - 1
    figures = indicators(year)
    warnings = leadership_warnings(load_teams(), until=local_date(now_utc()), year=year)
    for warning in warnings:
        get_run_logger().warning(warning)
    create_table_artifact(key="annual-report", table=[{"indicator": k, "value": v} for k, v in figures.items()],
                          description=f"Annual report {year}" + (f"; {'; '.join(warnings)}" if warnings else ""))
    folder = Path(os.environ.get("COORDINATION_REPORTS_DIR") or "reports")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"annual-report-{year}.json").write_text(json.dumps({**figures, "warnings": warnings}, indent=2))
    return figures
