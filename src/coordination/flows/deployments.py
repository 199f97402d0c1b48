"""Deployments as code: the scheduled flows, from the administrators' files.

- the follow-up sweep and identification, on the schedules of `notifications.yaml`;
- per meeting series in `teams.yaml`, a `prepare` run (agenda, leader, invitations) and a
  `remind` run, at the series' lead times before the meeting.

Meeting schedules are RRULEs in the series' timezone, so 13:00 stays 13:00 across daylight
saving time, with the holiday exceptions written in: runs fire before the meeting as held. Parameters are team and series ids only. Re-running after a
config change replaces each deployment's schedules and deletes the deployments of series that
no longer exist, so no schedule is ever left twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from prefect import serve
from prefect.client.orchestration import get_client
from prefect.schedules import Cron, RRule

from coordination.config.notifications import load_notifications
from coordination.config.teams import load_teams
from coordination.domain.calendar import TIMEZONE, local_date, now_utc
from coordination.domain.team_meetings import MeetingSeries, occurrences, regular_dates, run_time
from coordination.errors import InvalidInput
from coordination.flows.follow_up_sweep import follow_up_sweep
from coordination.flows.identify import identify
from coordination.flows.meeting import coordination_meeting
from coordination.flows.operations_watch import WATCH_SCHEDULE, operations_watch

IDENTIFY_SCHEDULE = "30 6 * * 1-5"  # screen new signals before the morning sweep
MANAGED_FLOWS = ("follow-up-sweep", "identify", "coordination-meeting", "operations-watch")


EXCEPTION_YEARS = 10  # holiday exceptions are written this far ahead; `deploy` rewrites them


def meeting_schedule(series: MeetingSeries, lead_hours: int, *, today: dt.date | None = None) -> RRule:
    """The runs `lead_hours` (wall-clock, in the series' timezone) before each meeting as held.
    The cadence is an RRULE; a meeting skipped for a holiday has its run removed (EXDATE), and a
    moved one has its run moved with it (EXDATE of the regular run, RDATE of the new one), for
    the next ten years. Dates are local wall times, as Prefect reads them in the schedule's
    timezone."""
    today = today or local_date(now_utc())
    lead = dt.timedelta(hours=lead_hours)
    first = next(iter(regular_dates(series, today, today + dt.timedelta(weeks=series.interval_weeks))))
    last = first.replace(year=first.year + EXCEPTION_YEARS)
    held = occurrences(series, first, last)
    moved_or_skipped = sorted(set(regular_dates(series, first, last)) - {o.regular for o in held if not o.moved})
    lines = [f"DTSTART:{run_time(series, first, lead):%Y%m%dT%H%M%S}",
             f"RRULE:FREQ=WEEKLY;INTERVAL={series.interval_weeks}"]
    if moved_or_skipped:
        lines.append("EXDATE:" + ",".join(f"{run_time(series, d, lead):%Y%m%dT%H%M%S}" for d in moved_or_skipped))
    if moved := [o for o in held if o.moved]:
        lines.append("RDATE:" + ",".join(f"{run_time(series, o.date, lead):%Y%m%dT%H%M%S}" for o in moved))
    return RRule("\n".join(lines), timezone=series.timezone)


@dataclass(frozen=True)
class Spec:
    flow: object
    entrypoint: str  # path:function from the repository root, for workers that load from source
    name: str
    schedules: list
    parameters: dict


def specs() -> list[Spec]:
    """Every deployment the configuration asks for; a bad file stops here, before any is made."""
    config = load_notifications()
    teams = load_teams()
    made = [
        Spec(follow_up_sweep, "flows/follow_up_sweep.py:follow_up_sweep", "follow-up-sweep",
             [Cron(config.sweep.schedule, timezone=TIMEZONE)], {}),
        Spec(identify, "flows/identify.py:identify", "identify", [Cron(IDENTIFY_SCHEDULE, timezone=TIMEZONE)], {}),
        Spec(operations_watch, "flows/operations_watch.py:operations_watch", "operations-watch",
             [Cron(WATCH_SCHEDULE, timezone=TIMEZONE)], {}),
    ]
    for team in teams:
        for series in team.all_series():
            for step, lead in (("prepare", series.preparation_hours), ("remind", series.reminder_hours)):
                made.append(Spec(coordination_meeting, "flows/meeting.py:coordination_meeting", f"{series.id}-{step}",
                                 [meeting_schedule(series, lead)],
                                 {"team_id": team.id, "series_id": series.id, "step": step}))
    return made


def deployments():
    """The deployments for serving in this process (embedded mode)."""
    return [s.flow.to_deployment(name=s.name, schedules=s.schedules, parameters=s.parameters) for s in specs()]


def prune(keep: set[str]) -> list[str]:
    """Delete the deployments of our flows that the configuration no longer names."""
    removed = []
    with get_client(sync_client=True) as client:
        for deployment in client.read_deployments():
            flow = client.read_flow(deployment.flow_id)
            if flow.name in MANAGED_FLOWS and deployment.name not in keep:
                client.delete_deployment(deployment.id)
                removed.append(f"{flow.name}/{deployment.name}")
    return removed


def apply_all(work_pool: str | None = None, source: Path | None = None) -> tuple[list[str], list[str]]:
    """Create or update every deployment and remove stale ones; returns (applied, removed).
    With a work pool, workers load the flows from `source` (a checkout: its `flows/` folder
    holds the entry points), no image needed."""
    made = specs()
    source = (source or Path.cwd()).resolve()
    if work_pool:
        missing = [s.entrypoint for s in made if not (source / s.entrypoint.split(":")[0]).is_file()]
        if missing:
            raise InvalidInput(f"has no flow entry point {missing[0]}", record=str(source), field="source",
                               hint="run `coordination deploy` in the project's checkout, or pass --source CHECKOUT")
    for spec in made:
        if work_pool:
            spec.flow.from_source(source=str(source), entrypoint=spec.entrypoint).deploy(
                name=spec.name, work_pool_name=work_pool, schedules=spec.schedules, parameters=spec.parameters,
                build=False, push=False, print_next_steps=False)
        else:
            spec.flow.to_deployment(name=spec.name, schedules=spec.schedules, parameters=spec.parameters).apply()
    return [s.name for s in made], prune({s.name for s in made})


def serve_all() -> None:
    made = deployments()
    prune({d.name for d in made})
    serve(*made)
