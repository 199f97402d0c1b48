"""Column helpers every table module uses."""

from __future__ import annotations

from sqlalchemy import Enum as SAEnum
from sqlmodel import Field

from coordination.persistence.types import UTCDateTime



def utc(**kw):
    return Field(sa_type=UTCDateTime, **kw)


def enum(enum_cls, **kw):
    # Store the readable value ('next_working_day'), not the member name, as plain text:
    # admins and hand-written SQL read it, and new values need no enum-type migration.
    return Field(sa_type=SAEnum(enum_cls, values_callable=lambda e: [m.value for m in e],
                                native_enum=False, length=40), **kw)


