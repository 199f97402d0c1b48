"""Languages: what staff and persons read is Swedish by default, English second.

Source strings are English (the code's language); `locales/sv/LC_MESSAGES/messages.po` holds the
Swedish catalog and `locales/en/...` the English one (identity). The catalogs are read with
Babel when first used, so no compiled files live in git. Administrators' CLI messages and logs
stay English and do not go through here."""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("sv", "en")
DEFAULT_LOCALE = "sv"
TIMEZONE = "Europe/Stockholm"


def normalise(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    path = resources.files("coordination.i18n") / "locales" / normalise(locale) / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=normalise(locale))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


class Texts:
    """gettext, ngettext and Swedish-convention dates for one locale; handed to templates."""

    def __init__(self, locale: str | None):
        self.locale = normalise(locale)
        self._t = translations(self.locale)

    def gettext(self, message: str, **values) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        return self._t.ngettext(singular, plural, n) % ({"num": n} | values)

    def date(self, value: dt.date | None) -> str:
        if value is None:
            return ""
        return format_date(value, format="d MMMM y" if self.locale == "sv" else "d MMMM y", locale=self.locale)

    def iso_date(self, value: dt.date | None) -> str:  # 2026-11-27: the Swedish standard form
        return value.isoformat() if value else ""

    def number(self, value: float | int | None) -> str:
        """A figure as the reader writes it: 12,5 in Swedish, 12.5 in English; '–' for none."""
        return "–" if value is None else format_decimal(value, format="#,##0.##", locale=self.locale)

    def moment(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(value, format="yyyy-MM-dd HH:mm", tzinfo=TIMEZONE, locale=self.locale)

    def language_name(self) -> str:
        return Locale.parse(self.locale).get_display_name(self.locale)
