"""The annual report of the local leadership group: indicators from the coordination record,
for the group's area, and the local action plan's indicators against their targets. Counts and
ratios only, so the report may be published as a Prefect artifact."""

from __future__ import annotations

import datetime as dt
import statistics

import pendulum
from sqlmodel import Session, col, select

from coordination.domain.calendar import TIMEZONE, local_date
from coordination.domain.vocabulary import EscalationLevel, MeetingStatus, PersonVerdict
from coordination.persistence.models import (
    CareCase, Deviation, Escalation, FollowUp, Meeting, Sip,
)
from coordination.usecases.areas import of_area, organisation_ids


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return (pendulum.datetime(year, 1, 1, tz=TIMEZONE).in_timezone("UTC"),
            pendulum.datetime(year + 1, 1, 1, tz=TIMEZONE).in_timezone("UTC"))


def area_case_ids(session: Session, organisations: tuple[str, ...]) -> set[int]:
    """The area's cases, open or closed, as its coordination meetings see them (`areas`)."""
    return set(session.exec(select(CareCase.id).where(of_area(organisation_ids(session, organisations)))).all())


def meetings_held(session: Session, series_ids: list[str]) -> dict[str, list[dt.date]]:
    """The days of the meetings held (closed, with minutes), by series id."""
    held: dict[str, list[dt.date]] = {sid: [] for sid in series_ids}
    for sid, day in session.exec(select(col(Meeting.series_id), col(Meeting.date)).where(
            col(Meeting.series_id).in_(series_ids), col(Meeting.status) == MeetingStatus.CLOSED).order_by(col(Meeting.date))).all():
        held[sid].append(day)
    return held


def annual_indicators(session: Session, year: int, *, area: set[int] | None = None) -> dict[str, object]:
    """The year's indicators; with `area` (case ids), for those cases only."""
    start, end = _year_bounds(year)
    in_area = (lambda case_id: case_id in area) if area is not None else (lambda case_id: True)
    sips = [s for s in session.exec(select(Sip).where(col(Sip.created_at) >= start, col(Sip.created_at) < end)).all()
            if in_area(s.case_id)]
    created = [s for s in sips if s.version == 1]
    follow_ups = [(f, due) for f, due in session.exec(
        select(FollowUp, col(Sip.next_follow_up)).join(Sip, col(Sip.id) == col(FollowUp.sip_id))
        .where(col(FollowUp.recorded_at) >= start, col(FollowUp.recorded_at) < end)).all() if in_area(f.case_id)]
    on_time = sum(local_date(f.recorded_at) <= due for f, due in follow_ups)
    opened = {c.id: c for c in session.exec(select(CareCase)) if in_area(c.id)}
    numbers = {c.number for c in opened.values()}
    days_to_sip = [(local_date(s.created_at) - local_date(opened[s.case_id].opened_at)).days for s in created]
    deviations = session.exec(select(Deviation.case_number, Deviation.item_kind).where(
        col(Deviation.detected_at) >= start, col(Deviation.detected_at) < end)).all()
    closed = session.exec(select(Deviation.case_number).where(col(Deviation.closed_at) >= start,
                                                              col(Deviation.closed_at) < end)).all()
    escalations = [e for e in session.exec(select(Escalation).where(col(Escalation.raised_at) >= start,
                                                                     col(Escalation.raised_at) < end)).all()
                   if in_area(e.case_id)]
    # the agreements' own measure: "I get the care and support I need, when and where I need it"
    verdicts = {str(v): 0 for v in PersonVerdict} | {"not_asked": 0}
    for f, _ in follow_ups:
        verdicts[str(f.person_verdict) if f.person_verdict else "not_asked"] += 1
    asked = len(follow_ups) - verdicts["not_asked"]
    return {
        "year": year,
        "sips_created": len(created),
        "sips_revised": len(sips) - len(created),
        "follow_ups": len(follow_ups),
        "follow_ups_on_time_percent": round(100 * on_time / len(follow_ups), 1) if follow_ups else None,
        "deviations": sum(n in numbers for n, _ in deviations),
        "deviations_reported": sum(n in numbers and kind == "report" for n, kind in deviations),
        "deviations_closed": sum(n in numbers for n in closed),
        "escalations": len(escalations),
        **{f"escalations_{level}": sum(e.level == level for e in escalations) for level in EscalationLevel},
        "escalations_answered": sum(e.answered_at is not None for e in escalations),
        **{f"person_verdict_{answer}": n for answer, n in verdicts.items()},
        "person_agrees_percent": round(100 * verdicts["agree"] / asked, 1) if asked else None,
        "median_days_identification_to_sip": statistics.median(days_to_sip) if days_to_sip else None,
        "cases_opened": sum(start <= c.opened_at < end for c in opened.values()),
        "cases_closed": sum(c.closed_at is not None and start <= c.closed_at < end for c in opened.values()),
        "cases_open_at_year_end": sum(c.opened_at < end and (c.closed_at is None or c.closed_at >= end)
                                      for c in opened.values()),
    }


def leadership_report(session: Session, team, year: int) -> dict[str, object]:
    """One leadership group's report for its area: the indicators, the meetings it held, and the
    local action plan's indicators against their targets."""
    group = team.leadership_group
    figures = annual_indicators(session, year, area=area_case_ids(session, team.organisations))
    held = [d for d in meetings_held(session, [group.series.id])[group.series.id] if d.year == year]
    figures["leadership_meetings_held"] = len(held)
    plan = [{"indicator": p.name, "measure": p.measure, "value": figures.get(p.measure),
             "target": (f">= {p.at_least:g}" if p.at_least is not None else "")
             + (" and " if p.at_least is not None and p.at_most is not None else "")
             + (f"<= {p.at_most:g}" if p.at_most is not None else ""),
             "at_least": p.at_least, "at_most": p.at_most,  # for a reader's own signs and numbers
             "met": p.met(figures.get(p.measure))} for p in group.action_plan]
    return {"team": team.id, "series": group.series.id, "indicators": figures,
            "leadership_meetings": [d.isoformat() for d in held], "action_plan": plan}
