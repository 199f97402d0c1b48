"""The coordination meeting's pages: the team's meetings, the meeting (agenda, SBAR, decisions)
and its minutes. Thin like `pages`: each route calls one use case of `usecases.team_meeting_room`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coordination.config.teams import Team, find_series, load_teams
from coordination.domain.calendar import local_date
from coordination.domain.team_meetings import MeetingSeries
from coordination.domain.vocabulary import HandlingTime
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import FormStaffDep, StaffDep, transaction
from coordination.entrypoints.web.render import see_other
from coordination.errors import NotFound
from coordination.parsing import parse_enum, parse_optional_date
from coordination.persistence.models import Meeting
from coordination.usecases import team_meeting_room

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
    meeting = team_meeting_room.get_meeting(session, meeting_id)
    team, series = find_series(load_teams(), meeting.team_id, meeting.series_id)
    return team.room(series), series, meeting


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


@router.get("/{series_id}")
def series_page(series_id: str, staff: StaffDep) -> RedirectResponse:
    team, series = _series_of(series_id)
    with transaction() as session:
        meeting = team_meeting_room.current_meeting(session, staff.actor, team, series, now=staff.now)
        return see_other(f"/meetings/m/{meeting.id}")


@router.get("/m/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, meeting_id: int, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction() as session:
        team, series, meeting = _of_meeting(session, meeting_id)
        view = team_meeting_room.meeting_view(session, staff.actor, team, series, meeting, now=staff.now)
        return render.page(request, "meeting.html", staff.texts, staff, view=view, saved=saved,
                           handling_times=[str(h) for h in HandlingTime], today=local_date(staff.now).isoformat())


@router.post("/m/{meeting_id}/take-over")
def take_over(meeting_id: int, staff: FormStaffDep) -> RedirectResponse:
    return _decide(staff, meeting_id, "leader", "main", lambda session, team: team_meeting_room.take_over(
        session, staff.actor, team, meeting_id, now=staff.now))


@router.post("/m/{meeting_id}/attendance")
async def attendance(request: Request, meeting_id: int, staff: FormStaffDep) -> RedirectResponse:
    form = await request.form()
    marks = {key[len("attendance-"):]: str(value) for key, value in form.items()
             if key.startswith("attendance-") and value}
    with transaction() as session:
        team, _, _ = _of_meeting(session, meeting_id)
        team_meeting_room.record_attendance(session, staff.actor, team, meeting_id, marks, now=staff.now)
    return see_other(f"/meetings/m/{meeting_id}?saved=attendance#attendance")


def _decide(staff, meeting_id: int, saved: str, anchor: str, work) -> RedirectResponse:
    """One act of the meeting: `work(session, team)` runs its use case in one unit of work (what
    it queued is delivered at once, by `transaction`); then back to the meeting."""
    with transaction() as session:
        team, _, _ = _of_meeting(session, meeting_id)
        work(session, team)
    return see_other(f"/meetings/m/{meeting_id}?saved={saved}#{anchor}")


@router.post("/m/{meeting_id}/actions")
def decide_action(meeting_id: int, staff: FormStaffDep, case: Annotated[str, Form()] = "",
                  responsible: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
                  handling_time: Annotated[str, Form()] = "", follow_up: Annotated[str, Form()] = "") -> RedirectResponse:
    record = f"case {case}"
    return _decide(staff, meeting_id, "action", f"case-{case}", lambda session, team: team_meeting_room.decide_action(
        session, staff.actor, team, meeting_id, case_number=case, responsible=responsible, description=description,
        handling_time=parse_enum(HandlingTime, handling_time, record=record, field="handling_time"),
        follow_up_date=parse_optional_date(follow_up or None, record=record, field="follow_up_date"),
        now=staff.now)[1])


@router.post("/m/{meeting_id}/needs-sip")
def decide_needs_sip(meeting_id: int, staff: FormStaffDep, case: Annotated[str, Form()] = "",
                     coordinator: Annotated[str, Form()] = "") -> RedirectResponse:
    return _decide(staff, meeting_id, "needs_sip", f"case-{case}", lambda session, team: team_meeting_room.decide_needs_sip(
        session, staff.actor, team, meeting_id, case_number=case, coordinator=coordinator, now=staff.now))


@router.post("/m/{meeting_id}/discharge")
def note_discharge(meeting_id: int, staff: FormStaffDep, case: Annotated[str, Form()] = "",
                   text: Annotated[str, Form()] = "") -> RedirectResponse:
    return _decide(staff, meeting_id, "discharge", f"case-{case}", lambda session, team: team_meeting_room.note_discharge(
        session, staff.actor, team, meeting_id, case_number=case, text=text, now=staff.now))


@router.post("/m/{meeting_id}/note")
def note_decision(meeting_id: int, staff: FormStaffDep, text: Annotated[str, Form()] = "") -> RedirectResponse:
    return _decide(staff, meeting_id, "note", "decisions", lambda session, team: team_meeting_room.note_decision(
        session, staff.actor, team, meeting_id, text=text, now=staff.now))


@router.post("/m/{meeting_id}/summary")
def summary(meeting_id: int, staff: FormStaffDep, text: Annotated[str, Form()] = "",
            close: Annotated[str, Form()] = "") -> RedirectResponse:
    """Save the summary; with `close`, also close the meeting and send the minutes."""
    with transaction() as session:
        team, _, _ = _of_meeting(session, meeting_id)
        team_meeting_room.save_summary(session, staff.actor, team, meeting_id, text, now=staff.now)
        if close:
            version, _ = team_meeting_room.close_meeting(session, staff.actor, team, meeting_id, now=staff.now)
    if close:
        return see_other(f"/meetings/m/{meeting_id}/minutes?version={version}&saved=closed")
    return see_other(f"/meetings/m/{meeting_id}?saved=summary#summary")


@router.post("/m/{meeting_id}/reopen")
def reopen(meeting_id: int, staff: FormStaffDep) -> RedirectResponse:
    return _decide(staff, meeting_id, "reopened", "main", lambda session, team: team_meeting_room.reopen_meeting(
        session, staff.actor, team, meeting_id, now=staff.now))


@router.get("/m/{meeting_id}/minutes", response_class=HTMLResponse)
def minutes_page(request: Request, meeting_id: int, staff: StaffDep, version: int | None = None,
                 saved: str = "") -> HTMLResponse:
    with transaction() as session:
        team, _, _ = _of_meeting(session, meeting_id)
        view = team_meeting_room.minutes(session, staff.actor, team, meeting_id, version=version, now=staff.now)
        return render.page(request, "minutes.html", staff.texts, staff, view=view, saved=saved)

