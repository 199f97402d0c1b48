"""The annual report of the local leadership group: indicators from the coordination record.
Counts and ratios only, so the report may be published as a Prefect artifact."""

from __future__ import annotations

import datetime as dt
import statistics

import pendulum
from sqlmodel import Session, select

from coordination.domain.calendar import TIMEZONE, local_date
from coordination.persistence.models import CareCase, Deviation, FollowUp, Sip


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return (pendulum.datetime(year, 1, 1, tz=TIMEZONE).in_timezone("UTC"),
            pendulum.datetime(year + 1, 1, 1, tz=TIMEZONE).in_timezone("UTC"))


def annual_indicators(session: Session, year: int) -> dict[str, object]:
    start, end = _year_bounds(year)
    sips = session.exec(select(Sip).where(Sip.created_at >= start, Sip.created_at < end)).all()
    created = [s for s in sips if s.version == 1]
    follow_ups = session.exec(select(FollowUp, Sip.next_follow_up).join(Sip, Sip.id == FollowUp.sip_id)
                              .where(FollowUp.recorded_at >= start, FollowUp.recorded_at < end)).all()
    on_time = sum(local_date(f.recorded_at) <= due for f, due in follow_ups)
    opened = {c.id: c for c in session.exec(select(CareCase))}
    days_to_sip = [(local_date(s.created_at) - local_date(opened[s.case_id].opened_at)).days for s in created]
    return {
        "year": year,
        "sips_created": len(created),
        "sips_revised": len(sips) - len(created),
        "follow_ups": len(follow_ups),
        "follow_ups_on_time_percent": round(100 * on_time / len(follow_ups), 1) if follow_ups else None,
        "deviations": len(session.exec(select(Deviation.id).where(Deviation.detected_at >= start,
                                                                  Deviation.detected_at < end)).all()),
        "median_days_identification_to_sip": statistics.median(days_to_sip) if days_to_sip else None,
        "cases_opened": sum(start <= c.opened_at < end for c in opened.values()),
        "cases_closed": sum(c.closed_at is not None and start <= c.closed_at < end for c in opened.values()),
        "cases_open_at_year_end": sum(c.opened_at < end and (c.closed_at is None or c.closed_at >= end)
                                      for c in opened.values()),
    }
