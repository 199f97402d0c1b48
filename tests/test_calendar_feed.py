"""The iCalendar feed, read by an independent library, yields exactly the meetings that the
Prefect schedule yields over a year, after the holiday policy."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import icalendar
import pendulum
import pytest
import recurring_ical_events
from prefect.server.schemas.schedules import RRuleSchedule

from coordination.notifications.calendar_feed import series_calendar
from coordination.domain.calendar import add_working_days, is_working_day
from coordination.domain.team_meetings import NEXT_WORKING_DAY, SKIP, occurrences, regular_dates
from coordination.config.teams import load_teams
from coordination.flows.deployments import meeting_schedule
from tests.conftest import ROOT

FIRST, LAST = dt.date(2026, 12, 1), dt.date(2027, 11, 30)
STAMP = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)


def prefect_dates(series, lead_hours=0):
    """The run times Prefect's own scheduler computes for the deployment's schedule."""
    schedule = meeting_schedule(series, lead_hours, today=FIRST - dt.timedelta(days=30))
    start = pendulum.datetime(FIRST.year, FIRST.month, FIRST.day, tz=series.timezone)
    end = pendulum.datetime(LAST.year, LAST.month, LAST.day, 23, 59, tz=series.timezone)
    server = RRuleSchedule(rrule=schedule.rrule, timezone=schedule.timezone)
    dates = asyncio.run(server.get_dates(n=1000, start=start, end=end))
    # Prefect's dates are its own deprecated pendulum shim: carry on with the library's own type
    return [pendulum.instance(dt.datetime.fromtimestamp(d.timestamp(), dt.timezone.utc)).in_timezone(series.timezone)
            for d in dates]


def with_policy(series, dates):
    out = []
    for d in dates:
        day = d.date()
        if not is_working_day(day):
            if series.holiday_policy == SKIP:
                continue
            day = add_working_days(day, 1)
        out.append(dt.datetime.combine(day, series.start))
    return out


@pytest.mark.parametrize("weekday, policy, interval", [
    (1, NEXT_WORKING_DAY, 1), (3, SKIP, 1), (3, NEXT_WORKING_DAY, 1), (4, NEXT_WORKING_DAY, 2), (0, SKIP, 2),
    (4, SKIP, 1), (0, NEXT_WORKING_DAY, 1), (2, NEXT_WORKING_DAY, 2)])
def test_the_feed_the_domain_and_prefects_runs_agree_over_a_year(weekday, policy, interval):
    """For every holiday policy: the meetings the iCal feed yields (read by an independent
    library) are the domain's held meetings, and Prefect's own run times for the preparation and
    reminder deployments, plus their lead times, are those meetings again: moved ones included."""
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = dataclasses.replace(team.meetings[0], weekday=weekday, holiday_policy=policy, interval_weeks=interval)
    feed = icalendar.Calendar.from_ical(series_calendar(series, team_name=team.name, first=FIRST, last=LAST,
                                                        stamp=STAMP))
    events = recurring_ical_events.of(feed).between(FIRST, LAST + dt.timedelta(days=5))
    from_feed = sorted(e["DTSTART"].dt.replace(tzinfo=None) for e in events)
    domain = [o.start.naive() for o in occurrences(series, FIRST, LAST)]
    assert from_feed == domain == with_policy(series, regular(series))
    assert all(e["DTSTART"].dt.hour == 13 for e in events)  # across both DST changes
    assert len(from_feed) > 20
    for lead in (series.preparation_hours, series.reminder_hours):
        runs = [d.naive() + dt.timedelta(hours=lead) for d in prefect_dates(series, lead)]  # wall-clock hours
        assert [r for r in runs if r.date() <= LAST] == [d for d in domain if d - dt.timedelta(hours=lead)
                                                         >= dt.datetime.combine(FIRST, dt.time())]


def regular(series):
    """The cadence alone, before any holiday: every interval_weeks on the weekday."""
    return [pendulum.datetime(d.year, d.month, d.day, tz=series.timezone) for d in regular_dates(series, FIRST, LAST)]


def test_feed_has_a_vtimezone_rrule_and_holiday_exceptions():
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = dataclasses.replace(team.meetings[0], weekday=3, holiday_policy=SKIP)
    text = series_calendar(series, team_name=team.name, first=FIRST, last=LAST, stamp=STAMP).decode()
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Stockholm" in text
    assert "RRULE:FREQ=WEEKLY;UNTIL=" in text and "BYDAY=TH" in text
    assert "EXDATE;TZID=Europe/Stockholm:20261224T130000" in text
    assert "SUMMARY:Samordningsmöte: Samordningsteam Norrby" in text  # staff read it in Swedish


def test_the_leadership_group_has_its_own_feed():
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = team.leadership_group.series
    text = series_calendar(series, team_name=team.name, first=FIRST, last=LAST, stamp=STAMP).decode()
    assert "SUMMARY:Lokal ledningsgrupp: Samordningsteam Norrby" in text and "INTERVAL=12" in text


def test_preparation_runs_are_the_lead_time_before_each_meeting():
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = team.meetings[0]
    meetings = prefect_dates(series)
    prepare = prefect_dates(series, series.preparation_hours)
    pairs = list(zip(prepare, [m for m in meetings if m > prepare[0]]))
    assert all((m - p).in_hours() == 48 or (m - p).in_hours() in (47, 49) for p, m in pairs)  # DST weeks
    assert all((p.hour, p.minute) == (13, 0) for p in prepare)
