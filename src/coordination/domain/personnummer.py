"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer).

python-stdnum supplies the Luhn check; it does not know coordination numbers (day + 60) and
resolves the century against today's date, so the century rules live here, against an
explicit reference date to keep them testable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum import luhn
from stdnum.exceptions import ValidationError

from coordination.errors import N_, InvalidPersonnummer

_SHAPE = re.compile(r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$")
CHILD_AGE_LIMIT = 18


@dataclass(frozen=True)
class IdentityNumber:
    """A validated number, kept in its 12-digit form `YYYYMMDD-NNNC`.

    For coordination numbers the stored day is the real day + 60, as issued."""

    canonical: str
    birth_date: dt.date
    is_coordination_number: bool

    def age(self, on: dt.date) -> int:
        return age_on(self.birth_date, on)

    def is_child(self, on: dt.date) -> bool:
        return self.age(on) < CHILD_AGE_LIMIT


def parse(text: str, *, today: dt.date | None = None, record: str | None = None) -> IdentityNumber:
    """Validate and normalise a personnummer or samordningsnummer.

    Ten-digit forms take the century that makes the person at most 99 years old, or 100+
    when written with `+` (Folkbokföringslagen 18 §)."""
    today = today or dt.date.today()
    record = record or "personnummer"
    raw = (text or "").strip().replace(" ", "")
    m = _SHAPE.match(raw)
    if not m:
        raise InvalidPersonnummer(
            f"'{text}' is not in the form YYYYMMDD-NNNN or YYMMDD-NNNN",
            record=record, field="personnummer", hint="write 12 digits with a dash, e.g. 19121212-1212",
            why=N_("Write the personal identity number as YYYYMMDD-NNNN."))
    yy, mm, dd = int(m["yy"]), int(m["mm"]), int(m["dd"])
    coordination = dd > 60
    day = dd - 60 if coordination else dd
    if m["century"]:
        if m["sep"] == "+":
            raise InvalidPersonnummer(
                f"'{text}' has a '+' with a four-digit year", record=record, field="personnummer",
                hint="the '+' is only used in the 10-digit form for people aged 100 or more",
                why=N_("Use '+' only in the ten-digit form, for someone aged 100 or more."))
        year = int(m["century"]) * 100 + yy
    else:
        year = _resolve_century(yy, mm, day, plus=m["sep"] == "+", today=today)
    try:
        birth = dt.date(year, mm, day)
    except ValueError:
        raise InvalidPersonnummer(
            f"'{text}' does not start with a real date", record=record, field="personnummer",
            hint="check year, month and day (coordination numbers add 60 to the day)",
            why=N_("The number does not begin with a real date: check the year, month and day.")) from None
    if birth > today:
        raise InvalidPersonnummer(
            f"'{text}' has a birth date in the future", record=record, field="personnummer",
            hint="check the century", why=N_("The birth date is in the future: check the century."))
    ten = f"{yy:02d}{mm:02d}{dd:02d}{m['serial']}{m['check']}"
    try:
        luhn.validate(ten)
    except ValidationError:
        raise InvalidPersonnummer(
            f"'{text}' has a wrong check digit", record=record, field="personnummer",
            hint="re-read the number from the source record",
            why=N_("The last digit does not match: check the number against an ID document.")) from None
    canonical = f"{year:04d}{mm:02d}{dd:02d}-{m['serial']}{m['check']}"
    return IdentityNumber(canonical=canonical, birth_date=birth, is_coordination_number=coordination)


def _resolve_century(yy: int, mm: int, day: int, *, plus: bool, today: dt.date) -> int:
    year = (today.year // 100) * 100 + yy
    # the most recent year with these two digits that is not after today
    try:
        if dt.date(year, mm, day) > today:
            year -= 100
    except ValueError:
        if year > today.year:
            year -= 100
    if plus:
        year -= 100
    return year


def is_valid(text: str, *, today: dt.date | None = None) -> bool:
    try:
        parse(text, today=today)
    except InvalidPersonnummer:
        return False
    return True


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Whole years lived on a day."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def adult_on(birth_date: dt.date) -> dt.date:
    """The 18th birthday: from that day a person decides for themselves (a 29 February birthday
    comes of age on 1 March)."""
    try:
        return birth_date.replace(year=birth_date.year + CHILD_AGE_LIMIT)
    except ValueError:
        return dt.date(birth_date.year + CHILD_AGE_LIMIT, 3, 1)
