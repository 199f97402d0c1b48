"""Revising the SIP in the workspace, and comparing its versions: the whole plan can change in one
form, the answer shows what changed, and the form is offered and accepted only where the access
policy lets the member plan."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Sip
from coordination.usecases.acting import current_sip
from tests.usecases.test_cycle import case_of
from tests.usecases.test_sip_revision import GUSTAV, planned
from tests.web.test_journey import axe_clean
from tests.web.test_security import csrf_of, signed_in


def number_of_gustav() -> str:
    with unit_of_work() as s:
        return case_of(s, GUSTAV).number


@pytest.mark.browser
def test_a_participant_revises_the_plan_in_the_browser_and_sees_what_changed(workspace, page, sqlite_url,
                                                                            example_data):
    planned(sqlite_url, example_data)
    number = number_of_gustav()
    workspace.open_as(page, "hc-dsk1", f"/cases/{number}")
    page.wait_for_url(re.compile(f"/cases/{number}"))
    page.get_by_text("Revidera SIP:en", exact=True).click()
    axe_clean(page)
    page.get_by_label("Plan B", exact=True).fill("Ring rehab vid fall")
    page.get_by_label("Lägg till en deltagare").select_option(label="Petra Lund (arbetsterapeut)")
    page.get_by_label("Andra planer (en per rad)").fill("läkemedelsplan\nrehabiliteringsplan")
    page.get_by_label("Nästa uppföljning", exact=True).fill("2027-02-01")
    page.get_by_role("button", name="Spara en ny version").click()
    page.get_by_role("heading", name="SIP version 1 och 2").wait_for()
    axe_clean(page)
    table = page.get_by_role("table").inner_text()
    assert "Ring rehab vid fall" in table and "Petra Lund (arbetsterapeut)" in table
    assert "rehabiliteringsplan" in table and "2027-02-01" in table
    assert "Vad är viktigt för dig?" not in table  # unchanged parts are not listed
    page.get_by_role("link", name=f"Tillbaka till ärende {number}").click()
    page.get_by_role("link", name="vad som har ändrats sedan dess").click()
    page.get_by_role("heading", name="SIP version 1 och 2").wait_for()
    with unit_of_work() as s:
        sip = current_sip(s, case_of(s, GUSTAV))
    assert sip.version == 2 and sip.plan_b == "Ring rehab vid fall"


def test_a_member_who_may_not_plan_is_offered_no_form_and_refused_the_post(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    number = number_of_gustav()
    coordinator = signed_in(workspace, "hc-dsk1")
    html = coordinator.get(f"/cases/{number}").text
    assert "Revidera SIP:en" in html
    outsider = signed_in(workspace, "soc-bih")  # no care relationship with the case
    refused = outsider.post(f"/cases/{number}/sip/revise", data={
        "csrf": csrf_of(outsider.get("/").text), "what_matters": "x", "keep": ["hc-dsk1"],
        "next_follow_up": "2027-02-01"})
    assert refused.status_code == 403
    assert outsider.get(f"/cases/{number}/sip/compare?first=1&second=1").status_code == 403
    with unit_of_work() as s:
        assert len(s.exec(select(Sip).where(Sip.case_id == case_of(s, GUSTAV).id)).all()) == 1


def test_a_revision_that_changes_nothing_is_refused_with_the_reason(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    number = number_of_gustav()
    client = signed_in(workspace, "hc-dsk1")
    with unit_of_work() as s:
        sip = current_sip(s, case_of(s, GUSTAV))
        same = {"what_matters": sip.what_matters, "plan_b": sip.plan_b or "", "other_plans": "\n".join(sip.other_plans),
                "next_follow_up": sip.next_follow_up.isoformat()}
    from tests.usecases.test_sip_revision import version_codes
    answer = client.post(f"/cases/{number}/sip/revise", data={
        "csrf": csrf_of(client.get(f"/cases/{number}").text), "keep": sorted(version_codes(1)), **same})
    assert answer.status_code == 400 and "Revisionen ändrar ingenting" in answer.text
    with unit_of_work() as s:
        assert current_sip(s, case_of(s, GUSTAV)).version == 1
