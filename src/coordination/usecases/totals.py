"""Counts for `coordination status` and the demo's summary: safe to print, log or hand to Prefect.

It names its tables and columns with SQLAlchemy's lightweight `table()` and `column()` rather than
the models: operators and their monitoring run `status` often, and loading the models (and with
them SQLModel and pydantic) tripled what a fresh `status` costs (issue 22). A test checks these
names against the models."""

from __future__ import annotations

from sqlalchemy import column, distinct, func, select, table

person = table("person")
care_case = table("care_case", column("status"))
sip = table("sip", column("case_id"))
action = table("action", column("status"))
followup = table("followup")
outbox = table("outbox", column("status"))


def _count(connection, source) -> int:
    return connection.execute(select(func.count()).select_from(source)).scalar_one()


def _count_by(connection, source) -> dict[str, int]:
    return {str(k): v for k, v in connection.execute(
        select(source.c.status, func.count()).group_by(source.c.status)).all()}


def totals(connection) -> dict[str, object]:
    """Counts only: safe to print, log or hand to Prefect. `connection`: a Connection or a Session."""
    return {
        "persons": _count(connection, person),
        "cases": _count_by(connection, care_case),
        "sips": connection.execute(select(func.count(distinct(sip.c.case_id)))).scalar_one(),
        "sip_versions": _count(connection, sip),
        "actions": _count_by(connection, action),
        "follow_ups": _count(connection, followup),
        "notifications": _count_by(connection, outbox),
    }
