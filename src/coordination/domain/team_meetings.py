"""Coordination meetings (Västerbotten manual): a fixed weekday and time, a fixed agenda in the
manual's order, and a meeting leader that alternates between the municipality and the health
centre. Pure functions over value types; times are computed in Europe/Stockholm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pendulum

from coordination.domain.calendar import TIMEZONE, add_working_days, is_working_day
from coordination.errors import RuleViolation

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SKIP, NEXT_WORKING_DAY = "skip", "next_working_day"
EPOCH = dt.date(2026, 1, 5)  # the default anchor: a Monday, the first week of every-n-weeks series


@dataclass(frozen=True)
class RotationSlot:
    """One organisation of the leader rotation with the members eligible to lead for it."""

    organisation: str
    eligible: tuple[str, ...]


@dataclass(frozen=True)
class MeetingSeries:
    id: str
    team: str
    weekday: int  # 0 = Monday
    start: dt.time
    duration_minutes: int
    interval_weeks: int
    link: str
    rotation: tuple[RotationSlot, ...]
    reminder_hours: int
    preparation_hours: int
    holiday_policy: str  # skip | next_working_day
    timezone: str = TIMEZONE
    participants: tuple[str, ...] = ()
    # A date in a week the series meets: every-n-weeks series count their weeks from its Monday,
    # and the leader rotation counts the meetings held since then.
    anchor: dt.date = EPOCH
    kind: str = "coordination"  # coordination | leadership (the local leadership group)

    @property
    def anchor_monday(self) -> dt.date:
        return self.anchor - dt.timedelta(days=self.anchor.weekday())


@dataclass(frozen=True)
class Occurrence:
    regular: dt.date  # the date the cadence gives
    date: dt.date  # the date it is held (moved for a holiday), or None when skipped
    start: dt.datetime  # aware, in the series' timezone
    end: dt.datetime

    @property
    def moved(self) -> bool:
        return self.date != self.regular


def regular_dates(series: MeetingSeries, first: dt.date, last: dt.date) -> list[dt.date]:
    """The cadence's dates in [first, last]: the weekday, every `interval_weeks` weeks."""
    day = first + dt.timedelta(days=(series.weekday - first.weekday()) % 7)
    dates = []
    while day <= last:
        if ((day - series.anchor_monday).days // 7) % series.interval_weeks == 0:
            dates.append(day)
        day += dt.timedelta(days=7)
    return dates


def occurrences(series: MeetingSeries, first: dt.date, last: dt.date) -> list[Occurrence]:
    """Meetings held in [first, last] after the holiday policy: a meeting on a day off is
    skipped, or moved to the next working day."""
    held = []
    for regular in regular_dates(series, first, last):
        date = regular
        if not is_working_day(regular):
            if series.holiday_policy == SKIP:
                continue
            date = add_working_days(regular, 1)
        start = pendulum.datetime(date.year, date.month, date.day, series.start.hour, series.start.minute,
                                  tz=series.timezone)
        held.append(Occurrence(regular, date, start, start.add(minutes=series.duration_minutes)))
    return held


def skipped(series: MeetingSeries, first: dt.date, last: dt.date) -> list[dt.date]:
    held = {o.regular for o in occurrences(series, first, last)}
    return [d for d in regular_dates(series, first, last) if d not in held]


def next_occurrence(series: MeetingSeries, after: dt.datetime) -> Occurrence | None:
    """The first meeting that starts after `after`, within a year."""
    local = pendulum.instance(after).in_timezone(series.timezone)
    for occ in occurrences(series, local.date(), local.date() + dt.timedelta(days=366)):
        if occ.start > local:
            return occ
    return None


@dataclass(frozen=True)
class RunTarget:
    regular: dt.date
    occurrence: Occurrence | None  # None: skipped for a holiday


def run_time(series: MeetingSeries, day: dt.date, lead: dt.timedelta) -> dt.datetime:
    """When the run `lead` before a meeting on `day` fires: wall-clock hours in the series'
    timezone, so a 13:00 meeting is prepared at 13:00 two days before across daylight saving."""
    naive = dt.datetime.combine(day, series.start) - lead
    return pendulum.datetime(naive.year, naive.month, naive.day, naive.hour, naive.minute, tz=series.timezone)


def run_times(series: MeetingSeries, lead: dt.timedelta, first: dt.date, last: dt.date) -> list[dt.datetime]:
    """The runs for the meetings held in [first, last]: one per meeting, at its lead time before
    the day it is actually held (moved meetings included, skipped ones without a run)."""
    return [run_time(series, o.date, lead) for o in occurrences(series, first, last)]


def target_of_run(series: MeetingSeries, now: dt.datetime, lead: dt.timedelta,
                  slack: dt.timedelta = dt.timedelta(hours=1)) -> RunTarget | None:
    """The meeting a run at `now` is for: the next meeting (as held, or its regular date when it
    is skipped for a holiday) if it starts within lead + slack. Scheduled runs fire at the lead
    time before the meeting as held; a manual run outside that window finds none."""
    local = pendulum.instance(now).in_timezone(series.timezone)
    horizon = local.date() + dt.timedelta(days=7 * series.interval_weeks + 14)
    # regular dates from a week back: a meeting moved forward is held after its regular date
    window = (local.date() - dt.timedelta(days=7), horizon)
    upcoming = [(o.start, RunTarget(o.regular, o)) for o in occurrences(series, *window)]
    upcoming += [(run_time(series, day, dt.timedelta()), RunTarget(day, None)) for day in skipped(series, *window)]
    for start, target in sorted(upcoming, key=lambda pair: pair[0]):
        if start > local:
            return target if start - local <= lead + slack else None
    return None


def leader(series: MeetingSeries, occurrence_index: int, active: Iterable[str]) -> str | None:
    """The meeting leader for the n-th meeting of the series. Organisations take turns in the
    rotation's order (municipality and health centre alternate); within an organisation the
    eligible members take turns, skipping inactive ones, so leading is shared evenly."""
    active = set(active)
    slots = [RotationSlot(s.organisation, tuple(m for m in s.eligible if m in active)) for s in series.rotation]
    slots = [s for s in slots if s.eligible]
    if not slots:
        return None
    slot = slots[occurrence_index % len(slots)]
    turn = occurrence_index // len(slots)
    return slot.eligible[turn % len(slot.eligible)]


def check_in_session(held_on: dt.date, today: dt.date, *, record: str) -> None:
    """Decisions about cases are made at the meeting, on its day: not days before it (an agenda
    read early is no meeting) and not after it (the minutes say what the meeting decided)."""
    if today != held_on:
        raise RuleViolation(f"is held on {held_on}, not today ({today})", record=record, field="date",
                            hint="record the meeting's decisions at the meeting, on its day")


def check_may_close(held_on: dt.date, today: dt.date, *, record: str) -> None:
    """Minutes are kept of a meeting that has been held: closing one before its day would send
    minutes of a meeting that never took place."""
    if today < held_on:
        raise RuleViolation(f"is not held until {held_on}", record=record, field="date",
                            hint="close the meeting when it has been held")


def occurrence_index(series: MeetingSeries, occurrence: Occurrence) -> int:
    """How many meetings of the series were held before this one, counted from the anchor. A
    meeting is counted by its regular place in the cadence, so one moved by a holiday never
    counts itself, and a skipped one is not counted: the turn passes at every meeting held."""
    return len(occurrences(series, series.anchor_monday, occurrence.regular - dt.timedelta(days=1)))


def meetings_per_half_year(interval_weeks: int) -> int:
    """The fewest meetings any half-year can hold at this cadence (a half-year has 181+ days)."""
    return 181 // (7 * interval_weeks)


def half_years_short_of(meetings: Iterable[dt.date], *, minimum: int, first: dt.date, last: dt.date
                        ) -> list[str]:
    """Half-years (e.g. '2026 H1') in [first, last] with fewer than `minimum` meetings."""
    counts: dict[str, int] = {}
    year = first.year
    while year <= last.year:
        for half in (1, 2):
            start = dt.date(year, 1 if half == 1 else 7, 1)
            if start <= last and (dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)) >= first:
                counts[f"{year} H{half}"] = 0
        year += 1
    for day in meetings:
        key = f"{day.year} H{1 if day.month <= 6 else 2}"
        if key in counts:
            counts[key] += 1
    return [k for k, n in counts.items() if n < minimum]


# --- the agenda ---------------------------------------------------------------------------

class Due(NamedTuple):
    """Something of the case due soon: an action, or the SIP's follow-up (id None)."""
    kind: str  # action | sip_follow_up
    id: int | None
    date: dt.date

    def __str__(self) -> str:  # the operators' artifact and log; the pages say it in the reader's words
        return f"action {self.id} due {self.date}" if self.kind == "action" else f"SIP follow-up {self.date}"


@dataclass(frozen=True)
class CaseLine:
    case_number: str
    consented: bool  # documented consent: without it only "consent needed" is shown
    reasons: tuple[str, ...] = ()
    due: tuple[Due, ...] = ()


@dataclass(frozen=True)
class AgendaFacts:
    open_cases: dict[str, int]
    overdue_actions: int
    discharge: Sequence[CaseLine]
    at_risk: Sequence[CaseLine]
    ongoing: Sequence[CaseLine]
    need_sip: Sequence[CaseLine]

    def line(self, case_number: str) -> CaseLine | None:
        return next((c for c in (*self.discharge, *self.at_risk, *self.ongoing, *self.need_sip)
                     if c.case_number == case_number), None)


@dataclass(frozen=True)
class AgendaItem:
    title: str
    lines: list[str] = field(default_factory=list)


AGENDA_TITLES = (
    "1. Current situation in the area",
    "2. Patients who need coordination at discharge from hospital",
    "3. Identified at-risk persons — decide actions, who is responsible, follow-up date",
    "4. Short follow-up of ongoing cases",
    "5. Persons who need a SIP — who calls the SIP meeting",
    "6. Summary",
)
CONSENT_NEEDED = "consent needed"
LEADERSHIP_AGENDA = (
    "1. The area's indicators and the local action plan",
    "2. Deviations and questions the professions could not settle",
    "3. Decisions",
    "4. Summary",
)


def _line(case: CaseLine, *, details: bool, extra: str = "") -> str:
    if not case.consented:
        return f"{case.case_number} — {CONSENT_NEEDED}"
    parts = [case.case_number]
    if details and case.reasons:
        parts.append(", ".join(r.replace("_", " ") for r in case.reasons))
    if case.due:
        parts.append("; ".join(map(str, case.due)))
    return " — ".join(parts) + extra


def build_agenda(facts: AgendaFacts, *, details: bool) -> list[AgendaItem]:
    """The manual's agenda, in its order. `details` adds identification reasons, for the team's
    own view inside the coordination record; without it (Prefect artifacts) only case numbers,
    markers and dates are shown. A person without documented consent is never described."""
    status = ", ".join(f"{n} {s}" for s, n in sorted(facts.open_cases.items())) or "no open cases"
    return [
        AgendaItem(AGENDA_TITLES[0], [f"Open cases: {status}", f"Overdue actions: {facts.overdue_actions}"]),
        AgendaItem(AGENDA_TITLES[1], [_line(c, details=details) for c in facts.discharge]),
        AgendaItem(AGENDA_TITLES[2], [_line(c, details=details, extra=" — action: ____ responsible: ____ "
                                             "follow-up date: ____" if c.consented else "") for c in facts.at_risk]),
        AgendaItem(AGENDA_TITLES[3], [_line(c, details=False) for c in facts.ongoing]),
        AgendaItem(AGENDA_TITLES[4], [_line(c, details=details, extra=" — calls the SIP meeting: ____"
                                             if c.consented else "") for c in facts.need_sip]),
        AgendaItem(AGENDA_TITLES[5], ["Decisions: actions with a responsible person and a follow-up date are "
                                      "recorded with `coordination action add`"]),
    ]


def agenda_markdown(title: str, items: list[AgendaItem]) -> str:
    out = [f"# {title}", ""]
    for item in items:
        out.append(f"## {item.title}")
        out += [f"- {line}" for line in item.lines] or ["- (none)"]
        out.append("")
    return "\n".join(out)
