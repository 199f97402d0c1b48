"""The workspace's report forms: a signal about a person (the personnummer stays in the form's body,
never in a URL or a log), a deviation a manager then closes, and a question taken to the MAS who
answers it. Every form is refused where the policy refuses it."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Deviation, Escalation, SignalRecord
from tests.conftest import load_area
from tests.usecases.test_cycle import case_of, open_and_plan, plan
from tests.web.test_journey import axe_clean
from tests.web.test_security import csrf_of, signed_in

GUSTAV = "19380214-2012"
KJELL = "19551028-7195"  # one emergency visit, no case


def test_a_signal_reported_in_the_workspace_is_kept_for_screening(workspace, sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    client = signed_in(workspace, "hc-dsk1")
    page = client.get("/signals").text
    assert "Rapportera en signal" in page and "besök på akutmottagning" in page
    answer = client.post("/signals", data={"csrf": csrf_of(page), "personnummer": KJELL, "kind": "emergency_visit",
                                           "occurred_on": "2026-11-16"})
    assert answer.status_code == 200 and "Signalen är rapporterad." in answer.text
    assert KJELL not in str(answer.url) and KJELL not in answer.text
    with unit_of_work() as s:
        latest = s.exec(select(SignalRecord).order_by(SignalRecord.id.desc())).first()
        assert str(latest.kind) == "emergency_visit" and str(latest.occurred_on) == "2026-11-16"


@pytest.mark.parametrize("data, status", [
    ({"personnummer": "19551028-7190", "kind": "emergency_visit"}, 400),  # a wrong check digit
    ({"personnummer": KJELL, "kind": "rumour"}, 400),
    ({"personnummer": KJELL, "kind": "school_absence", "days": "0"}, 400),
    ({"personnummer": KJELL, "kind": "emergency_visit", "occurred_on": "2099-01-01"}, 400),
])
def test_a_bad_signal_is_refused_and_writes_nothing(workspace, sqlite_url, example_data, data, status):
    load_area(sqlite_url, example_data)
    with unit_of_work() as s:
        before = len(s.exec(select(SignalRecord)).all())
    client = signed_in(workspace, "hc-dsk1")
    answer = client.post("/signals", data={"csrf": csrf_of(client.get("/signals").text), **data})
    assert answer.status_code == status
    with unit_of_work() as s:
        assert len(s.exec(select(SignalRecord)).all()) == before


def test_forms_are_refused_to_someone_not_taking_part(workspace, sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    outsider = signed_in(workspace, "soc-bih")
    token = csrf_of(outsider.get("/").text)
    assert outsider.post(f"/cases/{number}/deviations", data={
        "csrf": token, "description": "x", "responsible": "hc-dsk1"}).status_code == 403
    assert outsider.post(f"/cases/{number}/escalations", data={
        "csrf": token, "level": "mas", "reason": "x"}).status_code == 403
    with unit_of_work() as s:
        assert s.exec(select(Deviation)).all() == [] and s.exec(select(Escalation)).all() == []


@pytest.mark.browser
def test_a_deviation_reported_in_the_browser_is_closed_by_the_manager(workspace, page, sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    workspace.open_as(page, "hsv-ssk1", f"/cases/{number}")
    page.wait_for_url(re.compile(f"/cases/{number}"))
    page.get_by_text("Rapportera en avvikelse").click()
    page.get_by_label("Vad var överenskommet, och vad blev inte av?").fill("Ingen återrapport efter hembesöket")
    page.get_by_label("Vem som är ansvarig (när ingen åtgärd anges)").select_option(label="Karin Berg (distriktssköterska)")
    page.get_by_role("button", name="Rapportera avvikelsen").click()
    page.get_by_role("status").get_by_text("Avvikelsen är rapporterad").wait_for()
    axe_clean(page)
    page.get_by_text("Lyft en fråga vidare").click()
    page.get_by_label("Till", exact=True).select_option(label="medicinskt ansvarig sjuksköterska (MAS)")
    page.get_by_label("Frågan eller oenigheten, och vad som har prövats").fill("Vem ansvarar för såromläggningen?")
    page.get_by_role("button", name="Lyft frågan").click()
    page.get_by_role("status").get_by_text("Frågan är lyft vidare").wait_for()

    manager = page.context.browser.new_context(locale="sv-SE").new_page()
    workspace.open_as(manager, "hc-chef", "/manager")
    manager.wait_for_url(re.compile("/manager"))
    assert manager.get_by_text("Ingen återrapport efter hembesöket").is_visible()
    axe_clean(manager)
    manager.get_by_label("Vad gjordes åt det?").fill("Rutinen är genomgången med teamet")
    manager.get_by_role("button", name="Avsluta").click()
    manager.get_by_role("status").get_by_text("Avvikelsen är avslutad.").wait_for()
    assert manager.get_by_text("Rutinen är genomgången med teamet").is_visible()

    mas = page.context.browser.new_context(locale="sv-SE").new_page()
    workspace.open_as(mas, "mas", f"/cases/{number}")
    mas.wait_for_url(re.compile(f"/cases/{number}"))
    mas.get_by_label("Ditt svar").fill("Kommunens sjuksköterska ansvarar")
    mas.get_by_role("button", name="Skicka svaret").click()
    mas.get_by_role("status").get_by_text("Svaret är registrerat").wait_for()
    axe_clean(mas)
    with unit_of_work() as s:
        assert s.exec(select(Deviation)).one().closed_at is not None
        assert s.exec(select(Escalation)).one().answer == "Kommunens sjuksköterska ansvarar"


def test_a_manager_outside_the_consent_sees_that_a_deviation_concerns_the_unit_and_closes_it(workspace, sqlite_url,
                                                                                           example_data):
    """Hanna's consent does not cover rehab-norrby: its manager's page lists the deviation with the
    case number only (no link to a case she may not open, nothing of what was reported), and she
    closes it."""
    from coordination.usecases import deviations
    from coordination.usecases.common import actor_for, member_by_code

    open_and_plan(sqlite_url, example_data)
    plan("19410605-2386")
    with unit_of_work() as s:
        case = case_of(s, "19410605-2386")
        deviation_id = deviations.report_deviation(
            s, actor_for(s, "hc-dsk1"), case=case, now=workspace.now(), description="Hembesöket uteblev",
            responsible=member_by_code(s, "rehab-ft"))
        number = case.number
    chef = signed_in(workspace, "rehab-chef")
    page = chef.get("/manager")
    assert page.status_code == 200 and number in page.text
    assert "En avvikelse gäller din enhet" in page.text and "Hembesöket" not in page.text
    assert f'href="/cases/{number}"' not in page.text
    closed = chef.post(f"/deviations/{deviation_id}/close", data={"csrf": csrf_of(page.text), "note": "Genomgång"})
    assert closed.status_code == 200 and "Avvikelsen är avslutad." in closed.text
    with unit_of_work() as s:
        assert s.get(Deviation, deviation_id).closed_at is not None


def _nurse_on_gustavs_case(workspace, sqlite_url, example_data):
    """Gustav's planned case, and his nurse signed in with her form token."""
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    nurse = signed_in(workspace, "hsv-ssk1")
    return number, nurse, csrf_of(nurse.get(f"/cases/{number}").text)


def test_what_a_request_queued_is_delivered_when_it_is_committed(workspace, sqlite_url, example_data):
    """The page says the manager was told: with only the workspace running (no delivery run), the
    message has reached the manager's channel by the time the page answers. A channel that is
    down leaves the row pending for the scheduled delivery, and the report stands."""
    from coordination.domain.vocabulary import OutboxStatus
    from coordination.persistence.models import Outbox
    from tests.notifications.test_delivery import set_targets
    from tests.receivers import HttpReceiver

    number, nurse, token = _nurse_on_gustavs_case(workspace, sqlite_url, example_data)
    with HttpReceiver() as manager_inbox:
        set_targets({"hc-chef": [manager_inbox.url()]})
        told = nurse.post(f"/cases/{number}/deviations", data={
            "csrf": token, "description": "Ingen återrapport", "responsible": "hc-dsk1"})
        assert told.status_code == 200 and "Avvikelsen är rapporterad" in told.text
        assert len(manager_inbox.received) == 1 and number in str(manager_inbox.received[0])
        assert "Ingen återrapport" not in str(manager_inbox.received[0])  # the case number only

        manager_inbox.fail_next(10)
        down = nurse.post(f"/cases/{number}/deviations", data={
            "csrf": token, "description": "Inget hembesök", "responsible": "hc-dsk1"})
        assert down.status_code == 200 and "Avvikelsen är rapporterad" in down.text
    with unit_of_work() as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "deviation_reported").order_by(Outbox.id)).all()
        assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.PENDING]
        assert rows[1].attempts == 1 and len(s.exec(select(Deviation)).all()) == 2


def test_free_text_past_its_limit_is_refused_and_writes_nothing(workspace, sqlite_url, example_data):
    """A million characters in a form field is a 400 naming the field, not a case page of megabytes."""
    from coordination.usecases.commands import TEXT_LIMIT

    number, nurse, token = _nurse_on_gustavs_case(workspace, sqlite_url, example_data)
    for text in ("x" * 1_000_000, "x" * (TEXT_LIMIT + 1)):
        refused = nurse.post(f"/cases/{number}/deviations", data={"csrf": token, "description": text,
                                                                 "responsible": "hc-dsk1"})
        assert refused.status_code == 400 and len(refused.text) < 100_000
    assert nurse.post(f"/cases/{number}/deviations", data={
        "csrf": token, "description": "x" * TEXT_LIMIT, "responsible": "hc-dsk1"}).status_code == 200
    with unit_of_work() as s:
        assert len(s.exec(select(Deviation)).all()) == 1


def test_the_page_says_told_only_when_the_message_was_delivered(workspace, sqlite_url, example_data):
    """The manager's address answers: "told". It does not: the page says the message is on its
    way, and the message stays pending for the scheduled delivery."""
    from coordination.persistence.models import Outbox
    from tests.notifications.test_delivery import set_targets
    from tests.receivers import SmtpReceiver

    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    with SmtpReceiver() as smtp:
        up = smtp.url("chef@example.org")
        set_targets({"hc-chef": [up]})
        client = signed_in(workspace, "hsv-ssk1")
        told = client.post(f"/cases/{number}/deviations", data={
            "csrf": csrf_of(client.get(f"/cases/{number}").text), "description": "Inget hembesök",
            "responsible": "hc-dsk1"})
        assert told.status_code == 200 and "told=0" not in str(told.url) and smtp.messages
        assert "kunde inte levereras ännu" not in told.text
    set_targets({"hc-chef": [up]})  # the same address, now closed
    down = client.post(f"/cases/{number}/deviations", data={
        "csrf": csrf_of(client.get(f"/cases/{number}").text), "description": "Inget nytt hembesök",
        "responsible": "hc-dsk1"})
    assert down.status_code == 200 and "told=0" in str(down.url)
    assert "Ett meddelande om detta kunde inte levereras ännu" in down.text
    with unit_of_work(read_only=True) as s:
        kept = s.exec(select(Outbox).where(Outbox.kind == "deviation_reported").order_by(Outbox.id)).all()
        assert [str(o.status) for o in kept] == ["sent", "pending"]  # the second waits for its retry
