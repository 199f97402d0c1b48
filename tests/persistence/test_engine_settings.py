"""The engine's PostgreSQL connection settings: JIT off and custom plans only, unless the
operator's URL sets options."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from coordination.persistence.engine import get_engine

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]


def test_postgresql_connections_run_without_jit_and_plan_each_statement_for_its_values(pg_url):
    """JIT compiled a unit manager's case list for 0.9 s before a 0.1 s run; a generic plan of a
    prepared statement took 17 ms where the member's own took 0.3."""
    with get_engine(pg_url).connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"


def test_options_in_the_url_are_the_operators(pg_url):
    url = f"{pg_url}?options=-c%20jit%3Don%20-c%20work_mem%3D8MB"
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "on"
        assert conn.execute(text("SHOW work_mem")).scalar_one() == "8MB"
    get_engine(url).dispose()


def test_a_page_is_answered_in_one_backend_and_other_work_keeps_the_servers_parallelism(pg_url, monkeypatch):
    """At 1M actions PostgreSQL ran a start page's items in parallel: starting the workers took
    longer than the statement, and under load they took the cores other requests waited for.
    The page's own transaction asks for no workers; a job, or the next transaction on the same
    pooled connection, keeps the server's setting."""
    from coordination.entrypoints.web.deps import transaction
    from coordination.persistence.engine import unit_of_work

    monkeypatch.setenv("COORDINATION_DATABASE_URL", pg_url)
    show = text("SHOW max_parallel_workers_per_gather")
    with get_engine(pg_url).connect() as conn:
        server = conn.execute(show).scalar_one()
    assert server != "0"  # PostgreSQL's default is 2: otherwise this test proves nothing
    for read_only in (True, False):
        with transaction(read_only=read_only) as session:
            assert session.execute(show).scalar_one() == "0"
    with unit_of_work(pg_url) as session:  # a job's unit of work, on a connection a page used
        assert session.execute(show).scalar_one() == server
    with unit_of_work(pg_url, interactive=True) as session:
        assert session.execute(show).scalar_one() == "0"
