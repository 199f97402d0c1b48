"""Counts for `coordination status` and the demo's summary: safe to print, log or hand to Prefect.

Its own module, loading only the models, so `status` does not wait for the policy and the
use cases (issue 22: what a fresh process costs)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from coordination.persistence.models import Action, CareCase, FollowUp, Outbox, Person, Sip


def _count_by(session: Session, column) -> dict[str, int]:
    return {str(k): v for k, v in session.exec(select(column, func.count()).group_by(column)).all()}


def totals(session: Session) -> dict[str, object]:
    """Counts only: safe to print, log or hand to Prefect."""
    return {
        "persons": session.exec(select(func.count()).select_from(Person)).one(),
        "cases": _count_by(session, CareCase.status),
        "sips": session.exec(select(func.count(func.distinct(Sip.case_id)))).one(),
        "sip_versions": session.exec(select(func.count()).select_from(Sip)).one(),
        "actions": _count_by(session, Action.status),
        "follow_ups": session.exec(select(func.count()).select_from(FollowUp)).one(),
        "notifications": _count_by(session, Outbox.status),
    }
