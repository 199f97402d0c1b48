from __future__ import annotations

import datetime as dt

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from coordination.config.teams import find_series, load_teams
from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import FLOW_ACTOR, TASK_OPTIONS, deliver_now, moment
from coordination.persistence.engine import unit_of_work
from coordination.usecases.team_meeting_agenda import prepare_meeting


@task(**TASK_OPTIONS)
def prepare(team_id: str, series_id: str, step: str, now: dt.datetime | None = None) -> dict:
    team, series = find_series(load_teams(), team_id, series_id)
    with unit_of_work() as session:
        prepared = prepare_meeting(session, FLOW_ACTOR, team=team,
                                   series=series, now=moment(now), step=step)
    log = get_run_logger()
    if prepared.date is None:
        log.info("%s: no meeting within the lead time (holiday skipped or off-cadence run)", series_id)
        return {"date": None, "invited": 0}
    log.info("%s: %s for %s, %d participant(s), leader %s", series_id, step, prepared.date, prepared.invited,
             prepared.leader)
    if step == "prepare":
        # case numbers, markers and dates only: the artifact is read in the operations UI
        create_markdown_artifact(key=f"agenda-{series_id}", markdown=prepared.agenda_markdown,
                                 description=f"Agenda for {series_id} on {prepared.date}")
    return {"date": prepared.date.isoformat(), "invited": prepared.invited, "leader": prepared.leader}


@operated_flow("coordination-meeting")
def coordination_meeting(team_id: str, series_id: str, step: str = "prepare",
                         now: dt.datetime | None = None) -> dict:
    """Ahead of a coordination meeting: build the agenda in the manual's order, appoint the
    meeting leader, invite the participants with the digital link (`prepare`), or remind them
    (`remind`)."""
    result = prepare(team_id, series_id, step, now)
    deliver_now(now)
    return result
