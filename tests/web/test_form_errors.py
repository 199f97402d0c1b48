"""A refused form is given back: the reason in Swedish beside the field, what was typed kept,
nothing written. Forms are offered only when they can be accepted (the SIP meeting's answer
after the meeting). In the browser, with axe."""

from __future__ import annotations

import re

import pendulum
import pytest
from sqlmodel import func, select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import SignalRecord, SipMeeting, UnregisteredSignal
from tests.conftest import load_area
from tests.web.test_journey import axe_clean
from tests.web.test_persons_plan import planned
from tests.web.test_security import csrf_of, signed_in

WRONG_CHECK_DIGIT = "19380214-2013"


def count(model) -> int:
    with unit_of_work(read_only=True) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def local(workspace, **shift) -> str:
    return pendulum.instance(workspace.now()).in_timezone("Europe/Stockholm").add(**shift).format("YYYY-MM-DDTHH:mm")


@pytest.mark.browser
def test_a_wrong_check_digit_is_said_beside_the_field_and_the_form_kept(workspace, page, sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    before = count(SignalRecord) + count(UnregisteredSignal)
    workspace.open_as(page, "hc-dsk1", "/signals")
    page.get_by_label("Personnummer").fill(WRONG_CHECK_DIGIT)
    page.get_by_label("Vad såg du?").select_option("concern_raised")
    page.get_by_role("button", name="Rapportera signalen").click()
    page.get_by_role("heading", name="Kontrollera och skicka igen").wait_for()
    field = page.get_by_label("Personnummer")
    assert field.input_value() == WRONG_CHECK_DIGIT and field.get_attribute("aria-invalid") == "true"
    said = page.locator(f"#{field.get_attribute('aria-describedby')}").inner_text()
    assert "Kontrollsiffran stämmer inte" in said
    assert page.get_by_label("Vad såg du?").input_value() == "concern_raised"  # the rest kept too
    assert count(SignalRecord) + count(UnregisteredSignal) == before  # nothing written
    assert WRONG_CHECK_DIGIT not in page.url
    axe_clean(page)
    field.fill("19380214-2012")  # corrected, and sent again from the same page
    page.get_by_role("button", name="Skicka igen").click()
    page.get_by_role("status").get_by_text("Signalen är rapporterad.").wait_for()
    assert count(SignalRecord) + count(UnregisteredSignal) == before + 1


@pytest.mark.browser
def test_a_sip_meeting_booked_in_the_past_is_given_back_and_the_answer_waits_for_the_meeting(
        workspace, page, sqlite_url, example_data):
    number = planned(sqlite_url, example_data)
    workspace.open_as(page, "hc-dsk1", f"/cases/{number}")
    page.get_by_text("Boka ett SIP-möte").click()
    page.get_by_label("Datum och tid").fill(local(workspace, days=-1))
    page.get_by_label("Plats").fill("Hälsocentralen")
    page.get_by_role("button", name="Boka mötet").click()
    page.get_by_role("heading", name="Kontrollera och skicka igen").wait_for()
    when = page.get_by_label("Datum och tid")
    assert "Boka mötet till en tid efter nu." in page.locator(f"#{when.get_attribute('aria-describedby')}").inner_text()
    assert page.get_by_label("Plats").input_value() == "Hälsocentralen" and count(SipMeeting) == 0
    axe_clean(page)
    when.fill(local(workspace, days=2))
    page.get_by_role("button", name="Skicka igen").click()
    page.get_by_role("status").get_by_text("SIP-mötet är bokat").wait_for()
    # before the meeting no answer form is offered; one posted anyway is refused with the time
    assert page.get_by_role("button", name="Registrera svaret").count() == 0
    assert page.get_by_text("Personens svar registreras här efter mötet").is_visible()
    with unit_of_work(read_only=True) as s:
        meeting = s.exec(select(SipMeeting)).one().id
    client = signed_in(workspace, "hc-dsk1")
    early = client.post(f"/sip-meetings/{meeting}/outcome", data={
        "csrf": csrf_of(client.get(f"/cases/{number}").text), "answer": "agreed", "answered_by": "person",
        "agreement": "Viktkontroll", "agreed_time": local(workspace, days=9)})
    assert early.status_code == 400 and "Mötet hålls inte förrän" in early.text
    assert re.search(r'value="Viktkontroll"|>Viktkontroll<', early.text)  # what was typed is kept
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(SipMeeting)).one().answer is None
