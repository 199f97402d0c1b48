"""The placed child's case as staff need it: guardians and whether each may be involved, the
social secretary and the foster home, the placement and its law, and the hidden residence; the
SIP meeting invites only the guardian who may be involved, and says so."""

from __future__ import annotations

import re

import pendulum
import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, SipMeeting
from tests.web.test_journey import axe_clean
from tests.web.test_persons_plan import planned

ALVA = "20110914-9045"  # placed in a foster home under LVU; one guardian may not be involved


@pytest.mark.browser
def test_the_placed_childs_case_and_her_sip_meeting(workspace, page, sqlite_url, example_data):
    from tests.usecases.test_cycle import case_of

    number = planned(sqlite_url, example_data, pnr=ALVA)
    with unit_of_work() as s:
        coordinator = s.get(Member, case_of(s, ALVA).coordinator_id).code
    workspace.open_as(page, coordinator, f"/cases/{number}")
    page.wait_for_url(re.compile(f"/cases/{number}"))
    page.get_by_role("heading", name="Barnet: vårdnadshavare, placering och kontakter").wait_for()
    contacts = page.locator("ul.contacts").inner_text()
    assert "Placerad i familjehem enligt lagen med särskilda bestämmelser om vård av unga (LVU)." in \
        page.locator("main").inner_text()
    assert re.search(r"Mona Ulvsdotter.*får inte involveras", contacts)
    assert re.search(r"Rut Ekholm.*får involveras i barnets vård", contacts)
    assert "socialsekreterare: Hanna Wallin" in contacts and "Familjehemmet Skogsbyn" in contacts
    axe_clean(page)
    page.get_by_text("Boka ett SIP-möte").click()
    invite = page.get_by_label("Bjud in de vårdnadshavare som får involveras: Rut Ekholm")
    assert not invite.is_checked() and "Mona" not in page.locator("#book-sip-meeting").inner_text()
    assert page.get_by_text("Boendet är dolt för vårdnadshavarna").is_visible()
    invite.check()
    page.get_by_label("Datum och tid").fill(
        pendulum.instance(workspace.now()).in_timezone("Europe/Stockholm").add(days=3).format("YYYY-MM-DDTHH:mm"))
    page.get_by_label("Plats").fill("Socialkontoret")
    page.get_by_role("button", name="Boka mötet").click()
    page.get_by_role("status").get_by_text("SIP-mötet är bokat").wait_for()
    invited = page.locator("section.sip-meeting").inner_text()
    assert "de vårdnadshavare som får involveras (Rut Ekholm)" in invited and "Mona" not in invited
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(SipMeeting)).one().invite_guardians
