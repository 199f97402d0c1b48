import dataclasses
import datetime as dt
from collections import Counter

import pendulum
import pytest

from coordination.domain.team_meetings import (
    AGENDA_TITLES, CONSENT_NEEDED, NEXT_WORKING_DAY, SKIP, AgendaFacts, CaseLine, MeetingSeries, RotationSlot,
    build_agenda, half_years_short_of, leader, meetings_per_half_year, occurrence_index, occurrences, skipped,
    target_of_run,
)

D = dt.date
SERIES = MeetingSeries(
    id="weekly", team="t", weekday=1, start=dt.time(13, 0), duration_minutes=60, interval_weeks=1,
    link="https://meet.example.org/x", holiday_policy=NEXT_WORKING_DAY, reminder_hours=2, preparation_hours=48,
    rotation=(RotationSlot("municipality", ("m1", "m2", "m3")), RotationSlot("health-centre", ("h1", "h2"))))


def on(weekday, policy=NEXT_WORKING_DAY, **kw):
    return dataclasses.replace(SERIES, weekday=weekday, holiday_policy=policy, **kw)


@pytest.mark.parametrize("first, last", [(D(2026, 3, 20), D(2026, 4, 10)), (D(2026, 10, 16), D(2026, 11, 6))])
def test_thirteen_oclock_stays_thirteen_oclock_across_daylight_saving(first, last):
    held = occurrences(on(0), first, last)  # Mondays around 2026-03-29 and 2026-10-25
    assert {(o.start.hour, o.start.minute) for o in held} == {(13, 0)}
    assert len({o.start.in_timezone("UTC").hour for o in held}) == 2  # UTC hour changes, local does not


@pytest.mark.parametrize("weekday, day, moved_to", [
    (3, D(2026, 12, 24), D(2026, 12, 28)),  # Thursday Christmas eve -> Monday (25, 26 off; 27 Sunday)
    (4, D(2026, 6, 19), D(2026, 6, 22)),  # midsummer eve (Friday) -> Monday
    (0, D(2026, 4, 6), D(2026, 4, 7)),  # Easter Monday -> Tuesday
    (4, D(2026, 12, 25), D(2026, 12, 28)),  # Christmas day (Friday) -> Monday
])
def test_holidays_under_both_policies(weekday, day, moved_to):
    window = (day - dt.timedelta(days=3), day + dt.timedelta(days=3))
    moved = [o for o in occurrences(on(weekday), *window) if o.regular == day]
    assert moved and moved[0].date == moved_to and moved[0].moved
    assert moved[0].start.hour == 13
    assert day not in [o.regular for o in occurrences(on(weekday, SKIP), *window)]
    assert skipped(on(weekday, SKIP), *window) == [day]


def test_every_other_week():
    held = occurrences(on(1, interval_weeks=2), D(2026, 1, 1), D(2026, 3, 1))
    gaps = {(b.regular - a.regular).days for a, b in zip(held, held[1:])}
    assert gaps == {14}


def test_leader_alternates_organisations_and_is_fair_over_52_weeks():
    leaders = [leader(SERIES, i, ["m1", "m2", "m3", "h1", "h2"]) for i in range(52)]
    assert all(leaders[i][0] != leaders[i + 1][0] for i in range(51))  # municipality, health centre, ...
    counts = Counter(leaders)
    municipality = [counts[m] for m in ("m1", "m2", "m3")]
    health_centre = [counts[h] for h in ("h1", "h2")]
    assert max(municipality) - min(municipality) <= 1 and max(health_centre) - min(health_centre) <= 1
    assert sum(municipality) == sum(health_centre) == 26


def test_inactive_members_are_skipped_and_a_slot_without_anyone_gives_way():
    leaders = [leader(SERIES, i, ["m1", "m3", "h1", "h2"]) for i in range(20)]
    assert "m2" not in leaders and {"m1", "m3"} <= set(leaders)
    assert {leader(SERIES, i, ["h1"]) for i in range(6)} == {"h1"}
    assert leader(SERIES, 0, []) is None


def test_a_run_targets_the_next_meeting_as_held_within_its_lead():
    sunday = pendulum.datetime(2026, 12, 20, 13, tz="Europe/Stockholm")  # 48 h before Tuesday 22nd
    target = target_of_run(on(1), sunday, dt.timedelta(hours=48))
    assert target.regular == D(2026, 12, 22) and target.occurrence.date == D(2026, 12, 22)
    # Thursday 24 December is held on Monday 28th: its run fires 48 h before the 28th, not the 24th
    assert target_of_run(on(3), pendulum.datetime(2026, 12, 22, 13, tz="Europe/Stockholm"),
                         dt.timedelta(hours=48)) is None
    christmas = target_of_run(on(3), pendulum.datetime(2026, 12, 26, 13, tz="Europe/Stockholm"),
                              dt.timedelta(hours=48))
    assert christmas.regular == D(2026, 12, 24) and christmas.occurrence.date == D(2026, 12, 28)
    skipped_run = target_of_run(on(3, SKIP), pendulum.datetime(2026, 12, 22, 13, tz="Europe/Stockholm"),
                                dt.timedelta(hours=48))
    assert skipped_run.occurrence is None
    assert target_of_run(on(1), pendulum.datetime(2026, 12, 16, 9, tz="Europe/Stockholm"),
                         dt.timedelta(hours=48)) is None  # off-cadence run


@pytest.mark.parametrize("policy", [NEXT_WORKING_DAY, SKIP])
@pytest.mark.parametrize("weekday", [0, 1, 2, 3, 4])
def test_the_leader_alternates_between_organisations_from_one_held_meeting_to_the_next(weekday, policy):
    """Three years of meetings on each weekday, with the moves and skips of Christmas, New Year,
    Epiphany, Easter, Ascension, National Day and Midsummer: the organisation leading alternates
    at every meeting held, and nobody leads two meetings in a row."""
    series = on(weekday, policy)
    active = ["m1", "m2", "m3", "h1", "h2"]
    held = occurrences(series, D(2027, 1, 1), D(2029, 12, 31))
    leaders = [leader(series, occurrence_index(series, o), active) for o in held]
    assert all(a[0] != b[0] for a, b in zip(leaders, leaders[1:])), [
        (o.date, x) for o, x, y in zip(held, leaders, leaders[1:]) if x[0] == y[0]]
    moved = [o for o in held if o.moved]
    if policy == NEXT_WORKING_DAY:
        assert moved  # every weekday meets a holiday in three years
    assert {o.regular for o in held} | set(skipped(series, D(2027, 1, 1), D(2029, 12, 31))) >= {
        o.regular for o in occurrences(on(weekday, NEXT_WORKING_DAY), D(2027, 1, 1), D(2029, 12, 31))}


def test_the_christmas_move_gives_no_one_two_turns_in_a_row():
    """Thursday series, next working day: 24 Dec is held Mon 28 Dec, 31 Dec on Mon 4 Jan; the
    leader of 4 Jan does not lead again on Thursday 7 Jan (the defect found by the tests)."""
    series = on(3)
    held = {o.date: o for o in occurrences(series, D(2026, 12, 1), D(2027, 1, 31))}
    assert D(2026, 12, 28) in held and D(2027, 1, 4) in held and D(2027, 1, 7) in held
    lead = {d: leader(series, occurrence_index(series, o), ["m1", "m2", "m3", "h1", "h2"]) for d, o in held.items()}
    assert lead[D(2027, 1, 4)] != lead[D(2027, 1, 7)]
    assert lead[D(2027, 1, 4)][0] != lead[D(2027, 1, 7)][0]
    assert lead[D(2026, 12, 28)][0] != lead[D(2027, 1, 4)][0]


def test_agenda_order_content_and_consent_marker():
    facts = AgendaFacts(
        open_cases={"active": 2, "identified": 1}, overdue_actions=3,
        discharge=[CaseLine("K-2026-0001", True, ("discharge_coordination",))],
        at_risk=[CaseLine("K-2026-0002", True, ("senior_alert_risk",)), CaseLine("K-2026-0003", False, ("palliative",))],
        ongoing=[CaseLine("K-2026-0004", True, ("readmitted",), ("action 7 due 2026-12-01",))],
        need_sip=[CaseLine("K-2026-0005", True, ("frequent_visitor",))])
    agenda = build_agenda(facts, details=True)
    assert [i.title for i in agenda] == list(AGENDA_TITLES)
    assert "Open cases: 2 active, 1 identified" in agenda[0].lines[0] and "Overdue actions: 3" in agenda[0].lines[1]
    assert agenda[1].lines == ["K-2026-0001 — discharge coordination"]
    assert agenda[2].lines[0].startswith("K-2026-0002 — senior alert risk — action: ____ responsible: ____")
    assert agenda[2].lines[1] == f"K-2026-0003 — {CONSENT_NEEDED}"  # no details at all
    assert agenda[3].lines == ["K-2026-0004 — action 7 due 2026-12-01"]
    assert "calls the SIP meeting" in agenda[4].lines[0]
    public = build_agenda(facts, details=False)
    assert "senior alert" not in str(public) and "palliative" not in str(public)


def test_leadership_group_cadence_and_half_years():
    assert meetings_per_half_year(12) >= 2 and meetings_per_half_year(13) < 2  # 13 weeks can leave one
    held = [D(2026, 2, 1), D(2026, 5, 1), D(2026, 9, 1)]
    assert half_years_short_of(held, minimum=2, first=D(2026, 1, 1), last=D(2026, 12, 31)) == ["2026 H2"]
