"""Column types shared by the tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend.

    SQLite has no time zones, so values are stored there as naive UTC; a naive value from the
    application is a bug and is refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use pendulum.now('UTC')")
        utc = value.astimezone(dt.timezone.utc)
        plain = dt.datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second,
                            utc.microsecond, tzinfo=dt.timezone.utc)
        return plain.replace(tzinfo=None) if dialect.name == "sqlite" else plain

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
