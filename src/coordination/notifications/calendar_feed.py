"""iCalendar feeds for meeting series: one VEVENT with an RRULE, EXDATE for meetings skipped
or moved for a holiday, a separate instance (RECURRENCE-ID) for each moved meeting, and a
VTIMEZONE for Europe/Stockholm so that Outlook and Google Calendar keep 13:00 at 13:00."""

from __future__ import annotations

import datetime as dt

import icalendar
import pendulum

from coordination.domain.team_meetings import WEEKDAYS, MeetingSeries, occurrences, regular_dates

PRODID = "-//coordination//meeting series//EN"


def invitation(series: MeetingSeries, occurrence, *, team_name: str, stamp: dt.datetime, t) -> str:
    """One meeting as an .ics attachment of its invitation, in the member's language."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{series.id}-{occurrence.regular.isoformat()}@coordination")
    event.add("dtstamp", stamp)
    event.add("summary", _title(series, team_name, t))
    event.add("description", t.gettext("Join digitally: %(link)s", link=series.link))
    event.add("location", series.link)
    event.add("dtstart", _local(series, occurrence.date))
    event.add("duration", dt.timedelta(minutes=series.duration_minutes))
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()


def _local(series: MeetingSeries, day: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo
    return dt.datetime.combine(day, series.start, tzinfo=ZoneInfo(series.timezone))


def _title(series: MeetingSeries, team_name: str, t) -> str:
    if series.kind == "leadership":
        return t.gettext("Leadership group: %(team)s", team=team_name)
    return t.gettext("Coordination meeting: %(team)s", team=team_name)


def series_calendar(series: MeetingSeries, *, team_name: str, first: dt.date, last: dt.date,
                    stamp: dt.datetime, t=None) -> bytes:
    """The series as staff import it into their calendars; in Swedish unless `t` says otherwise."""
    from coordination.i18n import Texts

    t = t or Texts(None)
    title = _title(series, team_name, t)
    regular = regular_dates(series, first, last)
    if not regular:
        raise ValueError("no meetings in the period")
    held = occurrences(series, first, last)
    uid = f"{series.id}@coordination"
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", title)
    event.add("description", t.gettext("Join digitally: %(link)s", link=series.link))
    event.add("location", series.link)
    event.add("dtstart", _local(series, regular[0]))
    event.add("duration", dt.timedelta(minutes=series.duration_minutes))
    until = pendulum.instance(_local(series, regular[-1])).in_timezone("UTC")
    event.add("rrule", {"freq": "weekly", "interval": series.interval_weeks,
                        "byday": WEEKDAYS[series.weekday][:2].upper(), "until": until})
    for day in sorted(set(regular) - {o.regular for o in held}):  # skipped for a holiday
        event.add("exdate", _local(series, day))
    cal.add_component(event)
    for occ in held:
        if occ.moved:  # the same meeting on another day: an override of that instance
            moved = icalendar.Event()
            moved.add("uid", uid)
            moved.add("recurrence-id", _local(series, occ.regular))
            moved.add("dtstamp", stamp)
            moved.add("summary", f"{title} " + t.gettext("(moved from %(date)s for a holiday)",
                                                          date=t.iso_date(occ.regular)))
            moved.add("description", t.gettext("Join digitally: %(link)s", link=series.link))
            moved.add("location", series.link)
            moved.add("dtstart", _local(series, occ.date))
            moved.add("duration", dt.timedelta(minutes=series.duration_minutes))
            cal.add_component(moved)
    cal.add_missing_timezones()
    return cal.to_ical()
