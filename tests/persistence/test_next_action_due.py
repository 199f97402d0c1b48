"""Each case's nearest open action date is kept by the database (migration 0027): whoever writes
an action, and however many rows a statement writes, the case's `next_action_due` equals the
earliest due date of its planned or assigned actions. A member's case list is ordered by it, so
a stale value would put a case in the wrong place."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from coordination.persistence import schema
from coordination.persistence.engine import get_engine

DAY = dt.date(2026, 12, 7)
STAMP = "2026-12-01 08:00:00"


def _region(conn, cases: int) -> None:
    conn.execute(text("INSERT INTO organisation (id, code, name, organiser, unit_type) "
                      "VALUES (1, 'hc', 'HC', 'region', 'health_centre')"))
    conn.execute(text("INSERT INTO member (id, code, name, role, active, notify, organisation_id) "
                      "VALUES (1, 'n', 'Nurse', 'nurse', true, '[]', 1)"))
    for i in range(1, cases + 1):
        conn.execute(text("INSERT INTO person (id, personnummer, is_coordination_number, birth_date, given_name, "
                          "family_name, protected_identity, residence_hidden_from_guardians) "
                          "VALUES (:i, :pnr, false, '1940-01-01', 'G', 'F', false, false)"), {"i": i, "pnr": f"P{i}"})
        conn.execute(text("INSERT INTO care_case (id, number, person_id, status, reasons, flagged_for_meeting, "
                          "seriously_ill, opened_at) VALUES (:i, :number, :i, 'active', '[]', false, false, :at)"),
                     {"i": i, "number": f"K-2026-{i:04d}", "at": STAMP})


def _add(conn, *actions: tuple[int, int, str, dt.date | None]) -> None:
    """(id, case, status, due): in one INSERT statement, as a SIP's actions are written."""
    values = ", ".join(f"(:id{n}, :case{n}, 'a', 1, 'next_day', :status{n}, :due{n}, :follow{n}, :at)"
                       for n in range(len(actions)))
    params: dict = {"at": STAMP}
    for n, (action_id, case_id, status, due) in enumerate(actions):
        params |= {f"id{n}": action_id, f"case{n}": case_id, f"status{n}": status, f"due{n}": due,
                   f"follow{n}": DAY + dt.timedelta(days=30)}
    conn.execute(text("INSERT INTO action (id, case_id, description, responsible_id, handling_time, status, "
                      f"due_date, follow_up_date, created_at) VALUES {values}"), params)


def _kept(conn) -> dict[int, dt.date | None]:
    return {i: _date(d) for i, d in conn.execute(text("SELECT id, next_action_due FROM care_case ORDER BY id"))}


def _counted(conn) -> dict[int, dt.date | None]:
    return {i: _date(d) for i, d in conn.execute(text(
        "SELECT c.id, (SELECT min(a.due_date) FROM action a WHERE a.case_id = c.id "
        "AND a.status IN ('planned', 'assigned')) FROM care_case c ORDER BY c.id"))}


def _date(value) -> dt.date | None:  # SQLite gives a text query's dates as text
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def test_a_cases_next_action_date_follows_every_write_to_its_actions(db_url):
    with get_engine(db_url).begin() as conn:
        _region(conn, 3)
        assert _kept(conn) == {1: None, 2: None, 3: None}

        # many rows in one statement: open and dated, undated, done, across cases
        _add(conn, (1, 1, "planned", DAY + dt.timedelta(days=5)), (2, 1, "assigned", DAY + dt.timedelta(days=2)),
             (3, 1, "done", DAY), (4, 2, "planned", None), (5, 3, "assigned", DAY + dt.timedelta(days=9)))
        assert _kept(conn) == {1: DAY + dt.timedelta(days=2), 2: None, 3: DAY + dt.timedelta(days=9)} == _counted(conn)

        # a later open action leaves it; an earlier one brings it nearer
        _add(conn, (6, 1, "planned", DAY + dt.timedelta(days=20)))
        _add(conn, (7, 3, "planned", DAY + dt.timedelta(days=1)))
        assert _kept(conn) == {1: DAY + dt.timedelta(days=2), 2: None, 3: DAY + dt.timedelta(days=1)} == _counted(conn)

        # the nearest is done: the next one takes its place
        conn.execute(text("UPDATE action SET status = 'done' WHERE id = 2"))
        assert _kept(conn)[1] == DAY + dt.timedelta(days=5) == _counted(conn)[1]

        # a new date, later and then earlier, for the undated one and for a dated one
        conn.execute(text("UPDATE action SET due_date = :d WHERE id = 4"), {"d": DAY + dt.timedelta(days=3)})
        conn.execute(text("UPDATE action SET due_date = :d WHERE id = 7"), {"d": DAY + dt.timedelta(days=15)})
        assert _kept(conn) == {1: DAY + dt.timedelta(days=5), 2: DAY + dt.timedelta(days=3),
                               3: DAY + dt.timedelta(days=9)} == _counted(conn)

        # a cancelled action counts no longer; one made planned again counts again
        conn.execute(text("UPDATE action SET status = 'cancelled' WHERE case_id = 1 AND status = 'planned'"))
        assert _kept(conn)[1] is None
        conn.execute(text("UPDATE action SET status = 'planned' WHERE id = 6"))
        assert _kept(conn)[1] == DAY + dt.timedelta(days=20) == _counted(conn)[1]

        # moved to another case: both cases change
        conn.execute(text("UPDATE action SET case_id = 1 WHERE id = 5"))
        assert _kept(conn) == {1: DAY + dt.timedelta(days=9), 2: DAY + dt.timedelta(days=3),
                               3: DAY + dt.timedelta(days=15)} == _counted(conn)

        # a write to another column changes nothing; deleting does
        conn.execute(text("UPDATE action SET description = 'b'"))
        conn.execute(text("DELETE FROM action WHERE case_id = 3"))
        conn.execute(text("DELETE FROM action WHERE id = 5"))
        assert _kept(conn) == {1: DAY + dt.timedelta(days=20), 2: DAY + dt.timedelta(days=3), 3: None} == _counted(conn)


def test_upgrading_counts_the_next_action_date_of_the_cases_already_there(tmp_path, request):
    for backend in ("sqlite", "postgresql"):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            from tests.support import scratch_pg_database
            url, drop = scratch_pg_database(request.getfixturevalue("pg_server"))
            request.addfinalizer(drop)
        schema.upgrade(url, "0026")
        with get_engine(url).begin() as conn:
            _region(conn, 2)
            _add(conn, (1, 1, "assigned", DAY), (2, 1, "planned", DAY - dt.timedelta(days=1)), (3, 2, "done", DAY))
        schema.upgrade(url)
        with get_engine(url).connect() as conn:
            assert _kept(conn) == {1: DAY - dt.timedelta(days=1), 2: None}
        get_engine(url).dispose()
