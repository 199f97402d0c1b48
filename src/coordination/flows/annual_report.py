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
from coordination.usecases.reports import leadership_report, meetings_held


@task(**TASK_OPTIONS)
def reports(year: int) -> list[dict]:
    """One report per leadership group (counts, ratios and targets only)."""
    teams = [t for t in load_teams() if t.leadership_group]
    with unit_of_work(read_only=True) as session:
        made = [leadership_report(session, team, year) for team in teams]
        held = meetings_held(session, [t.leadership_group.series.id for t in teams])
    warnings = leadership_warnings(teams, held, until=local_date(now_utc()), year=year)
    for report in made:
        report["warnings"] = [w for w in warnings if w.startswith(f"team {report['team']}:")]
    return made


@operated_flow("annual-report")
def annual_report(year: int | None = None) -> list[dict]:
    """Each local leadership group's annual report for its area: the indicators, the action
    plan's indicators against their targets, and the meetings held; a table artifact and a JSON
    file per group."""
    year = year or local_date(now_utc()).year - 1
    made = reports(year)
    folder = Path(os.environ.get("COORDINATION_REPORTS_DIR") or "reports")
    folder.mkdir(parents=True, exist_ok=True)
    for report in made:
        for warning in report["warnings"]:
            get_run_logger().warning(warning)
        table = ([{"indicator": k, "value": v, "target": "", "met": ""} for k, v in report["indicators"].items()]
                 + [{"indicator": p["indicator"], "value": p["value"], "target": p["target"],
                     "met": {True: "yes", False: "no", None: "no data"}[p["met"]]} for p in report["action_plan"]])
        create_table_artifact(key=f"annual-report-{report['team']}", table=table,
                              description=f"Annual report {year}, {report['team']}"
                              + (f"; {'; '.join(report['warnings'])}" if report["warnings"] else ""))
        (folder / f"annual-report-{report['team']}-{year}.json").write_text(json.dumps(report, indent=2))
    return made
