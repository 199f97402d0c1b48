"""Who is in a team, and the rows of its meetings: the registry's members of a team (or of its
leadership group), the refusal of anyone else, and the meeting row of one occurrence, made on
first use with its leader by the rotation. Below both the agenda (`meetings`) and the meeting as
held (`team_meeting_room`), which use them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from coordination.domain.vocabulary import MeetingStatus
from coordination.config.teams import Team, find_series, load_teams
from coordination.domain import team_meetings as m
from coordination.domain.access import Purpose
from coordination.errors import AccessDenied
from coordination.persistence.models import Meeting, Member
from coordination.usecases.common import Actor, referenced, row_by_id


def team_members(session: Session, team: Team) -> dict[str, Member]:
    """The team's members as the registry holds them (code -> member), in the file's order."""
    rows = {mm.code: mm for mm in session.exec(select(Member).where(col(Member.code).in_([t.code for t in team.members])))}
    return {t.code: rows[t.code] for t in team.members if t.code in rows}


def require_in_team(session: Session, actor: Actor, team: Team) -> dict[str, Member]:
    """Only the team's active members see its meetings; a refusal is audited like any other."""
    members = team_members(session, team)
    require_member_of(session, actor, team.name, {mm.id for mm in members.values()})
    return members


def require_member_of(session: Session, actor: Actor, team_name: str, member_ids: set[int]) -> None:
    if actor.member_id is None:
        return
    viewer = referenced(session, Member, actor.member_id)
    refusal = ("commission", f"{actor.label} is not active", "another team member opens the meeting") \
        if not viewer.active else ("care_relationship", f"{actor.label} is not a member of {team_name}",
                                   "an administrator adds the member to the team in deployments/teams.yaml") \
        if viewer.id not in member_ids else None
    if refusal:
        rule, reason, hint = refusal
        raise AccessDenied(reason, rule=rule, purpose=str(Purpose.MEETING), record=f"team {team_name}",
                           hint=hint, actor_label=actor.label, actor_id=actor.member_id, person_id=None)


def meeting_for(session: Session, team: Team, series: m.MeetingSeries, occ: m.Occurrence) -> Meeting:
    """The meeting row of one occurrence, made on first use with its leader by the rotation."""
    row = session.exec(select(Meeting).where(col(Meeting.series_id) == series.id,
                                             col(Meeting.regular_date) == occ.regular)).first()
    if row is not None:
        return row
    members = team_members(session, team)
    active = [code for code, mm in members.items() if mm.active]
    leader = m.leader(series, m.occurrence_index(series, occ), active)
    values = dict(team_id=team.id, series_id=series.id, regular_date=occ.regular, date=occ.date,
                  starts_at=occ.start.astimezone(dt.timezone.utc), leader_id=members[leader].id if leader else None,
                  status=MeetingStatus.PLANNED, summary="")
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # two members opening the page at once make one row
    session.execute(insert(Meeting).values(**values).on_conflict_do_nothing(
        index_elements=["series_id", "regular_date"]))
    return session.exec(select(Meeting).where(col(Meeting.series_id) == series.id,
                                              col(Meeting.regular_date) == occ.regular)).one()


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    return row_by_id(session, Meeting, meeting_id, name="meeting",
                     hint="open the meeting from the list of your team's meetings")


def room_of_meeting(session: Session, meeting_id: int) -> tuple[Team, m.MeetingSeries, Meeting]:
    """The meeting, its series and who meets in it (the team, or the leadership group's members)."""
    meeting = get_meeting(session, meeting_id)
    team, series = find_series(load_teams(), meeting.team_id, meeting.series_id)
    return team.room(series), series, meeting
