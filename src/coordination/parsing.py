"""Parsing user-supplied values into domain types, with errors that name the field."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TypeVar

import yaml

from coordination.errors import InvalidInput


E = TypeVar("E", bound=Enum)


def parse_enum(enum_cls: type[E], value: object, *, record: str, field: str) -> E:
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        raise InvalidInput(f"'{value}' is not a known value", record=record, field=field,
                           hint=f"use one of: {allowed}") from None


def parse_date(value, *, record: str, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date", record=record, field=field,
                           hint="write dates as YYYY-MM-DD, e.g. 2026-12-01") from None


def parse_optional_date(value, *, record: str, field: str) -> dt.date | None:
    return None if value in (None, "") else parse_date(value, record=record, field=field)


def parse_moment(value, *, record: str, field: str) -> dt.datetime:
    """A local (Stockholm) date and time as staff write it, 2026-12-03T10:00 or 2026-12-03 10:00,
    as an aware UTC moment."""
    import pendulum

    text = str(value or "").strip().replace(" ", "T", 1)
    try:
        moment = pendulum.parse(text, tz="Europe/Stockholm", strict=False)
    except Exception:  # pendulum raises several types for bad input; all mean the same here
        moment = None
    if not isinstance(moment, pendulum.DateTime) or "T" not in text:
        raise InvalidInput(f"'{value}' is not a date and time", record=record, field=field,
                           hint="write 2026-12-03T10:00 (Stockholm time)")
    return moment.in_timezone("UTC")


class TextDatesLoader(yaml.SafeLoader):
    """Leaves dates as text so a bad one is reported by its record and field, not by the parser."""


TextDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
