"""A whole coordination meeting in a real browser: the leader opens the agenda, records the
attendance, two actions and a "needs a SIP", and closes the meeting; the responsible members are
told at once, and the minutes link in the message opens the minutes."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from sqlmodel import select

from coordination.config.teams import load_teams
from coordination.domain.calendar import local_date
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, Member, MeetingMinutes
from coordination.usecases import team_meeting_room
from coordination.usecases.common import actor_for
from tests.conftest import ROOT
from tests.notifications.test_delivery import personal_strings, set_targets
from tests.receivers import SmtpReceiver
from tests.usecases.test_cycle import open_and_plan
from tests.web.test_journey import axe_clean, links, sign_in_from, texts


def mails_to(smtp, address):
    return [m for m in smtp.messages if address in m["to"]]


@pytest.mark.browser
def test_a_whole_meeting_from_the_agenda_to_the_minutes(workspace, page, browser, sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    with unit_of_work() as s:
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-dsk1"), team, team.meetings[0], now=workspace.now())
        leader = s.get(Member, meeting.leader_id).code
    # the leader appoints another member: appointing oneself is no source of a relationship
    coordinator = "hc-dsk2" if leader == "hc-dsk1" else "hc-dsk1"
    follow_up = (local_date(workspace.now()) + dt.timedelta(days=14)).isoformat()
    with SmtpReceiver() as smtp:
        # the rotation may make the nurse or the coordinator the leader: they keep their own address
        set_targets({leader: [smtp.url("leader@example.org")], "hsv-ssk1": [smtp.url("ssk1@example.org")],
                     coordinator: [smtp.url("coordinator@example.org")]})
        workspace.open_as(page, leader, "/meetings")
        page.get_by_role("heading", name="Möten").wait_for()
        axe_clean(page)
        page.get_by_role("link", name="Samordningsteam Norrby: samordningsmöte").click()
        page.get_by_role("heading", name="4. Kort uppföljning av pågående ärenden").wait_for()
        assert f"/meetings/m/{meeting.id}" in page.url
        axe_clean(page)
        # the shared SBAR is on the agenda for the persons whose consent covers the leader
        sbar = page.locator("details", has_text="SBAR-överrapportering").first
        sbar.locator("summary").click()
        sbar.get_by_text("Situation").wait_for()

        page.get_by_label("Karin Berg (distriktssköterska): På plats").check()
        page.get_by_label("Maria Sund (sjuksköterska): Digitalt").check()
        page.get_by_role("button", name="Registrera närvaron").click()
        page.get_by_role("status").get_by_text("Närvaron är registrerad.").wait_for()

        for number, what in (("K-2026-0002", "Hembesök: bedöm behov av hjälpmedel"),
                             ("K-2026-0004", "Läkemedelsgenomgång med distriktssköterska")):
            case = page.locator(f"#case-{number}")
            case.get_by_label("Åtgärd", exact=True).fill(what)
            case.get_by_label("Ansvarig").select_option("hsv-ssk1")
            case.get_by_label("Handläggningstid").select_option("next_working_day")
            case.get_by_label("Datum för uppföljning").fill(follow_up)
            case.get_by_role("button", name="Registrera åtgärden").click()
            page.get_by_role("status").get_by_text("Åtgärden är registrerad och den ansvariga har fått besked.").wait_for()

        needs = page.locator("#sip-K-2026-0003")
        needs.get_by_label("Samordningsansvarig som kallar till SIP").select_option(coordinator)
        needs.get_by_role("button", name="Behöver SIP").click()
        page.get_by_role("status").get_by_text("Samordningsansvarig är utsedd och har fått besked.").wait_for()
        axe_clean(page)

        page.get_by_label("Sammanfattning av mötet").fill("Två åtgärder beslutade; SIP ska kallas för ett ärende.")
        page.get_by_role("button", name="Avsluta mötet och skicka protokollet").click()
        page.get_by_role("status").get_by_text("Mötet är avslutat och protokollet är skickat till teamet.").wait_for()
        assert page.get_by_text("Hembesök: bedöm behov av hjälpmedel").is_visible()
        axe_clean(page)

        # told at once, in Swedish, with case numbers and links only
        to_nurse = mails_to(smtp, "ssk1@example.org")
        assert sum("Åtgärd" in texts(m) and "/actions/" in texts(m) for m in to_nurse) == 2, [texts(m) for m in to_nurse]
        to_coordinator = mails_to(smtp, "coordinator@example.org")
        assert any("utsåg dig till samordningsansvarig" in texts(m) and "K-2026-0003" in texts(m)
                   for m in to_coordinator)
        [minutes_mail] = [m for m in to_coordinator if "Läs protokollet" in texts(m)]
        assert "Samordningsmötet för Samordningsteam Norrby" in texts(minutes_mail)
        assert "ledningsgrupp" not in texts(minutes_mail) + minutes_mail["data"]  # the team's, in body and subject
        assert "K-2026-0002" in texts(minutes_mail) and "K-2026-0004" in texts(minutes_mail)
        for secret in personal_strings(example_data) + ["Hembesök", "Läkemedelsgenomgång"]:
            assert not any(secret in m["data"] for m in smtp.messages), secret

        # the minutes link, opened by another member from the message
        [minutes_link] = sorted({u for u in links(minutes_mail) if "/minutes" in u})
        other = browser.new_context(locale="sv-SE").new_page()
        sign_in_from(other, smtp, workspace, minutes_link, coordinator)
        other.get_by_role("heading", name="Protokoll: Samordningsteam Norrby, samordningsmöte").wait_for()
        assert other.get_by_text("ledningsgrupp").count() == 0  # the team's minutes, not the leadership group's
        assert other.get_by_text("Läkemedelsgenomgång med distriktssköterska").is_visible()
        axe_clean(other)
        other.context.close()

    with unit_of_work() as s:
        assert len(s.exec(select(Action)).all()) == 2
        assert [m.version for m in s.exec(select(MeetingMinutes))] == [1]


@pytest.mark.browser
def test_the_leadership_group_meets_over_the_areas_figures(workspace, page, sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = team.leadership_group.series
    with unit_of_work() as s:
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "mas"), team.room(series), series, now=workspace.now())
        chair = s.get(Member, meeting.leader_id).code
    workspace.now.move_to(pendulum.instance(meeting.starts_at).add(minutes=5))  # decided at the meeting, on its day
    workspace.open_as(page, chair, "/meetings")
    page.get_by_role("link", name="Samordningsteam Norrby: lokal ledningsgrupp").click()
    page.get_by_role("heading", name="1. Områdets indikatorer och den lokala handlingsplanen").wait_for()
    assert page.get_by_role("row", name="SIP inom 14 dagar från identifiering (median)").is_visible()
    assert page.get_by_text("K-2026-").count() == 0  # figures, never persons
    axe_clean(page)
    page.get_by_label("Beslut", exact=True).fill("MAS ser över rutinen för läkemedelslistor vid utskrivning.")
    page.get_by_role("button", name="Registrera beslutet").click()
    page.get_by_role("status").get_by_text("Beslutet är registrerat.").wait_for()
    page.get_by_label("Sammanfattning av mötet").fill("Indikatorerna gicks igenom; en rutin ses över.")
    page.get_by_role("button", name="Avsluta mötet och skicka protokollet").click()
    page.get_by_role("heading", name="Protokoll: Samordningsteam Norrby, lokal ledningsgrupp").wait_for()
    assert page.get_by_text("MAS ser över rutinen").is_visible()
    axe_clean(page)


def test_taking_over_in_the_workspace_asks_why_tells_the_leader_and_shows_it(workspace, sqlite_url, example_data):
    from coordination.persistence.models import Meeting, Outbox
    from tests.web.test_security import csrf_of, signed_in

    open_and_plan(sqlite_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    with unit_of_work() as s:
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-dsk1"), team, team.meetings[0], now=workspace.now())
        leader = s.get(Member, meeting.leader_id)
    other = "hsv-ssk2" if leader.code != "hsv-ssk2" else "hsv-ssk1"
    client = signed_in(workspace, other)
    page = client.get(f"/meetings/m/{meeting.id}")
    assert "Varför tar du över?" in page.text
    refused = client.post(f"/meetings/m/{meeting.id}/take-over", data={"csrf": csrf_of(page.text), "reason": " "})
    assert refused.status_code == 400
    with unit_of_work() as s:
        assert s.get(Meeting, meeting.id).leader_id == leader.id
    taken = client.post(f"/meetings/m/{meeting.id}/take-over", data={"csrf": csrf_of(page.text),
                                                                     "reason": "Ledaren är på kurs"})
    assert taken.status_code == 200 and "Du leder mötet nu." in taken.text
    assert f"tog över från {leader.name}: Ledaren är på kurs" in taken.text
    with unit_of_work() as s:
        [told] = s.exec(select(Outbox).where(Outbox.kind == "leadership_taken_over")).all()
        assert told.member_id == leader.id and "kurs" not in told.body
    with unit_of_work() as s:  # once closed, a take-over is refused on the error page, saying why
        team_meeting_room.save_summary(s, actor_for(s, other), team, meeting.id, "Inga nya ärenden.", now=workspace.now())
        team_meeting_room.close_meeting(s, actor_for(s, other), team, meeting.id, now=workspace.now())
    closed = client.post(f"/meetings/m/{meeting.id}/take-over", data={"csrf": csrf_of(page.text),
                                                                      "reason": "Ledaren är sjuk"})
    assert closed.status_code == 400
    assert "Det här är redan gjort eller inte längre öppet. Inget sparades." in " ".join(closed.text.split())


@pytest.mark.browser
def test_section_four_follows_up_an_ongoing_case_and_the_minutes_say_so(workspace, page, sqlite_url, example_data):
    """The manual's section 4: the leader decides about an ongoing case (here: the coordinator
    revises the SIP with the person), and adds an action; only on the meeting's day."""
    from coordination.persistence.models import MeetingDecision
    from tests.web.test_journey import GUSTAV, case_of, planned
    from tests.web.test_security import csrf_of, signed_in

    planned(sqlite_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-dsk1"), team, team.meetings[0],
                                                    now=workspace.now())
        leader, meeting_id, starts = s.get(Member, meeting.leader_id).code, meeting.id, meeting.starts_at
    early = signed_in(workspace, leader)  # before the meeting's day: refused, nothing written
    if local_date(workspace.now()) < meeting.date:
        refused = early.post(f"/meetings/m/{meeting_id}/follow-up", data={
            "csrf": csrf_of(early.get(f"/meetings/m/{meeting_id}").text), "case": number, "verdict": "revise"})
        assert refused.status_code == 400
    workspace.now.move_to(pendulum.instance(starts).add(minutes=5))
    workspace.open_as(page, leader, f"/meetings/m/{meeting_id}")
    section = page.locator(f"#ongoing-{number}")
    section.get_by_label("Samordningsansvarig reviderar SIP:en med personen").check()
    section.get_by_label("Vad mötet noterade (valfritt)").fill("Gångträningen behöver ändras")
    section.get_by_role("button", name="Registrera uppföljningen").click()
    page.get_by_role("status").get_by_text("Uppföljningen är registrerad.").wait_for()
    axe_clean(page)
    with unit_of_work(read_only=True) as s:
        [decided] = s.exec(select(MeetingDecision).where(MeetingDecision.kind == "follow_up")).all()
        assert (decided.case_number, decided.verdict, decided.text) == (number, "revise", "Gångträningen behöver ändras")
    page.get_by_label("Sammanfattning av mötet").fill("Pågående ärenden följdes upp.")
    page.get_by_role("button", name="Avsluta mötet och skicka protokollet").click()
    page.get_by_role("heading", name="Protokoll: Samordningsteam Norrby, samordningsmöte").wait_for()
    assert page.get_by_text("följdes upp: revidera SIP:en; Gångträningen behöver ändras").is_visible()


def test_opening_a_series_page_writes_nothing_and_the_meeting_is_opened_by_a_form(workspace, sqlite_url,
                                                                                  example_data):
    from coordination.persistence.models import Meeting
    from tests.web.test_security import csrf_of, signed_in

    open_and_plan(sqlite_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = team.meetings[0]
    client = signed_in(workspace, "hc-dsk1")
    page = client.get(f"/meetings/{series.id}")
    assert page.status_code == 200 and "Nästa möte är" in page.text
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(Meeting)).all() == []  # a page that reads never writes
    opened = client.post(f"/meetings/{series.id}/open", data={"csrf": csrf_of(page.text)})
    assert opened.status_code == 200 and "/meetings/m/" in str(opened.url)
    with unit_of_work(read_only=True) as s:
        [meeting] = s.exec(select(Meeting)).all()
    assert client.get(f"/meetings/{series.id}", follow_redirects=False).headers["location"] == f"/meetings/m/{meeting.id}"
    outsider = signed_in(workspace, "mar")
    assert outsider.get(f"/meetings/{series.id}").status_code == 403
