"""The person's own SIP (seed 000: "SIP är personens plan"): a page to print and a PDF, in plain
Swedish (or English), written to the person. Printed by someone taking part in the plan, audited,
with no address, and for a protected identity nothing that locates the person."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent
from coordination.usecases import acting
from tests.conftest import ADMIN, T0
from tests.usecases.test_cycle import case_of, open_and_plan, plan
from tests.web.test_journey import axe_clean
from tests.web.test_security import signed_in

GUSTAV = "19380214-2012"
LINNEA = "19830407-8309"  # protected identity


def planned(url, data, pnr=GUSTAV) -> str:
    open_and_plan(url, data)
    plan(pnr)
    with unit_of_work() as s:
        acting.dispatch_actions(s, ADMIN, case=case_of(s, pnr), now=T0)
        return case_of(s, pnr).number


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_plan_says_what_matters_who_does_what_whom_to_call_plan_b_and_the_next_follow_up(
        workspace, sqlite_url, example_data):
    number = planned(sqlite_url, example_data)
    html = signed_in(workspace, "hc-dsk1").get(f"/cases/{number}/sip/person").text
    assert "Min samordnade individuella plan (SIP)" in html
    assert "Det här är viktigt för mig" in html and "Att klara mig hemma med min hund" in html
    assert "Vem gör vad, och när" in html and "Viktkontroll två gånger i veckan" in html
    assert "Min samordningsansvariga" in html and "Karin Berg" in html and "Telefon 0950-123 01" in html
    assert "Min fasta vårdkontakt" in html
    assert "Om något händer (plan B)" in html and "kontakta hälsocentralen samma dag" in html
    assert "Mina andra planer" in html and "läkemedelsplan" in html
    assert "Nästa uppföljning" in html
    assert "Storgatan 1" not in html and "070-1000001" not in html  # never the address, nor the person's phone


def test_the_pdf_holds_the_same_plan_and_its_name_holds_no_personal_data(workspace, sqlite_url, example_data):
    number = planned(sqlite_url, example_data)
    response = signed_in(workspace, "hc-dsk1").get(f"/cases/{number}/sip/person?format=pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(rf'attachment; filename="SIP-{number}-v1\.pdf"', response.headers["content-disposition"])
    assert response.headers["cache-control"] == "no-store"
    text = pdf_text(response.content)
    assert "Min samordnade individuella plan" in text and "Att klara mig hemma med min hund" in text
    assert "Storgatan" not in text
    english = pdf_text(signed_in(workspace, "hc-dsk1").get(f"/cases/{number}/sip/person?format=pdf&lang=en").content)
    assert "What matters to me" in english


def test_a_protected_identity_is_printed_with_nothing_that_locates_the_person(workspace, sqlite_url, example_data):
    number = planned(sqlite_url, example_data, LINNEA)
    html = signed_in(workspace, "hc-dsk1").get(f"/cases/{number}/sip/person").text
    assert "Hemlig adress" not in html and "070-1000018" not in html


def test_only_a_participant_prints_it_and_every_print_is_audited(workspace, sqlite_url, example_data):
    number = planned(sqlite_url, example_data)
    assert signed_in(workspace, "soc-bih").get(f"/cases/{number}/sip/person").status_code == 403
    assert signed_in(workspace, "soc-bih").get(f"/cases/{number}/sip/person?format=pdf").status_code == 403
    signed_in(workspace, "hc-dsk1").get(f"/cases/{number}/sip/person?format=pdf")
    with unit_of_work() as s:
        printed = s.exec(select(AuditEvent).where(AuditEvent.action == "print")).all()
    assert [(e.actor, e.record_type, e.record_id) for e in printed] == [("hc-dsk1", "sip", f"{number} v1")]


@pytest.mark.browser
def test_book_a_sip_meeting_record_the_agreement_and_print_the_plan_in_the_browser(
        workspace, page, sqlite_url, example_data):
    import pendulum

    from coordination.persistence.models import SipMeeting

    number = planned(sqlite_url, example_data)
    workspace.open_as(page, "hc-dsk1", f"/cases/{number}")
    page.wait_for_url(re.compile(f"/cases/{number}"))
    page.get_by_text("Boka ett SIP-möte").click()
    axe_clean(page)
    page.get_by_label("Datum och tid").fill(pendulum.instance(workspace.now()).in_timezone("Europe/Stockholm").add(days=2).format("YYYY-MM-DDTHH:mm"))
    page.get_by_label("Plats").fill("Hälsocentralen")
    assert page.get_by_text("Närstående bjuds inte in").is_visible()  # no consent to involve them
    page.get_by_role("button", name="Boka mötet").click()
    page.get_by_role("status").get_by_text("SIP-mötet är bokat").wait_for()
    with unit_of_work() as s:  # the meeting is held: move it into the past
        meeting = s.exec(select(SipMeeting)).one()
        meeting.scheduled_for = pendulum.instance(workspace.now()).subtract(hours=1)
        s.add(meeting)
    page.reload()
    page.get_by_label("Ja, planen är godkänd").check()
    page.get_by_label("Vad som överenskoms (vid ja)").fill("Viktkontroll och gångträning enligt planen")
    page.get_by_label("Nästa kontakt som överenskoms med personen (vid ja)").fill(
        pendulum.instance(workspace.now()).in_timezone("Europe/Stockholm").add(days=9).format("YYYY-MM-DDTHH:mm"))
    page.get_by_role("button", name="Registrera svaret").click()
    page.get_by_role("status").get_by_text("Överenskommelsen och patientkontraktet är registrerade.").wait_for()
    axe_clean(page)
    for part in ("Överenskommelse", "Fast vårdkontakt", "Sammanhållen plan", "Överenskommen tid"):
        assert page.locator("dt", has_text=part).first.is_visible()
    page.get_by_role("link", name="läs och skriv ut").click()
    page.get_by_role("heading", name="Min samordnade individuella plan (SIP)").wait_for()
    assert page.get_by_text("Vi har kommit överens om planen tillsammans med dig.").is_visible()
    axe_clean(page)


def test_every_answer_carries_a_policy_that_lets_nothing_run_and_nothing_be_sniffed_or_framed(
        workspace, sqlite_url, example_data, monkeypatch):
    """Pages, the PDF, a redirect and the stylesheet: `nosniff`, no referrer, and a Content
    Security Policy with no script, no inline style but the page's own nonce, and no framing."""
    import httpx

    number = planned(sqlite_url, example_data)
    nurse = signed_in(workspace, "hc-dsk1")
    answers = {
        "sign-in page": httpx.get(f"{workspace.url}/signin"),
        "redirect to sign in": httpx.get(f"{workspace.url}/", follow_redirects=False),
        "stylesheet": httpx.get(f"{workspace.url}/static/style.css"),
        "case page": nurse.get(f"/cases/{number}"),
        "the person's plan": nurse.get(f"/cases/{number}/sip/person"),
        "its PDF": nurse.get(f"/cases/{number}/sip/person?format=pdf"),
        "refused": signed_in(workspace, "soc-bih").get(f"/cases/{number}"),
    }
    for what, answer in answers.items():
        policy = answer.headers.get("content-security-policy", "")
        assert answer.headers.get("x-content-type-options") == "nosniff", what
        assert answer.headers.get("referrer-policy") == "no-referrer", what
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, what
        assert "unsafe-inline" not in policy and "script-src" not in policy, what
    plan_page = answers["the person's plan"]
    nonce = re.search(r"'nonce-([^']+)'", plan_page.headers["content-security-policy"]).group(1)
    assert f'<style nonce="{nonce}">' in plan_page.text  # its print styles, and only they, may apply
    assert answers["its PDF"].headers["content-type"] == "application/pdf"
    assert not any("strict-transport-security" in a.headers for a in answers.values())  # plain http here
    monkeypatch.setenv("COORDINATION_WEB_URL", "https://samordning.example.se")  # behind a TLS proxy
    for answer in (httpx.get(f"{workspace.url}/signin"), nurse.get(f"/cases/{number}/sip/person?format=pdf")):
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
