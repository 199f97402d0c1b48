"""At a phone's width (390 px) no page of the workspace scrolls sideways: tables turn into stacked
rows, long words wrap, forms fit. Measured in the browser; axe finds nothing at either width."""

from __future__ import annotations

import pytest

from coordination.config.teams import load_teams
from coordination.persistence.engine import unit_of_work
from coordination.usecases import emergency, team_meeting_room
from coordination.usecases.common import actor_for
from tests.conftest import ROOT
from tests.web.test_journey import GUSTAV, axe_clean, case_of, planned, run_sweep

PHONE = {"width": 390, "height": 844}


def overflow(page) -> int:
    """How far the page reaches past the window's right edge, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone(workspace, sqlite_url, example_data, browser):
    planned(sqlite_url, example_data)
    run_sweep(workspace.now())
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-dsk1"), team, team.meetings[0],
                                                    now=workspace.now()).id
        series = team.leadership_group.series
        leadership = team_meeting_room.current_meeting(s, actor_for(s, "hc-chef"), team.room(series), series,
                                                       now=workspace.now()).id
        emergency.open_emergency_access(s, actor_for(s, "mar"), case=case_of(s, "19341106-7568"),
                                        reason="Larm från hemmet, samordnaren nås inte", now=workspace.now())
    pages = {
        "hc-dsk1": ["/", f"/cases/{number}", f"/cases/{number}/sip/person", "/signals", "/meetings",
                    f"/meetings/m/{meeting}", f"/cases/{number}/sip/compare?first=1&second=1", "/cases/K-2026-9999"],
        "hc-chef": ["/manager", f"/meetings/m/{leadership}", "/log"],
        "hc-logg": ["/log"],
        "mar": [f"/cases/{case_of_number('19341106-7568')}", "/cases/K-2026-0001/emergency-access"],
    }
    wide = {}
    for code, paths in pages.items():
        for width in (PHONE, {"width": 1280, "height": 900}):
            context = browser.new_context(locale="sv-SE", viewport=width)
            page = context.new_page()
            workspace.open_as(page, code)
            for path in paths:
                page.goto(workspace.url + path)
                if width is PHONE and overflow(page) > 0:
                    wide[(code, path)] = overflow(page)
                if width is PHONE and path == "/" and code == "hc-dsk1":  # a stacked cell names its column
                    cell = page.locator("#my-cases ~ table td").first
                    assert page.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle()) \
                        == '"Ärende: "'
                    assert cell.evaluate("c => getComputedStyle(c).display") == "block"
                axe_clean(page)
            context.close()
    assert wide == {}


def case_of_number(pnr: str) -> str:
    with unit_of_work(read_only=True) as s:
        return case_of(s, pnr).number
