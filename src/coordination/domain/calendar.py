"""The Swedish working-day calendar in Europe/Stockholm, and handling time -> due date.

A working day is Monday to Friday that is neither a public holiday (from `holidays`) nor one
of the eves that workplaces treat as holidays: midsummer eve, Christmas eve and New Year's
eve. `holidays` lists those eves only in a separate category, so they are added here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

import holidays
import pendulum

from coordination.domain.vocabulary import HandlingTime

TIMEZONE = "Europe/Stockholm"
_ZONE = zoneinfo.ZoneInfo(TIMEZONE)


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[dt.date]:
    public = holidays.country_holidays("SE", years=year)
    days = {d for d in public}
    june19 = dt.date(year, 6, 19)
    days.add(june19 + dt.timedelta(days=(4 - june19.weekday()) % 7))  # midsommarafton: Friday 19-25 June
    days.add(dt.date(year, 12, 24))  # julafton
    days.add(dt.date(year, 12, 31))  # nyårsafton
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _days_off(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The date `count` working days after `day` (before, for a negative count)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def next_working_day(day: dt.date) -> dt.date:
    return add_working_days(day, 1)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative if end < start)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date of an aware moment in Stockholm (a naive one is taken as UTC)."""
    # the cached zone, not pendulum.instance(...).in_timezone(...): that took 75 µs a call, and a
    # page asks for today's date in every policy decision
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(_ZONE).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight in Stockholm that begins the day, as an aware moment (a period's bound)."""
    return pendulum.datetime(day.year, day.month, day.day, tz=TIMEZONE)


def now_utc() -> dt.datetime:
    return pendulum.now("UTC")


def due_date(handling_time: HandlingTime, requested_at: dt.datetime) -> dt.date | None:
    """When an action must be handled, from the SBAR form's desired handling time.

    urgent -> the same (Stockholm) day, whatever the weekday: acute needs get fast reactions;
    next day -> the following calendar day; next working day -> the next working day;
    when needed -> no due date (the follow-up date governs)."""
    today = local_date(requested_at)
    match HandlingTime(handling_time):
        case HandlingTime.URGENT:
            return today
        case HandlingTime.NEXT_DAY:
            return today + dt.timedelta(days=1)
        case HandlingTime.NEXT_WORKING_DAY:
            return next_working_day(today)
        case HandlingTime.WHEN_NEEDED:
            return None
