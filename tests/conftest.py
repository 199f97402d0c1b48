"""Shared fixtures: real databases (a fresh SQLite file per test, and the machine's
PostgreSQL in a database of its own), the Prefect test harness, and the example area."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pendulum
import pytest

# Prefect reads these at import: keep its home, database and analytics out of the user's.
_PREFECT_HOME = tempfile.mkdtemp(prefix="prefect-home-")
atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)  # leave no temporary home behind
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from coordination.entrypoints.importer import import_data, load_file  # noqa: E402
from coordination.persistence import schema  # noqa: E402
from coordination.persistence.engine import get_engine, unit_of_work  # noqa: E402
from coordination.usecases.common import Actor  # noqa: E402
from tests.support import scratch_pg_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "coordination" / "examples"
EXAMPLE = EXAMPLES / "area.yaml"
PG_ADMIN_URL = os.environ.get("COORDINATION_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = pendulum.datetime(2026, 11, 16, 8, 0, tz="Europe/Stockholm").in_timezone("UTC")
ADMIN = Actor("test:admin")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test: migrations run once per session."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    schema.upgrade(f"sqlite:///{path}")
    get_engine(f"sqlite:///{path}").dispose()
    return path


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # report why in the skip reason
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_server():
    reason = _pg_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """One migrated PostgreSQL database, copied for each test (CREATE DATABASE ... TEMPLATE):
    migrations run once per session here too, not once per test."""
    url, drop = scratch_pg_database(pg_server, prefix="coord_template")
    schema.upgrade(url)
    get_engine(url).dispose()  # a template is copied only while nobody is connected to it
    yield url.rsplit("/", 1)[1]
    drop()


def migrated_pg_database(request) -> str:
    url, drop = scratch_pg_database(request.getfixturevalue("pg_server"),
                                    template=request.getfixturevalue("pg_template"))
    request.addfinalizer(drop)
    return url


# The quick tier runs each test once, on SQLite; the whole suite runs it on PostgreSQL too.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgresql, pytest.mark.slow])])
def db_url(request, tmp_path, sqlite_template, monkeypatch) -> str:
    """A migrated, empty coordination database on each backend; also set as the default."""
    if request.param == "sqlite":
        path = tmp_path / "coordination.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = migrated_pg_database(request)
    monkeypatch.setenv("COORDINATION_DATABASE_URL", url)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template, monkeypatch) -> str:
    path = tmp_path / "coordination.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("COORDINATION_DATABASE_URL", url)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def pg_url(request, monkeypatch) -> str:
    url = migrated_pg_database(request)
    monkeypatch.setenv("COORDINATION_DATABASE_URL", url)
    yield url


@pytest.fixture(scope="session")
def example_data() -> dict:
    """The three example files merged: area, SBAR handovers, follow-up outcomes."""
    files = [load_file(EXAMPLES / n) for n in ("area.yaml", "handovers.yaml", "follow-ups.yaml")]
    return {section: [row for f in files for row in f[section]] for section in files[0]}


def load_area(url: str, data: dict, *, sections=("organisations", "members", "persons", "consents", "signals"),
              now=T0) -> dict:
    with Session(get_engine(url)) as session:
        counts = import_data(session, ADMIN, data, now=now, sections=sections)
        session.commit()
    return counts


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's test harness, once per session, with flow heartbeats off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=60):
            yield


def refused_and_unchanged(work, error, field: str, rows) -> None:
    """`work()` is refused with `error` naming `field`, and what `rows()` reads is as it was."""
    before = rows()
    with pytest.raises(error) as err:
        work()
    assert err.value.field == field
    assert rows() == before


def read(query):
    """A reader for `refused_and_unchanged`: runs `query(session)` in a fresh unit of work."""
    def rows():
        with unit_of_work() as s:
            return query(s)
    return rows



SLOW_FOLDERS = ("flows", "cluster", "cli")  # Prefect runs, servers and workers, the command in a subprocess
SLOW_FIXTURES = {"prefect_harness", "workspace", "browser", "page", "served"}  # a server or a browser


def pytest_collection_modifyitems(config, items):
    """The quick tier is `pytest -m "not slow"`: what starts Prefect, a server, a browser or a
    subprocess is slow, by folder and by fixture here, and by its own `@pytest.mark.slow` elsewhere."""
    for item in items:
        folder = item.path.parent.name
        if folder in SLOW_FOLDERS or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) \
                or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
