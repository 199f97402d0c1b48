"""Swedish first: every text a member reads comes from the catalog, the Swedish catalog is
complete, and no English text reaches a Swedish member in a page or a notification."""

from __future__ import annotations

import re

import httpx
from babel.messages.extract import extract_from_dir
from sqlmodel import select

from coordination.i18n import translations
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Outbox
from coordination.config.teams import load_teams
from coordination.domain.vocabulary import (
    ActionStatus, CaseStatus, HandlingTime, IdentificationReason, Role, SignalKind,
)
from coordination.usecases import team_meeting_room
from coordination.usecases.common import actor_for
from tests.conftest import ROOT
from tests.web.test_journey import planned, run_sweep
from tests.web.test_security import gustav, signed_in

KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def catalog_ids() -> set[str]:
    found = extract_from_dir(str(ROOT / "src" / "coordination"), method_map=METHODS, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_the_swedish_catalog_translates_every_text():
    ids = catalog_ids()
    assert len(ids) > 100
    sv = translations("sv")
    untranslated = sorted(i for i in ids if sv.gettext(i) == i and i not in ("SIP", "Plan B", "MAS", "MAR", "MLA",
                                                                             "Status", "Version", "Person",
                                                                             "Situation", "version %(version)s", "Organisation", "Text", "LSS",
                                                                             "SBAR", "person", "signal"))
    assert untranslated == []


def english_only() -> list[str]:
    """Source texts whose Swedish differs, with placeholders cut out: none may reach a Swedish member."""
    sv = translations("sv")
    pieces = []
    for text in catalog_ids():
        swedish = sv.gettext(text)
        if swedish != text:  # pieces the Swedish shares (": SIP version") are not English-only
            pieces += [p.strip() for p in re.split(r"%\(\w+\)s", text)
                       if len(p.strip()) >= 12 and p.strip() not in swedish]
    return pieces


def test_no_english_reaches_a_swedish_member(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    run_sweep(workspace.now())
    with unit_of_work() as s:
        number, action_id = gustav(s)
        messages = [f"{o.subject}\n{o.body}" for o in s.exec(select(Outbox).where(Outbox.member_id != None))]  # noqa: E711
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    with unit_of_work() as s:
        team_meeting = team_meeting_room.current_meeting(s, actor_for(s, "hsv-ssk1"), team, team.meetings[0],
                                                         now=workspace.now()).id
        series = team.leadership_group.series
        leadership = team_meeting_room.current_meeting(s, actor_for(s, "hc-chef"), team.room(series), series,
                                                       now=workspace.now()).id
    client = signed_in(workspace, "hsv-ssk1")
    pages = [client.get(p).text for p in ("/", "/manager", f"/cases/{number}", "/cases/K-2026-9999", "/signals",
                                          "/meetings", f"/meetings/m/{team_meeting}")]
    manager = signed_in(workspace, "hc-chef")
    pages += [manager.get(p).text for p in ("/manager", f"/meetings/m/{leadership}", "/log")]
    pages.append(signed_in(workspace, "hc-logg").get("/log").text)
    pages.append(httpx.get(f"{workspace.url}/signin").text)
    english = english_only()
    assert messages and english
    leaks = {(piece, where[:60]) for where in pages + messages for piece in english if piece in where}
    assert leaks == set()
    # no stored code in what a member reads (a select's values are not read), and numbers and
    # comparisons the Swedish way: 0,5 and ≤, never 0.5 and <=
    visible = [re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", p, flags=re.S)) for p in pages]
    codes = {str(v) for enum in (Role, SignalKind, HandlingTime, CaseStatus, ActionStatus, IdentificationReason)
             for v in enum if "_" in str(v)}
    raw = {(code, text[:60]) for text in visible for code in codes if re.search(rf"\b{code}\b", text)}
    assert raw == set()
    assert not [t for t in visible if re.search(r"\d\.\d|&lt;=|&gt;=", t)]


def test_english_is_the_second_locale(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    client = signed_in(workspace, "hsv-ssk1")
    page = client.get("/")
    assert "Mina ärenden" in page.text and 'lang="sv"' in page.text
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/language", data={"csrf": token, "locale": "en", "back": "/"})
    page = client.get("/")
    assert "My items" in page.text and 'lang="en"' in page.text
