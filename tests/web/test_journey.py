"""The nurse's journey in a real browser: from the e-mail to "done" without a shell, and the
same for a follow-up; every page checked with axe-core for WCAG 2.1 AA."""

from __future__ import annotations

import email
import re

import pytest
from sqlmodel import select

from coordination.config.notifications import SweepPolicy
from coordination.notifications.delivery import deliver_pending
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, SweepNotice
from coordination.usecases import acting
from coordination.usecases.sweep import sweep
from tests.conftest import ADMIN, T0
from tests.notifications.test_delivery import personal_strings, set_targets
from tests.receivers import SmtpReceiver
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV = "19380214-2012"  # planned on 2026-11-16; the nurse hsv-ssk1's action was due 2026-11-17


def planned(url, data):
    open_and_plan(url, data)
    plan(GUSTAV)
    with unit_of_work() as s:
        acting.dispatch_actions(s, ADMIN, case=case_of(s, GUSTAV), now=T0)


def texts(message: dict) -> str:
    parsed = email.message_from_string(message["data"])
    parts = [p for p in parsed.walk() if p.get_content_type() in ("text/plain", "text/html")]
    return "\n".join(p.get_payload(decode=True).decode("utf-8", "replace") for p in parts)


def links(message: dict) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:\d+/[^\s<\"']*", texts(message))


def axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["nodes"][0]["html"]) for v in serious]


def run_sweep(now):
    with unit_of_work() as s:
        sweep(s, now=now, policy=SweepPolicy())
    deliver_pending(now=now)


def sign_in_from(page, smtp, workspace, link, code):
    """Open a link from an e-mail while signed out: the workspace asks who you are, sends a
    one-time link to your own channel, and that link brings you to the item."""
    page.goto(link)
    assert "/signin" in page.url
    axe_clean(page)
    page.get_by_label("Medlemskod").fill(code)
    before = len(smtp.messages)
    page.get_by_role("button", name="Skicka en inloggningslänk till mig").click()
    page.get_by_role("heading", name="Titta i dina meddelanden").wait_for()
    axe_clean(page)
    [signin_mail] = smtp.received(before + 1)[before:]  # sent once the page has answered
    [signin_link] = sorted({u for u in links(signin_mail) if "/signin/" in u})
    page.goto(signin_link)
    page.get_by_role("heading", name=re.compile("Logga in som")).wait_for()  # whose link it is, then the click
    axe_clean(page)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda url: "/signin/" not in url)
    return signin_link


@pytest.mark.browser
def test_from_the_digest_to_done_in_the_browser(workspace, page, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    with SmtpReceiver() as smtp:
        set_targets({"hsv-ssk1": [smtp.url("ssk@example.org")]})
        run_sweep(workspace.now())
        [digest] = [m for m in smtp.messages if "Dina samordningsärenden" in texts(m)]
        body = texts(digest)
        assert "åtgärd" in body and "sjuksköterska" in body  # Swedish, with the responsible role
        for secret in personal_strings(example_data):
            assert secret not in digest["data"]
        parsed = email.message_from_string(digest["data"])
        html_part = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
        plain_part = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
        assert '<a href="http://127.0.0.1:' in html_part.get_payload(decode=True).decode()  # real links
        plain = plain_part.get_payload(decode=True).decode()
        assert "\n" in plain and "Dina samordningsärenden" in plain.splitlines()[0]  # one line each
        [item] = sorted({u for u in links(digest) if "/actions/" in u})
        action_id = int(item.rsplit("/", 1)[1])

        used = sign_in_from(page, smtp, workspace, item, "hsv-ssk1")
        page.wait_for_url(re.compile(r"/cases/K-2026-\d+"))
        assert "#action-" in page.url
        case_number = re.search(r"K-2026-\d+", page.url).group(0)
        axe_clean(page)
        with unit_of_work() as s:
            description = s.get(Action, action_id).description
        assert page.locator(f"#action-{action_id}").get_by_text(description).is_visible()

        page.locator(f"#action-{action_id}").get_by_label("Anteckning (frivillig)").fill("Vikt kontrollerad")
        page.locator(f"#action-{action_id}").get_by_role("button", name="Markera som utförd").click()
        page.get_by_role("status").get_by_text("Åtgärden är markerad som utförd.").wait_for()
        with unit_of_work() as s:
            action = s.get(Action, action_id)
            assert action.status == "done" and action.completion_note == "Vikt kontrollerad"
            assert action.completed_by_id == action.responsible_id
        # the page says who marked it done (any member taking part may)
        assert page.locator(f"#action-{action_id}").get_by_text("Markerad som klar").is_visible()

        # the start page and the manager's page, also checked for accessibility
        page.goto(workspace.url + "/")
        page.get_by_role("heading", name="Mina ärenden").wait_for()
        # the cases the nurse takes part in, with their next step, under what is due
        mine = page.get_by_role("table", name="De öppna ärenden du deltar i, det närmaste nästa steget först")
        assert mine.get_by_role("link", name=case_number).is_visible()
        assert "deltar i SIP:en" in mine.inner_text() or "ansvarig för en åtgärd" in mine.inner_text()
        axe_clean(page)
        page.goto(workspace.url + "/manager")
        axe_clean(page)

        # the next sweep no longer tells anyone about the action that was done
        sent_before = len(smtp.messages)
        run_sweep(workspace.now())
        later = smtp.messages[sent_before:]
        assert not [m for m in later if f"/actions/{action_id}" in texts(m)]
        with unit_of_work() as s:
            notices = s.exec(select(SweepNotice).where(SweepNotice.item_kind == "action",
                                                       SweepNotice.item_id == action_id)).all()
        assert len({n.created_at for n in notices}) == 1

        # the sign-in link worked once: used again, it is refused
        page.goto(used)
        page.get_by_role("heading", name="Det kan du inte göra här").wait_for()
        axe_clean(page)


@pytest.mark.browser
def test_a_follow_up_recorded_in_the_browser_revises_the_sip(workspace, page, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    with SmtpReceiver() as smtp:
        set_targets({"hc-dsk1": [smtp.url("dsk@example.org")]})
        with unit_of_work() as s:
            number = case_of(s, GUSTAV).number
        workspace.open_as(page, "hc-dsk1", f"/cases/{number}")
        page.wait_for_url(re.compile(f"/cases/{number}"))
        page.get_by_label("Vad visade uppföljningen?").fill("Bättre, men behöver fortsatt stöd")
        page.get_by_label("Behov kvarstår: revidera SIP:en").check()
        page.get_by_label("Nästa uppföljning (när behov kvarstår)").fill("2027-03-01")
        page.get_by_label("Instämmer delvis").check()  # the person's own verdict, asked at the follow-up
        page.get_by_role("button", name="Registrera uppföljningen").click()
        page.get_by_role("status").get_by_text("Uppföljningen är registrerad.").wait_for()
        assert page.get_by_text("Personens svar: Instämmer delvis").is_visible()
        axe_clean(page)
        with unit_of_work() as s:
            case = case_of(s, GUSTAV)
            from coordination.usecases.acting import current_sip
            sip = current_sip(s, case)
        assert sip.version == 2 and str(sip.next_follow_up) == "2027-03-01"
        page.get_by_text("Tidigare versioner").click()
        assert page.get_by_text("Version 1").first.is_visible()
