"""The recurring coordination meetings of a team: agenda, preparation and calendar files."""

import json
from pathlib import Path
from typing import Annotated

import typer

from coordination import settings
from coordination.errors import InvalidInput
from coordination.lazy import lazy
from coordination.entrypoints.cli.base import app, By, Now, parse_now, say

clock = lazy("coordination.domain.calendar")
teams_config = lazy("coordination.config.teams")
db = lazy("coordination.persistence.engine")
common = lazy("coordination.usecases.common")

meeting_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Recurring coordination meetings.")
app.add_typer(meeting_app, name="meeting")


@meeting_app.command("agenda")
def meeting_agenda(team: str, series: str, by: By, now: Now = None) -> None:
    """The next meeting's agenda with the identification reasons (personal data: audited)."""
    from coordination.domain import team_meetings as meetings
    from coordination.usecases.team_meeting_agenda import agenda_for

    team_row, series_row = teams_config.find_series(teams_config.load_teams(), team, series)
    if series_row.kind == "leadership":
        raise InvalidInput(f"'{series}' is the local leadership group: its agenda is the area's indicators",
                           record=str(teams_config.teams_path()), field="series",
                           hint=f"open it in the workspace: {settings.web_url()}/meetings/{series}")
    moment = parse_now(now)
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        facts = agenda_for(session, actor, team_name=team_row.name, organisations=team_row.organisations,
                           members=tuple(m.code for m in team_row.members), now=moment)
        occ = meetings.next_occurrence(series_row, moment)
        common.audit(session, actor, "read", "agenda", f"{series} {occ.date if occ else ''}", now=moment)
    title = f"{team_row.name}: coordination meeting {occ.date if occ else '(none scheduled)'}"
    say(meetings.agenda_markdown(title, meetings.build_agenda(facts, details=True)))


@meeting_app.command("prepare")
def meeting_prepare(team: str, series: str, step: Annotated[str, typer.Option(help="prepare or remind")] = "prepare",
                    now: Now = None) -> None:
    """Run the meeting flow now (agenda, leader, invitations; or reminders)."""
    from coordination.flows.meeting import coordination_meeting  # entry point: the library never imports Prefect

    if step not in ("prepare", "remind"):
        raise InvalidInput(f"'{step}' is not a step", record="option", field="step", hint="use prepare or remind")
    teams_config.find_series(teams_config.load_teams(), team, series)
    say(json.dumps(coordination_meeting(team, series, step, now=parse_now(now) if now else None)))


@app.command()
def calendar(team: str, out: Annotated[Path, typer.Option(help="Folder for the .ics files.")] = Path("calendar"),
             months: Annotated[int, typer.Option(help="How far ahead.")] = 12) -> None:
    """Write an iCalendar file per meeting series of TEAM (imports into Outlook and Google)."""
    import datetime as dt

    from coordination.notifications.calendar_feed import series_calendar

    teams = {t.id: t for t in teams_config.load_teams()}
    if team not in teams:
        raise InvalidInput(f"unknown team '{team}'", record=str(teams_config.teams_path()), field="teams",
                           hint=f"teams are: {', '.join(teams)}")
    if not 1 <= months <= 36:
        raise InvalidInput(f"{months} is out of range", record="option", field="months", hint="give 1 to 36")
    today = clock.local_date(clock.now_utc())
    out.mkdir(parents=True, exist_ok=True)
    for series in teams[team].all_series():
        path = out / f"{series.id}.ics"
        path.write_bytes(series_calendar(series, team_name=teams[team].name, first=today,
                                         last=today + dt.timedelta(days=31 * months), stamp=clock.now_utc()))
        say(f"wrote {path}")
