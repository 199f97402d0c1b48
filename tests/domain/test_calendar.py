import datetime as dt

import pendulum
import pytest

from coordination.domain.calendar import (
    add_working_days, due_date, is_working_day, local_date, next_working_day, working_days_between,
)
from coordination.domain.vocabulary import HandlingTime

D = dt.date


@pytest.mark.parametrize("day", [
    D(2026, 6, 19),  # midsummer eve
    D(2026, 12, 24), D(2026, 12, 25), D(2026, 12, 26),  # Christmas eve, Christmas, Boxing day
    D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 6),  # New Year's eve and day, Epiphany
    D(2026, 4, 3), D(2026, 4, 6),  # Good Friday, Easter Monday
    D(2026, 5, 1), D(2026, 5, 14), D(2026, 6, 6),  # May Day, Ascension, National Day
    D(2026, 11, 28), D(2026, 11, 29),  # a weekend
    D(2027, 6, 25),  # midsummer eve moves with the calendar
])
def test_days_off(day):
    assert not is_working_day(day)


def test_ordinary_weekdays_are_working_days():
    assert all(is_working_day(D(2026, 11, d)) for d in (23, 24, 25, 26, 27))


def test_next_working_day_skips_weekend_and_eves():
    assert next_working_day(D(2026, 11, 27)) == D(2026, 11, 30)  # Friday -> Monday
    assert next_working_day(D(2026, 6, 18)) == D(2026, 6, 22)  # Thursday before midsummer eve
    assert next_working_day(D(2026, 12, 23)) == D(2026, 12, 28)  # over Christmas
    assert next_working_day(D(2026, 12, 30)) == D(2027, 1, 4)  # over New Year's eve and day
    assert next_working_day(D(2026, 4, 2)) == D(2026, 4, 7)  # over Easter


def test_working_day_arithmetic_both_ways():
    assert add_working_days(D(2026, 12, 22), 3) == D(2026, 12, 29)
    assert add_working_days(D(2026, 12, 29), -3) == D(2026, 12, 22)
    assert working_days_between(D(2026, 12, 22), D(2026, 12, 29)) == 3
    assert working_days_between(D(2026, 12, 29), D(2026, 12, 22)) == -3


def stockholm(*args):
    return pendulum.datetime(*args, tz="Europe/Stockholm")


def test_handling_time_gives_the_due_date():
    friday = stockholm(2026, 11, 27, 14, 0)
    assert due_date(HandlingTime.URGENT, friday) == D(2026, 11, 27)
    assert due_date(HandlingTime.NEXT_DAY, friday) == D(2026, 11, 28)
    assert due_date(HandlingTime.NEXT_WORKING_DAY, friday) == D(2026, 11, 30)
    assert due_date(HandlingTime.WHEN_NEEDED, friday) is None
    assert due_date(HandlingTime.NEXT_WORKING_DAY, stockholm(2026, 6, 18, 9)) == D(2026, 6, 22)


def test_the_day_is_the_stockholm_day_not_the_utc_day():
    late_utc = pendulum.datetime(2026, 11, 26, 23, 30, tz="UTC")  # already Friday in Stockholm
    assert local_date(late_utc) == D(2026, 11, 27)
    assert due_date(HandlingTime.NEXT_WORKING_DAY, late_utc) == D(2026, 11, 30)


def test_the_stockholm_day_across_summer_time_and_for_a_naive_moment():
    # 23:30 UTC the night summer time begins is 01:30 CET, and the night it ends 00:30 CET
    assert local_date(dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.timezone.utc)) == D(2026, 3, 29)
    assert local_date(dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.timezone.utc)) == D(2026, 10, 25)
    assert local_date(dt.datetime(2026, 6, 1, 21, 59, tzinfo=dt.timezone.utc)) == D(2026, 6, 1)  # 23:59 CEST
    assert local_date(dt.datetime(2026, 6, 1, 22, 0)) == D(2026, 6, 2)  # naive: taken as UTC, as before


def test_unknown_handling_time_is_refused():
    with pytest.raises(ValueError):
        due_date("whenever", stockholm(2026, 11, 27, 9))
