"""Column helpers every table module uses."""

from __future__ import annotations

from sqlalchemy import Enum as SAEnum
from sqlmodel import Field

from coordination.persistence.types import UTCDateTime


def key():
    # The database assigns the id when the row is flushed. It is typed `int`, not `int | None`,
    # because every reader works on flushed rows: an Optional id only made each of them check
    # for a None that cannot happen. The column is NOT NULL either way (a primary key).
    return Field(default=None, primary_key=True)


def utc(**kw):
    return Field(sa_type=UTCDateTime, **kw)


def enum(enum_cls, **kw):
    # Store the readable value ('next_working_day'), not the member name, as plain text:
    # admins and hand-written SQL read it, and new values need no enum-type migration.
    return Field(sa_type=SAEnum(enum_cls, values_callable=lambda e: [m.value for m in e],
                                native_enum=False, length=40), **kw)


