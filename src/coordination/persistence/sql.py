"""SQL the use cases share beyond what SQLAlchemy spells directly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session


def among(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values` for a list read a moment ago (a page's case ids, say). On PostgreSQL it
    is one array parameter, `column = ANY(...)`: the statement's text is the same whatever the
    count, so SQLAlchemy and psycopg prepare it once, where an IN list of 200 ids is 200
    parameters rendered, split and bound on every call (a fifth of a unit manager's case list).
    Elsewhere an IN list."""
    return among_parameter(session.get_bind().dialect.name, column, None, list(values))


def among_parameter(dialect: str, column: Any, name: str | None, values: Any = None) -> Any:
    """`among` with the values bound later by `name`: for a statement built once per process."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, values, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, values, expanding=True))


def rows_of(session: Session, statement: Any, parameters: dict[str, Any]) -> list[Any]:
    """A statement built once (its rows untyped: the columns are its own), run with `parameters`.
    Fetched at once: iterating a result fetches row by row, a few calls into psycopg and
    SQLAlchemy per row, and a page of 50 cases reads about a thousand policy rows."""
    return list(session.execute(statement, parameters).all())
