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


def test_upgrading_a_database_that_holds_data_keeps_it(tmp_path, request):
    """From the first revision, with data, to the newest: nothing is lost."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.db'}"
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql":
            from tests.support import scratch_pg_database
            url, drop = scratch_pg_database(request.getfixturevalue("pg_server"))
            request.addfinalizer(drop)
        schema.upgrade(url, "0001")
        with get_engine(url).begin() as conn:
            conn.execute(text("INSERT INTO organisation (code, name, organiser, unit_type) "
                              "VALUES ('hc', 'HC', 'region', 'health_centre')"))
            conn.execute(text("INSERT INTO outbox (key, kind, subject, body, status, attempts, created_at, "
                              "next_attempt_at) VALUES ('k', 'x', 's', 'b', 'pending', 0, '2026-01-01 00:00:00', "
                              "'2026-01-01 00:00:00')"))
        assert schema.current_revision(url) == "0001"
        schema.upgrade(url)
        assert schema.current_revision(url) != "0001"
        with get_engine(url).connect() as conn:
            assert conn.execute(text("SELECT code FROM organisation")).scalars().all() == ["hc"]
            assert conn.execute(text("SELECT key, target FROM outbox")).all() == [("k", None)]
        get_engine(url).dispose()


def test_audit_events_are_append_only(db_url):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from coordination.persistence.models import AuditEvent

    with unit_of_work() as s:
        s.add(AuditEvent(at=pendulum.now("UTC"), actor="t", action="read", record_type="case", record_id="K"))
    for statement in ("UPDATE auditevent SET action = 'nothing'", "DELETE FROM auditevent"):
        with pytest.raises(DBAPIError, match="append-only"):
            with get_engine(db_url).begin() as conn:
                conn.execute(text(statement))
    with unit_of_work() as s:
        assert s.exec(select(AuditEvent.action)).all() == ["read"]


def _organisation_rows_in_statistics(url: str) -> int | None:
    with get_engine(url).connect() as conn:
        stat = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'organisation' LIMIT 1").scalar()
    return int(stat.split()[0]) if stat else None


def test_sqlite_gets_planner_statistics_after_migrations(sqlite_url):
    # without ANALYZE SQLite guesses, and guessed wrong on the agenda's SIP lookup
    with get_engine(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar() > 0


def test_a_large_import_refreshes_sqlite_statistics_and_a_small_one_does_not(sqlite_url, tmp_path):
    from tests.cli.test_bad_input import run

    small = tmp_path / "small.yaml"
    small.write_text("organisations:\n  - {code: o-small, name: O, organiser: region, unit_type: health_centre}\n")
    assert run(sqlite_url, "import", str(small)).returncode == 0
    before = _organisation_rows_in_statistics(sqlite_url)
    large = tmp_path / "large.yaml"
    large.write_text("organisations:\n" + "".join(
        f"  - {{code: o-{i}, name: O {i}, organiser: municipality, unit_type: home_help}}\n" for i in range(1200)))
    result = run(sqlite_url, "import", str(large))
    assert result.returncode == 0, result.stderr
    assert before != 1201
    assert _organisation_rows_in_statistics(sqlite_url) == 1201
