"""The log review in the browser, on both databases: the reviewer finds the emergency access on
the list, marks it with a note, searches by personnummer without it ever reaching a URL, and
hands the person their log extract as a PDF with organisations and roles, never staff's names."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditReview
from coordination.usecases import emergency
from coordination.usecases.common import actor_for
from tests.usecases.test_cycle import case_of, open_and_plan
from tests.web.test_journey import axe_clean
from tests.web.test_security import signed_in

MAJ = "19341106-7568"
REASON = "Larm från trygghetslarmet, samordnaren nås inte"


@pytest.fixture
def opened(workspace_on, db_url, example_data):
    """The example area, and mar's emergency access to Maj's case at the workspace's moment."""
    open_and_plan(db_url, example_data)
    with unit_of_work() as s:
        emergency.open_emergency_access(s, actor_for(s, "mar"), case=case_of(s, MAJ), reason=REASON,
                                        now=workspace_on.now())
    return workspace_on


def test_the_reviewer_marks_an_emergency_access_searches_and_hands_over_the_extract(opened, page):
    from pypdf import PdfReader

    opened.open_as(page, "hc-logg", "/log")
    page.get_by_role("link", name="Loggranskning").click()
    waiting = page.get_by_role("table", name="Poster som ännu inte är granskade")
    row = waiting.get_by_role("row").filter(has_text="nödåtkomst")
    assert "Tove Rask" in row.inner_text() and "öppnade med nödåtkomst ärende" in row.inner_text()
    axe_clean(page)

    row.get_by_label("Vad kom du fram till?").fill("Kontrollerat med MAR: larmet stämmer")
    row.get_by_role("button", name="Markera som granskad").click()
    page.get_by_role("status").filter(has_text="Posten är markerad som granskad.").wait_for()
    assert page.get_by_text("Inget väntar på granskning.").is_visible()
    done = page.get_by_role("table", name="Granskade poster, nyast först")
    assert "Kontrollerat med MAR" in done.inner_text() and "hc-logg" in done.inner_text()
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(AuditReview)).one().note == "Kontrollerat med MAR: larmet stämmer"

    page.get_by_label("Personnummer", exact=True).first.fill(MAJ)
    page.get_by_label("Slag").select_option(label="nödåtkomster")
    page.get_by_role("button", name="Sök", exact=True).click()
    results = page.get_by_role("table", name="Träffar: 1, äldst först")
    assert "Tove Rask" in results.inner_text() and MAJ in results.inner_text()
    assert page.get_by_label("Personnummer", exact=True).first.input_value() == MAJ  # the search kept
    assert MAJ not in page.url and "7568" not in page.url
    axe_clean(page)

    page.get_by_label("Personnummer", exact=True).last.fill(MAJ)
    with page.expect_download() as download:
        page.get_by_role("button", name="Gör logutdraget (PDF)").click()
    assert download.value.suggested_filename == "logutdrag-2026-11-17.pdf"
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)  # lines wrap in the table's cells
    assert "Logutdrag" in text and "Maj Persson" in text and "öppnade med nödåtkomst" in text
    assert "Norrby kommun rehabilitering" in text and "MAR" in text
    for staff in ("Tove Rask", "mar ", "hc-logg", "Siv Moberg"):
        assert staff not in text


def test_members_who_review_nothing_are_refused_and_see_no_menu_entry(opened, page):
    opened.open_as(page, "hc-dsk1")
    assert page.get_by_role("link", name="Loggranskning").count() == 0
    client = signed_in(opened, "hc-dsk1")
    refused = client.get("/log")
    assert refused.status_code == 403 and "Tove Rask" not in refused.text and REASON not in refused.text
