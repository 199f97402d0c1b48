"""The team's coordination meeting's pages: the team's meetings, the meeting (agenda, SBAR,
decisions) and its minutes. Thin: each route calls one use case of `usecases.team_meeting_room`,
or carries out one decision as a command."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coordination.config.teams import Team, load_teams
from coordination.domain.calendar import local_date
from coordination.domain.team_meetings import MeetingSeries
from coordination.domain.vocabulary import HandlingTime
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import (
    FormStaffDep, LatestOrVersion, RowId, StaffDep, carry_out, form_command, told_or_not, transaction,
)
from coordination.entrypoints.web.render import see_other
from coordination.errors import NotFound
from coordination.persistence.models import Meeting
from coordination.usecases import team_meeting_room
from coordination.usecases.commands import (
    DecideAction, DecideNeedsSip, FollowUpCase, MeetingCommand, NoteDecision, NoteDischarge, ReopenMeeting, SaveSummary, TakeOverLeadership, build,
)
from coordination.usecases.teams import room_of_meeting

router = APIRouter(prefix="/meetings")




def _series_of(series_id: str) -> tuple[Team, MeetingSeries]:
    """The series and who meets in it: the team, or the leadership group's members."""
    for team in load_teams():
        for series in team.all_series():
            if series.id == series_id:
                return team.room(series), series
    raise NotFound(f"unknown meeting series {series_id}", record=f"series {series_id}", field="series",
                   hint="open the meeting from the list of your team's meetings")


def _of_meeting(session, meeting_id: int) -> tuple[Team, MeetingSeries, Meeting]:
    return room_of_meeting(session, meeting_id)


@router.get("", response_class=HTMLResponse)
def meetings_page(request: Request, staff: StaffDep) -> HTMLResponse:
    """The meeting series of the teams the member belongs to."""
    with transaction(read_only=True) as session:
        mine = []
        for team in load_teams():
            for series in team.all_series():
                room = team.room(series)
                if staff.who.code in {m.code for m in room.members}:
                    team_meeting_room.require_in_team(session, staff.actor, room)
                    mine.append((room, series))
        return render.page(request, "meetings.html", staff.texts, staff, series=mine)


@router.get("/{series_id}", response_model=None)
def series_page(request: Request, series_id: str, staff: StaffDep) -> RedirectResponse | HTMLResponse:
    """The series' current meeting; one not prepared yet is shown by its time, and nothing is
    written: a page that reads never writes (opening it early is a form)."""
    team, series = _series_of(series_id)
    with transaction(read_only=True) as session:
        found = team_meeting_room.upcoming(session, staff.actor, team, series, now=staff.now)
    if isinstance(found, Meeting):
        return see_other(f"/meetings/m/{found.id}")
    return render.page(request, "meeting_upcoming.html", staff.texts, staff, team=team, series=series, occurrence=found)


@router.post("/{series_id}/open")
def series_open(series_id: str, staff: FormStaffDep) -> RedirectResponse:
    """The member opens the coming meeting's page before its preparation has (its row, its leader)."""
    team, series = _series_of(series_id)
    with transaction() as session:
        meeting = team_meeting_room.current_meeting(session, staff.actor, team, series, now=staff.now)
        return see_other(f"/meetings/m/{meeting.id}")


@router.get("/m/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, meeting_id: RowId, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction() as session:
        team, series, meeting = _of_meeting(session, meeting_id)
        view = team_meeting_room.meeting_view(session, staff.actor, team, series, meeting, now=staff.now)
        return render.page(request, "meeting.html", staff.texts, staff, view=view, saved=saved,
                           handling_times=[str(h) for h in HandlingTime], today=local_date(staff.now).isoformat())


@router.post("/m/{meeting_id}/take-over")
def take_over(staff: FormStaffDep, cmd: Annotated[TakeOverLeadership, form_command(
        TakeOverLeadership, meeting="meeting_id")]) -> RedirectResponse:
    return _decided(staff, cmd, "leader", "main")


@router.post("/m/{meeting_id}/attendance")
async def attendance(request: Request, meeting_id: RowId, staff: FormStaffDep) -> RedirectResponse:
    form = await request.form()
    marks = {key[len("attendance-"):]: str(value) for key, value in form.items()
             if key.startswith("attendance-") and value}
    with transaction() as session:
        team, _, _ = _of_meeting(session, meeting_id)
        team_meeting_room.record_attendance(session, staff.actor, team, meeting_id, marks, now=staff.now)
    return see_other(f"/meetings/m/{meeting_id}?saved=attendance#attendance")


def _decided(staff, cmd: MeetingCommand, saved: str, anchor: str) -> RedirectResponse:
    """One decision of the meeting, as a command; then back to the meeting."""
    carry_out(staff, cmd)
    return see_other(told_or_not(staff, f"/meetings/m/{cmd.meeting}?saved={saved}#{anchor}"))


@router.post("/m/{meeting_id}/actions")
def decide_action(staff: FormStaffDep, cmd: Annotated[DecideAction, form_command(DecideAction, meeting="meeting_id")]
                  ) -> RedirectResponse:
    return _decided(staff, cmd, "action", f"case-{cmd.case}")


@router.post("/m/{meeting_id}/needs-sip")
def decide_needs_sip(staff: FormStaffDep, cmd: Annotated[DecideNeedsSip, form_command(
        DecideNeedsSip, meeting="meeting_id")]) -> RedirectResponse:
    return _decided(staff, cmd, "needs_sip", f"case-{cmd.case}")


@router.post("/m/{meeting_id}/follow-up")
def follow_up_case(staff: FormStaffDep, cmd: Annotated[FollowUpCase, form_command(FollowUpCase, meeting="meeting_id")]
                   ) -> RedirectResponse:
    return _decided(staff, cmd, "follow_up", f"ongoing-{cmd.case}")


@router.post("/m/{meeting_id}/discharge")
def note_discharge(staff: FormStaffDep, cmd: Annotated[NoteDischarge, form_command(NoteDischarge, meeting="meeting_id")]
                   ) -> RedirectResponse:
    return _decided(staff, cmd, "discharge", f"case-{cmd.case}")


@router.post("/m/{meeting_id}/note")
def note_decision(staff: FormStaffDep, cmd: Annotated[NoteDecision, form_command(NoteDecision, meeting="meeting_id")]
                  ) -> RedirectResponse:
    return _decided(staff, cmd, "note", "decisions")


@router.post("/m/{meeting_id}/summary")
def summary(meeting_id: RowId, staff: FormStaffDep, text: Annotated[str, Form()] = "",
            close: Annotated[str, Form()] = "") -> RedirectResponse:
    """Save the summary; with `close` (the second button), also close the meeting and send the minutes."""
    cmd = build(SaveSummary, meeting=meeting_id, text=text, close=bool(close))
    version = carry_out(staff, cmd)
    if cmd.close:
        return see_other(f"/meetings/m/{cmd.meeting}/minutes?version={version}&saved=closed")
    return see_other(f"/meetings/m/{cmd.meeting}?saved=summary#summary")


@router.post("/m/{meeting_id}/reopen")
def reopen(staff: FormStaffDep, cmd: Annotated[ReopenMeeting, form_command(ReopenMeeting, meeting="meeting_id")]
           ) -> RedirectResponse:
    return _decided(staff, cmd, "reopened", "main")


@router.get("/m/{meeting_id}/minutes", response_class=HTMLResponse)
def minutes_page(request: Request, meeting_id: RowId, staff: StaffDep, version: LatestOrVersion = None,
                 saved: str = "") -> HTMLResponse:
    with transaction() as session:
        team, _, _ = _of_meeting(session, meeting_id)
        view = team_meeting_room.minutes(session, staff.actor, team, meeting_id, version=version, now=staff.now)
        return render.page(request, "minutes.html", staff.texts, staff, view=view, saved=saved)

