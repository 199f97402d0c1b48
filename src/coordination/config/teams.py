"""Teams and meeting series from `deployments/teams.yaml`, validated before anything is deployed.

Every error names the file, the field (as a path such as `teams[0].meetings[1].weekday`) and
the reason."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from coordination.config.notifications import DEPLOYMENTS
from coordination.domain.team_meetings import (
    EPOCH, NEXT_WORKING_DAY, SKIP, WEEKDAYS, MeetingSeries, RotationSlot, meetings_per_half_year,
)
from coordination.domain.vocabulary import Role
from coordination.config.files import once_per_version
from coordination.errors import InvalidInput
from coordination.parsing import TextDatesLoader

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
TEAM_KEYS = ("id", "name", "organisations", "members", "meetings", "leadership_group")
SERIES_KEYS = ("id", "weekday", "start", "duration_minutes", "interval_weeks", "anchor_date", "timezone", "link",
               "rotation", "preparation_hours", "reminder_hours", "holiday_policy")
LEADERSHIP_KEYS = SERIES_KEYS + ("members", "action_plan")
MIN_LEADERSHIP_MEETINGS = 2  # per half-year (Västmanland agreement)


@dataclass(frozen=True)
class TeamMember:
    code: str
    role: Role
    organisation: str


MEASURES = ("sips_created", "sips_revised", "follow_ups", "follow_ups_on_time_percent", "person_agrees_percent",
            "deviations", "deviations_reported", "deviations_closed", "escalations", "escalations_answered",
            "median_days_identification_to_sip", "cases_opened", "cases_closed", "cases_open_at_year_end",
            "leadership_meetings_held")


@dataclass(frozen=True)
class PlanIndicator:
    """A measurable indicator of the local action plan: one of the area's measures, with a target."""

    name: str
    measure: str
    at_least: float | None = None
    at_most: float | None = None

    def met(self, value) -> bool | None:
        if value is None:
            return None
        return (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)


@dataclass(frozen=True)
class LeadershipGroup:
    """The local leadership group for collaboration: a meeting series of its own (the rotation
    appoints the chair), its members, and the action plan's indicators."""

    series: MeetingSeries
    members: tuple[TeamMember, ...]
    action_plan: tuple[PlanIndicator, ...] = ()

    @property
    def interval_weeks(self) -> int:
        return self.series.interval_weeks


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    organisations: tuple[str, ...]
    members: tuple[TeamMember, ...]
    meetings: tuple[MeetingSeries, ...]
    leadership_group: LeadershipGroup | None

    def all_series(self) -> tuple[MeetingSeries, ...]:
        return self.meetings + ((self.leadership_group.series,) if self.leadership_group else ())

    def leads(self, series_id: str) -> bool:
        """Whether the series is the team's local leadership group's (not one of its own meetings)."""
        return self.leadership_group is not None and self.leadership_group.series.id == series_id

    def room(self, series: MeetingSeries) -> "Team":
        """Who meets in a series: the team, or for the leadership group its own members."""
        if series.kind != "leadership":
            return self
        group = self.leadership_group
        return Team(self.id, self.name, self.organisations, group.members, (), group)


def teams_path() -> Path:
    return Path(os.environ.get("COORDINATION_TEAMS_CONFIG") or DEPLOYMENTS / "teams.yaml")


class _Reader:
    def __init__(self, name: str):
        self.name = name

    def fail(self, field: str, message: str, hint: str):
        raise InvalidInput(message, record=self.name, field=field, hint=hint)

    def only(self, data, where: str, allowed: tuple[str, ...]) -> None:
        """A misspelt key must not pass silently (`interval_week: 2` would give a weekly series)."""
        if not isinstance(data, dict):
            self.fail(where, "must be a mapping", "give key: value pairs")
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                self.fail(f"{where}.{key}", "is not a known setting",
                          f"did you mean '{close[0]}'?" if close else f"settings here are: {', '.join(allowed)}")

    def get(self, data, key: str, where: str, kind, *, default=..., hint: str = ""):
        if not isinstance(data, dict):
            self.fail(where, "must be a mapping", "give key: value pairs")
        if key not in data:
            if default is ...:
                self.fail(f"{where}.{key}", "is missing", hint or f"add {key}:")
            return default
        value = data[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            self.fail(f"{where}.{key}", f"{value!r} has the wrong type", hint or f"expected {getattr(kind, '__name__', kind)}")
        return value


def load_teams(path: Path | None = None) -> list[Team]:
    return list(_load_teams(path or teams_path()))  # a list of its own: the caller may change it


@once_per_version
def _load_teams(path: Path) -> list[Team]:
    r = _Reader(str(path))
    try:
        # dates stay text, so a bad one is reported with its field
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=TextDatesLoader) or {}
    except OSError as exc:
        r.fail("file", f"cannot be read ({exc.strerror})", "run the command in the folder that holds "
                   "deployments/, or set COORDINATION_TEAMS_CONFIG to the file")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        r.fail("file", f"is not valid YAML{at}: {getattr(exc, 'problem', None) or str(exc).splitlines()[0]}",
               "fix the syntax there (indentation, a missing colon or quote)")
    r.only(data, "file", ("teams",))
    rows = r.get(data, "teams", "file", list)
    teams, team_ids, series_ids = [], set(), set()
    for i, row in enumerate(rows):
        where = f"teams[{i}]"
        r.only(row, where, TEAM_KEYS)
        team_id = r.get(row, "id", where, str)
        if team_id in team_ids:
            r.fail(f"{where}.id", f"duplicate team id '{team_id}'", "give every team its own id")
        team_ids.add(team_id)
        orgs = tuple(r.get(row, "organisations", where, list))
        members = _members(r, r.get(row, "members", where, list), f"{where}.members", team_id, orgs)
        codes = {m.code for m in members}
        series = []
        for j, s in enumerate(r.get(row, "meetings", where, list, default=[])):
            sw = f"{where}.meetings[{j}]"
            sid = r.get(s, "id", sw, str)
            if sid in series_ids:
                r.fail(f"{sw}.id", f"duplicate meeting series id '{sid}'", "give every series its own id")
            series_ids.add(sid)
            series.append(_series(r, s, sw, team_id, orgs, members, codes))
        group = None
        if (lg := row.get("leadership_group")) is not None:
            group = _leadership_group(r, lg, f"{where}.leadership_group", team_id, orgs, series_ids)
        teams.append(Team(team_id, r.get(row, "name", where, str), orgs, tuple(members), tuple(series), group))
    return teams


def _members(r: _Reader, rows, where: str, team_id: str, orgs) -> list[TeamMember]:
    members: list[TeamMember] = []
    for j, m in enumerate(rows):
        mw = f"{where}[{j}]"
        r.only(m, mw, ("code", "role", "organisation"))
        code = r.get(m, "code", mw, str)
        if code in {seen.code for seen in members}:
            r.fail(f"{mw}.code", f"member '{code}' is listed twice in team '{team_id}'", "list every member once")
        org = r.get(m, "organisation", mw, str, default=None)
        if org is None or org not in orgs:
            r.fail(f"{mw}.organisation", f"member '{code}' is in no organisation of the team",
                   f"give one of: {', '.join(orgs)}")
        role = r.get(m, "role", mw, str)
        if role not in set(Role):
            r.fail(f"{mw}.role", f"'{role}' is not a known role", f"use one of: {', '.join(Role)}")
        members.append(TeamMember(code, Role(role), org))
    return members


def _leadership_group(r: _Reader, lg, lw: str, team_id: str, orgs, series_ids: set) -> LeadershipGroup:
    """A series like the others (its rotation appoints the chair), with its own members and the
    local action plan's indicators; it meets at least twice per half-year."""
    r.only(lg, lw, LEADERSHIP_KEYS)
    members = _members(r, r.get(lg, "members", lw, list), f"{lw}.members", team_id, orgs)
    weeks = r.get(lg, "interval_weeks", lw, int)
    if weeks < 1 or meetings_per_half_year(weeks) < MIN_LEADERSHIP_MEETINGS:
        r.fail(f"{lw}.interval_weeks", f"every {weeks} weeks meets fewer than twice per half-year",
               "the local leadership group meets at least twice per half-year: every 12 weeks at most")
    sid = r.get(lg, "id", lw, str)
    if sid in series_ids:
        r.fail(f"{lw}.id", f"duplicate meeting series id '{sid}'", "give every series its own id")
    series_ids.add(sid)
    series = _series(r, {k: v for k, v in lg.items() if k not in ("members", "action_plan")}, lw, team_id, orgs,
                     members, {m.code for m in members}, kind="leadership", max_weeks=26)
    plan = []
    for k, item in enumerate(r.get(lg, "action_plan", lw, list, default=[])):
        iw = f"{lw}.action_plan[{k}]"
        r.only(item, iw, ("name", "measure", "at_least", "at_most"))
        measure = r.get(item, "measure", iw, str)
        if measure not in MEASURES:
            r.fail(f"{iw}.measure", f"'{measure}' is not a measure", f"use one of: {', '.join(MEASURES)}")
        bounds = {key: item.get(key) for key in ("at_least", "at_most")}
        for key, value in bounds.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                r.fail(f"{iw}.{key}", f"{value!r} is not a number", "give the target as a number")
        if bounds["at_least"] is None and bounds["at_most"] is None:
            r.fail(iw, "has no target", "give at_least or at_most")
        plan.append(PlanIndicator(r.get(item, "name", iw, str), measure, **bounds))
    return LeadershipGroup(series, tuple(members), tuple(plan))


def _series(r: _Reader, s, sw: str, team_id: str, orgs, members, codes, *, kind: str = "coordination",
            max_weeks: int = 8) -> MeetingSeries:
    if kind == "coordination":
        r.only(s, sw, SERIES_KEYS)
    weekday = str(r.get(s, "weekday", sw, str)).lower()
    if weekday not in WEEKDAYS:
        r.fail(f"{sw}.weekday", f"'{weekday}' is not a weekday", f"use one of: {', '.join(WEEKDAYS)}")
    start_text = str(r.get(s, "start", sw, str, hint='write the time as "HH:MM" in quotes'))
    m = _TIME.match(start_text)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        r.fail(f"{sw}.start", f"'{start_text}' is not a time of day", 'write "HH:MM" from "00:00" to "23:59"')
    tz = r.get(s, "timezone", sw, str, default="Europe/Stockholm")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail(f"{sw}.timezone", f"'{tz}' is not a timezone", "use an IANA name such as Europe/Stockholm")
    duration = r.get(s, "duration_minutes", sw, int)
    if not 5 <= duration <= 480:
        r.fail(f"{sw}.duration_minutes", f"{duration} is out of range", "give 5 to 480 minutes")
    interval = r.get(s, "interval_weeks", sw, int, default=1)
    if not 1 <= interval <= max_weeks:
        r.fail(f"{sw}.interval_weeks", f"{interval} is out of range", f"give 1 (weekly) to {max_weeks} weeks")
    link = r.get(s, "link", sw, str)
    if not link.startswith(("https://", "http://")):
        r.fail(f"{sw}.link", "is not a web address", "give the digital meeting's https:// link")
    slots = []
    for k, slot in enumerate(r.get(s, "rotation", sw, list)):
        kw = f"{sw}.rotation[{k}]"
        r.only(slot, kw, ("organisation", "eligible"))
        org = r.get(slot, "organisation", kw, str)
        if org not in orgs:
            r.fail(f"{kw}.organisation", f"'{org}' is not an organisation of the team", f"use one of: {', '.join(orgs)}")
        eligible = tuple(r.get(slot, "eligible", kw, list, default=[]))
        of_org = {m.code for m in members if m.organisation == org}
        if not eligible or not set(eligible) <= of_org:
            r.fail(f"{kw}.eligible", f"the rotation names '{org}' with no eligible members of it",
                   f"list team members of {org}: {', '.join(sorted(of_org)) or '(none in the team)'}")
        slots.append(RotationSlot(org, eligible))
    if not slots:
        r.fail(f"{sw}.rotation", "is empty", "list the organisations that take turns to lead")
    leads = {}
    for key in ("reminder_hours", "preparation_hours"):
        value = r.get(s, key, sw, int)
        if not 0 <= value <= 14 * 24:
            r.fail(f"{sw}.{key}", f"{value} is out of range", "give 0 to 336 hours")
        leads[key] = value
    policy = r.get(s, "holiday_policy", sw, str, default=NEXT_WORKING_DAY)
    if policy not in (SKIP, NEXT_WORKING_DAY):
        r.fail(f"{sw}.holiday_policy", f"'{policy}' is not a holiday policy", "use skip or next_working_day")
    anchor = EPOCH
    if (text := s.get("anchor_date")) is not None:
        try:
            anchor = dt.date.fromisoformat(str(text))
        except ValueError:
            r.fail(f"{sw}.anchor_date", f"'{text}' is not a date", "write YYYY-MM-DD: a date in a week the series meets")
    return MeetingSeries(id=str(s["id"]), team=team_id, anchor=anchor, kind=kind, weekday=WEEKDAYS.index(weekday),
                         start=dt.time(int(m[1]), int(m[2])), duration_minutes=duration, interval_weeks=interval,
                         link=link, rotation=tuple(slots), holiday_policy=policy, timezone=tz,
                         participants=tuple(sorted(codes)), **leads)


def find_series(teams: list[Team], team_id: str, series_id: str) -> tuple[Team, MeetingSeries]:
    for team in teams:
        if team.id == team_id:
            for series in team.all_series():
                if series.id == series_id:
                    return team, series
            raise InvalidInput(f"team '{team_id}' has no meeting series '{series_id}'", record=str(teams_path()),
                               field="meetings", hint="check the series id")
    raise InvalidInput(f"unknown team '{team_id}'", record=str(teams_path()), field="teams",
                       hint="check the team id")


def leadership_warnings(teams: list[Team], held: dict[str, list[dt.date]], *, until: dt.date,
                        year: int | None = None) -> list[str]:
    """A warning per team and half-year (up to `until`) whose leadership group held fewer than
    two meetings. `held`: the days of the meetings held (closed with minutes), by series id."""
    from coordination.domain.team_meetings import half_years_short_of

    out = []
    for team in teams:
        group = team.leadership_group
        if group is None:
            continue
        first = dt.date(year, 1, 1) if year else dt.date(until.year, 1, 1)
        last = min(until, dt.date(year, 12, 31)) if year else until
        for half in half_years_short_of(held.get(group.series.id, []), minimum=MIN_LEADERSHIP_MEETINGS,
                                        first=first, last=last):
            out.append(f"team {team.id}: the leadership group met fewer than {MIN_LEADERSHIP_MEETINGS} times in {half}")
    return out


def check_team_members(teams: list[Team], registry: dict[str, str]) -> None:
    """Every team member is in the member registry (code -> organisation code), in the
    organisation the team file gives."""
    for i, team in enumerate(teams):
        listed = [(f"teams[{i}].members[{j}]", member) for j, member in enumerate(team.members)]
        if team.leadership_group:
            listed += [(f"teams[{i}].leadership_group.members[{j}]", member)
                       for j, member in enumerate(team.leadership_group.members)]
        for where, member in listed:
            if member.code not in registry:
                raise InvalidInput(f"member '{member.code}' is not in the member registry", record=str(teams_path()),
                                   field=f"{where}.code",
                                   hint="import the member first (coordination import), or correct the code")
            if registry[member.code] != member.organisation:
                raise InvalidInput(f"member '{member.code}' belongs to '{registry[member.code]}' in the registry",
                                   record=str(teams_path()), field=f"{where}.organisation",
                                   hint=f"write organisation: {registry[member.code]}")
