"""Mina ärenden in the browser: a coordinator finds her case by personnummer without a message
link (and the number never reaches a URL); MAS finds the question raised to her; an outsider's
search says nothing about who is in coordination. axe finds nothing."""

from __future__ import annotations

from coordination.domain.vocabulary import EscalationLevel
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member
from coordination.usecases import escalations
from coordination.usecases.common import actor_for
from tests.conftest import T0
from tests.web.test_journey import GUSTAV, axe_clean, case_of, planned


def test_the_coordinator_finds_her_case_and_mas_her_question(workspace, sqlite_url, example_data, page):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        number, coordinator = case.number, s.get(Member, case.coordinator_id).code
        escalations.escalate(s, actor_for(s, coordinator), case=case, level=EscalationLevel.MAS,
                             reason="Ödem trots ordination", now=T0)
    workspace.open_as(page, coordinator)
    assert page.get_by_role("table", name="De öppna ärenden du deltar i, det närmaste nästa steget först") \
        .get_by_role("link", name=number).is_visible()
    page.get_by_label("Sök ärende: ärendenummer eller personnummer").fill(GUSTAV)
    page.get_by_role("button", name="Sök", exact=True).click()
    page.get_by_role("heading", name="Sök ärende").wait_for()
    assert page.get_by_role("table", name="De ärenden du får läsa, nyast först").get_by_role("link", name=number) \
        .is_visible()
    assert GUSTAV not in page.url and "2012" not in page.url
    axe_clean(page)

    workspace.open_as(page, "mas")
    questions = page.get_by_role("table", name="Obesvarade först, sedan de senast besvarade")
    assert "Ödem trots ordination" in questions.inner_text() and "Väntar på ditt svar" in questions.inner_text()
    axe_clean(page)

    workspace.open_as(page, "mar")  # no part in the case: the same answer as for nobody
    page.get_by_label("Sök ärende: ärendenummer eller personnummer").fill(GUSTAV)
    page.get_by_role("button", name="Sök", exact=True).click()
    page.get_by_role("heading", name="Sök ärende").wait_for()
    nothing = page.locator("main").inner_text()
    assert "Inget ärende som du får läsa matchar" in nothing and number not in nothing


def test_the_cases_come_a_page_at_a_time_with_the_filter_kept(workspace, sqlite_url, example_data, monkeypatch):
    """A unit manager's unit may hold thousands of cases: the start page lists a page of them and
    links to the next, keeping the part and order asked for. Here a page is one case."""
    from coordination.usecases import worklist
    from tests.usecases.test_worklist import planned_area
    from tests.web.test_security import signed_in

    planned_area(sqlite_url, example_data)  # two cases coordinated by hc-dsk1
    monkeypatch.setattr(worklist, "PAGE", 1)
    client = signed_in(workspace, "hc-dsk1")

    def rows(html: str) -> list[str]:
        table = html.split('id="my-cases"', 1)[1]
        return [line.split('href="/cases/', 1)[1].split('"', 1)[0] for line in table.splitlines()
                if 'data-label="Ärende"><a href="/cases/' in line]

    first = client.get("/", params={"order": "number"})
    assert first.status_code == 200 and len(rows(first.text)) == 1
    assert 'href="/?part=&amp;order=number&amp;page=2#my-cases" rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/", params={"order": "number", "page": 2})
    assert len(rows(second.text)) == 1 and rows(second.text) != rows(first.text)
    assert rows(first.text) + rows(second.text) == sorted(rows(first.text) + rows(second.text))  # by number, kept
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text and "Ärende 2–2" in second.text
    past = client.get("/", params={"page": 3})
    assert "Inga fler ärenden." in past.text and not rows(past.text)
    assert client.get("/", params={"page": 0}).status_code == 400
    coordinator = client.get("/", params={"part": "coordinator"})
    assert 'part=coordinator&amp;order=next&amp;page=2' in coordinator.text
