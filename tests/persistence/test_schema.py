"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pendulum
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from coordination.persistence import schema
from coordination.persistence.engine import get_engine, unit_of_work
from coordination.persistence.models import Organisation


def test_migrations_match_the_models(db_url):
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert schema.current_revision(db_url) is not None


def test_upgrading_again_keeps_the_data(db_url):
    with unit_of_work() as s:
        s.add(Organisation(code="hc", name="HC", organiser="region", unit_type="health_centre"))
    schema.upgrade(db_url)
    with unit_of_work() as s:
        assert s.exec(select(Organisation.code)).all() == ["hc"]


def test_times_come_back_as_aware_utc(db_url):
    from coordination.persistence.models import AuditEvent

    moment = pendulum.datetime(2026, 3, 29, 2, 30, tz="Europe/Stockholm")
    with unit_of_work() as s:
        s.add(AuditEvent(at=moment, actor="t", action="a", record_type="r", record_id="1"))
    with unit_of_work() as s:
        stored = s.exec(select(AuditEvent)).one().at
    assert stored.utcoffset().total_seconds() == 0 and stored == moment


def test_naive_times_are_refused(db_url):
    import datetime as dt

    from coordination.persistence.models import AuditEvent

    with pytest.raises(Exception, match="naive"):
        with unit_of_work() as s:
            s.add(AuditEvent(at=dt.datetime(2026, 1, 1), actor="t", action="a", record_type="r", record_id="1"))
