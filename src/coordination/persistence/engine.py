"""Engine and unit-of-work session.

One transaction per use case: `unit_of_work()` commits on success and rolls back on any
error, so a rejected command leaves the database as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from coordination import settings
from coordination.errors import AccessDenied, InvalidInput

if TYPE_CHECKING:
    from sqlmodel import Session


def normalise_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and use psycopg 3 for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url`, or for COORDINATION_DATABASE_URL as it is set now."""
    return _engine(normalise_url(url or settings.database_url()))


@lru_cache(maxsize=16)
def _engine(url: str) -> Engine:
    # hide_parameters: bound values hold personal data, and a database error raised inside a
    # flow would otherwise carry them into Prefect's state message and logs.
    if make_url(url).get_backend_name() == "sqlite":
        _owner_only(make_url(url).database)
        # The CLI and served flows write the same file at once: WAL lets readers go on while
        # one writes, and the busy timeout makes writers wait instead of failing "locked".
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # the "begin" listener below issues BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            # Take the write lock at BEGIN so read-then-write use cases never fail with
            # "database is locked" halfway through. A read-only unit of work begins deferred:
            # in WAL mode it reads beside a writer instead of queueing for the lock.
            options = conn.get_execution_options()
            if options.get("isolation_level") == "AUTOCOMMIT":
                return  # each statement on its own, as VACUUM needs
            conn.exec_driver_sql("BEGIN" if options.get("read_only") else "BEGIN IMMEDIATE")

        return engine
    # Unless the URL sets its own options:
    # - JIT off: the coordination database's queries are short, and PostgreSQL compiles any whose
    #   estimate passes jit_above_cost. A unit manager's case list spent 0.9 s compiling a query
    #   that runs in 0.1 s.
    # - custom plans only: psycopg prepares a statement run five times on a connection, and
    #   PostgreSQL then may plan it once for any member or date. Such a generic plan of the case
    #   list's "which of these cases are mine" took 17 ms where the member's own plan took 0.3.
    options = {} if "options" in make_url(url).query else \
        {"options": "-c jit=off -c plan_cache_mode=force_custom_plan"}
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=options)


def _owner_only(path: str | None) -> None:
    """The embedded database holds every person's data and the workspace's signing secret: it is
    created readable by its owner only, and SQLite gives its WAL and shared-memory files the
    same mode as the database file."""
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def existing_database() -> None:
    """A command that only reads never creates an empty SQLite file by connecting to it."""
    url = make_url(settings.database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not Path(url.database).exists():
        raise InvalidInput(f"{url.database} does not exist", record="COORDINATION_DATABASE_URL", field="database",
                           hint="set COORDINATION_DATABASE_URL to your database, or create one with "
                                "`coordination init`")


@contextmanager
def unit_of_work(url: str | None = None, *, read_only: bool = False, interactive: bool = False) -> Iterator[Session]:
    """`read_only`: the work only reads (a page that writes nothing, not even an audit event).
    `interactive`: someone is waiting for it (a page), so PostgreSQL answers it in one backend."""
    # imported here: SQLModel loads pydantic, which `coordination status` never needs (issue 22)
    from sqlmodel import Session

    engine = get_engine(url)
    with Session(engine.execution_options(read_only=True) if read_only else engine,
                 expire_on_commit=False) as session:
        if interactive and engine.dialect.name == "postgresql":
            # A page's statements are short. PostgreSQL still planned a start page's items in
            # parallel at 1M actions: starting the workers took longer (4-9 ms) than the
            # statement, and under load the workers took the cores other requests waited for.
            session.connection().exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        try:
            yield session
            session.commit()
        except AccessDenied as refused:
            session.rollback()
            _audit_refusal(engine, refused)
            raise
        except BaseException:
            session.rollback()
            raise


def refresh_statistics(connection) -> None:
    """SQLite plans by the statistics ANALYZE gathers and never gathers them itself: without them
    it picks poor indexes (the agenda's SIP lookup scanned every current SIP for each case).
    PostgreSQL's autovacuum keeps its own."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("ANALYZE")


def _audit_refusal(engine: Engine, refused: AccessDenied) -> None:
    """A refused attempt writes nothing but its own audit event, in a transaction of its own:
    a log reviewer must see who tried to reach what."""
    import datetime as dt

    from sqlmodel import Session

    from coordination.persistence.models import AuditEvent

    with Session(engine) as session:
        session.add(AuditEvent(at=dt.datetime.now(dt.timezone.utc), actor_id=refused.actor_id,
                               actor=refused.actor_label, action=f"refused:{refused.purpose}",
                               record_type="case", record_id=f"{refused.record} ({refused.rule})",
                               person_id=refused.person_id))
        session.commit()
