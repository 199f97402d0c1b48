"""The workspace's locks, over real HTTP on loopback: CSRF, one-time links, idle sessions,
sign-out and revocation, the access policy on every page and form, and no personal data in
URLs or the server's logs."""

from __future__ import annotations

import datetime as dt
import logging
import re

import httpx
import pytest
from sqlmodel import delete, select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, AuditEvent, Member, SignInLink
from coordination.usecases import signin
from tests.notifications.test_delivery import personal_strings
from tests.web.test_journey import GUSTAV, case_of, planned


def signed_in(workspace, code: str) -> httpx.Client:
    client = httpx.Client(base_url=workspace.url, follow_redirects=True, timeout=20)
    response = confirm(client, workspace.link_for(code))
    assert response.status_code == 200, response.text[:300]
    return client


def confirm(client: httpx.Client, link: str, **kw) -> httpx.Response:
    """What a member does with a link: open its page, and press the button that signs in."""
    page = client.get(link)
    assert page.status_code == 200 and "Logga in som" in page.text, page.text[:300]
    return client.post(link, data={"csrf": csrf_of(page.text)}, **kw)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def gustav(s):
    case = case_of(s, GUSTAV)
    action = s.exec(select(Action).where(Action.case_id == case.id, Action.due_date != None)).first()  # noqa: E711
    return case.number, action.id


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number, action_id = gustav(s)
    client = signed_in(workspace, "hsv-ssk1")
    refused = client.post(f"/actions/{action_id}/done", data={"note": "x"})
    assert refused.status_code == 403 and "Formuläret hade gått ut" in refused.text
    wrong = client.post(f"/actions/{action_id}/done", data={"note": "x", "csrf": "forged"})
    assert wrong.status_code == 403
    with unit_of_work() as s:
        assert s.get(Action, action_id).status == "assigned"
    page = client.get(f"/cases/{number}")
    done = client.post(f"/actions/{action_id}/done", data={"note": "", "csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "Åtgärden är markerad som utförd." in done.text  # positive control


def fresh() -> httpx.Client:
    return httpx.Client(follow_redirects=False, timeout=20)


def test_a_used_or_expired_sign_in_link_is_refused(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    link = workspace.link_for("hsv-ssk1")
    first = confirm(fresh(), link)
    assert first.status_code == 303 and "coord_session" in first.headers["set-cookie"]
    assert "HttpOnly" in first.headers["set-cookie"] and "samesite=lax" in first.headers["set-cookie"].lower()
    again = fresh().get(link)
    assert again.status_code == 403 and "coord_session" not in again.headers.get("set-cookie", "")
    assert "redan använd, har gått ut" in again.text  # says what is wrong with the link
    expired = workspace.link_for("hsv-ssk1")
    with unit_of_work() as s:
        row = s.get(SignInLink, int(expired.rsplit("/", 1)[1].split(".")[0]))
        row.expires_at = workspace.now() - dt.timedelta(seconds=1)
        s.add(row)
    assert fresh().get(expired).status_code == 403
    forged = workspace.link_for("hsv-ssk1")
    tampered = forged[:-4] + ("0000" if not forged.endswith("0000") else "1111")
    assert fresh().get(tampered).status_code == 403
    for malformed in ("x", "1.a", "99999999999999999999999.a.b", "1.å.ø", "%C3%A5.%C3%A5.%C3%A5"):
        assert fresh().get(f"{workspace.url}/signin/{malformed}").status_code == 403, malformed
    assert confirm(fresh(), forged).status_code == 303  # the untampered one works


def test_a_link_signs_in_only_on_its_pages_button(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    link = workspace.link_for("hsv-ssk1")
    for _ in range(3):  # a mail scanner opening the link, however often, signs nobody in
        scanned = fresh().get(link)
        assert scanned.status_code == 200 and "coord_session" not in scanned.headers.get("set-cookie", "")
        assert "Logga in som Maria Sund?" in scanned.text and scanned.headers["cache-control"] == "no-store"
    with unit_of_work() as s:
        assert s.get(SignInLink, int(link.rsplit("/", 1)[1].split(".")[0])).used_at is None
    # posted from elsewhere (no pre-sign-in cookie and token): refused, the link unspent
    assert fresh().post(link, data={"csrf": "forged"}).status_code == 403
    assert confirm(fresh(), link).status_code == 303


def test_the_header_says_whose_session_it_is(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    page = signed_in(workspace, "hsv-ssk1").get("/")
    assert "Inloggad som Maria Sund" in page.text


def test_a_new_link_replaces_the_older_ones_and_a_flood_gets_nothing(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    older = workspace.link_for("hsv-ssk1")
    newer = workspace.link_for("hsv-ssk1")
    assert fresh().get(older).status_code == 403 and fresh().get(newer).status_code == 200
    with unit_of_work() as s:
        s.exec(delete(SignInLink))
    client = httpx.Client(base_url=workspace.url, follow_redirects=True, timeout=20)
    form = client.get("/signin")
    for _ in range(12):  # the same code, again and again
        sent = client.post("/signin", data={"code": "hsv-ssk1", "csrf": csrf_of(form.text)})
        assert sent.status_code == 200 and "Titta i dina meddelanden" in sent.text  # the same answer each time
    with unit_of_work() as s:
        links = s.exec(select(SignInLink)).all()
        throttled = s.exec(select(AuditEvent).where(AuditEvent.action == "sign_in:throttled")).all()
    assert len(links) == 3 and len([x for x in links if x.expires_at > workspace.now()]) == 1
    assert len(throttled) == 7  # the address was cut off after ten requests; three got links
    other = client.post("/signin", data={"code": "hc-dsk1", "csrf": csrf_of(form.text)})
    assert other.status_code == 200  # the same answer, and nothing for this address for a while
    with unit_of_work() as s:
        assert not s.exec(select(SignInLink).where(SignInLink.member_id != links[0].member_id)).all()


def test_a_session_ends_after_a_working_day_however_busy_and_a_member_keeps_a_few(workspace, sqlite_url,
                                                                                  example_data, monkeypatch):
    planned(sqlite_url, example_data)
    client = signed_in(workspace, "hsv-ssk1")
    assert client.get("/").url.path == "/"
    monkeypatch.setenv("COORDINATION_SESSION_HOURS", "0")  # every session is now older than its lifetime
    assert client.get("/").url.path == "/signin"
    monkeypatch.delenv("COORDINATION_SESSION_HOURS")
    clients = [signed_in(workspace, "hsv-ssk1") for _ in range(signin.SESSIONS_PER_MEMBER + 1)]
    assert clients[0].get("/").url.path == "/signin"  # the sixth device ended the first's session
    assert all(c.get("/").url.path == "/" for c in clients[1:])


def test_an_idle_session_expires_and_sign_out_revokes(workspace, sqlite_url, example_data, monkeypatch):
    planned(sqlite_url, example_data)
    client = signed_in(workspace, "hsv-ssk1")
    assert client.get("/").url.path == "/"
    monkeypatch.setenv("COORDINATION_SESSION_IDLE_MINUTES", "0")  # every session is now idle too long
    assert client.get("/").url.path == "/signin"
    monkeypatch.delenv("COORDINATION_SESSION_IDLE_MINUTES")
    assert client.get("/").url.path == "/signin"  # revoked when it expired, not revived
    client = signed_in(workspace, "hsv-ssk1")
    page = client.get("/")
    client.post("/signout", data={"csrf": csrf_of(page.text)})
    assert client.get("/").url.path == "/signin"
    client = signed_in(workspace, "hsv-ssk1")
    with unit_of_work() as s:
        assert signin.revoke_member_sessions(s, "hsv-ssk1", now=workspace.now()) == 1
    assert client.get("/").url.path == "/signin"


def test_an_outsider_is_refused_the_case_and_its_forms_and_a_participant_is_let_through(workspace, sqlite_url,
                                                                                       example_data):
    """An outsider (a children's-clinic nurse in none of these cases) is refused the case page,
    the action link and the acting forms; each refusal is audited; a participant is let through.
    (Every route of the app: `test_the_access_policy_guards_every_route_of_the_app`.)"""
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number, action_id = gustav(s)
    outsider = signed_in(workspace, "bkl-ssk")
    csrf = csrf_of(outsider.get("/").text)
    attempts = [
        outsider.get(f"/cases/{number}"),
        outsider.get(f"/actions/{action_id}"),
        outsider.post(f"/actions/{action_id}/done", data={"csrf": csrf}),
        outsider.post(f"/cases/{number}/follow-up", data={"csrf": csrf, "outcome": "x", "needs": "met"}),
        outsider.post(f"/cases/{number}/return-report", data={"csrf": csrf, "reported_on": "2026-11-17",
                                                              "reporter_name": "x", "profession": "x", "text": "x"}),
    ]
    for response in attempts:
        assert response.status_code == 403, response.url
        assert "Gustav" not in response.text and "Viktkontroll" not in response.text
    with unit_of_work() as s:
        refused = s.exec(select(AuditEvent).where(AuditEvent.actor == "bkl-ssk",
                                                  AuditEvent.action.startswith("refused:"))).all()
        assert len(refused) == len(attempts)
        assert s.get(Action, action_id).status == "assigned"
    participant = signed_in(workspace, "hsv-ssk1")
    page = participant.get(f"/cases/{number}")
    assert page.status_code == 200 and "Gustav Alm" in page.text and "Viktkontroll" in page.text
    assert page.headers["cache-control"] == "no-store"
    report = participant.post(f"/cases/{number}/return-report", data={
        "csrf": csrf_of(page.text), "reported_on": "2026-11-17", "reporter_name": "Maria Sund",
        "profession": "sjuksköterska", "text": "Vikten stabil"})
    assert report.status_code == 200 and "Vikten stabil" in report.text


def test_no_personal_data_in_urls_or_the_servers_logs(workspace, sqlite_url, example_data, caplog):
    planned(sqlite_url, example_data)
    caplog.set_level(logging.DEBUG)
    client = signed_in(workspace, "hsv-ssk1")
    with unit_of_work() as s:
        number, action_id = gustav(s)
    visited = [str(r.url) for r in (client.get("/"), client.get(f"/actions/{action_id}"), client.get("/manager"))]
    page = client.get(f"/cases/{number}")
    visited += [str(page.url)] + re.findall(r'href="([^"]+)"', page.text) + re.findall(r'action="([^"]+)"', page.text)
    client.post(f"/cases/{number}/follow-up", data={"csrf": csrf_of(page.text), "outcome": "", "needs": "met"})
    logged = caplog.text
    for secret in personal_strings(example_data):
        assert not [u for u in visited if secret in u], secret
        assert secret not in logged, secret


def test_an_inactive_member_gets_no_link_and_loses_their_session(workspace, sqlite_url, example_data):
    from coordination.errors import AccessDenied
    from coordination.persistence.models import Member

    planned(sqlite_url, example_data)
    client = signed_in(workspace, "hsv-ssk1")
    with unit_of_work() as s:
        member = s.exec(select(Member).where(Member.code == "hsv-ssk1")).one()
        member.active = False
        s.add(member)
    assert client.get("/").url.path == "/signin"
    with pytest.raises(AccessDenied):
        workspace.link_for("hsv-ssk1")
    with unit_of_work() as s:
        assert signin.send_link(s, "hsv-ssk1", now=workspace.now()) is None  # the page says the same as for anyone


def app_routes() -> list[tuple[str, str]]:
    """Every (method, path) the workspace serves, read from the app itself."""
    from fastapi.routing import APIRoute

    from coordination.entrypoints.web import create_app

    def walk(routes):
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                yield from walk(route.original_router.routes)
            elif isinstance(route, APIRoute):
                yield from ((method, route.path) for method in sorted(route.methods - {"HEAD"}))

    return sorted(set(walk(create_app().routes)))


def staff_routes() -> list[tuple[str, str]]:
    """The workspace's own routes; the FHIR API's (systems, with a bearer token) are below."""
    return [(m, p) for m, p in app_routes() if not p.startswith("/fhir/")]


# The FHIR API: systems, not people. Each route but the two that issue and describe answers 401
# without a bearer token; with one, `may_system_read` decides (tests/fhir/test_fhir_api.py).
FHIR = {
    ("GET", "/fhir/R4/metadata"): "the CapabilityStatement: public, no data",
    ("POST", "/fhir/R4/auth/token"): "issues a token for a registered client's signed assertion",
    ("POST", "/fhir/R4/Patient/_search"): "may_system_read, per case of the person; audited",
    ("GET", "/fhir/R4/CarePlan/{number}"): "may_system_read; audited",
    ("GET", "/fhir/R4/CarePlan/{number}/_history"): "may_system_read; audited",
    ("GET", "/fhir/R4/CarePlan/{number}/_history/{version}"): "may_system_read; audited",
    ("GET", "/fhir/R4/CarePlan/{number}/$everything"): "may_system_read; audited",
    ("GET", "/fhir/R4/Task/{action_id}"): "may_system_read; audited",
    ("PUT", "/fhir/R4/Task/{action_id}"): "may_system_read and the owner's organisation; audited",
    ("POST", "/fhir/R4"): "a transaction Bundle of Encounters and Flags: signals, from a registered system",
}


def test_every_fhir_route_is_classified_and_refuses_without_a_token(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    fhir = [r for r in app_routes() if r[1].startswith("/fhir/")]
    assert sorted(fhir) == sorted(FHIR), "classify the FHIR API's routes in FHIR"
    for method, path in fhir:
        if path.endswith(("/metadata", "/auth/token")):
            continue
        url = workspace.url + path.format(number="K-2026-0001", version=1, action_id=1)
        answer = httpx.request(method, url, json={"resourceType": "Task", "id": "1", "status": "completed"}) \
            if method == "PUT" else httpx.request(method, url, data={
                "identifier": f"urn:oid:1.2.752.129.2.1.3.1|{GUSTAV.replace('-', '')}"})
        assert answer.status_code == 401 and answer.json()["resourceType"] == "OperationOutcome", path
        assert "Gustav" not in answer.text


# Path parameters that name a case's records: an outsider is refused every route that has one.
CASE_BOUND = {"number", "action_id", "meeting_id", "deviation_id", "escalation_id"}
# Routes without a case in their path, each with why an outsider may reach it (reviewed).
OPEN = {
    ("GET", "/signin"): "the sign-in page", ("POST", "/signin"): "asks for a link",
    ("GET", "/signin/{token}"): "a link, checked by itself", ("POST", "/signin/{token}"): "the link, spent",
    ("GET", "/oidc/login"): "sign-in",
    ("GET", "/oidc/callback"): "sign-in, checked by itself", ("POST", "/signout"): "the member's own session",
    ("POST", "/language"): "the member's own language", ("GET", "/"): "the member's own items",
    ("GET", "/signals"): "the signal form", ("POST", "/signals"): "reporting a signal",
    ("GET", "/manager"): "the member's own unit", ("GET", "/meetings"): "the member's own teams",
    ("GET", "/meetings/{series_id}"): "a team's series: its members only",
    ("POST", "/meetings/{series_id}/open"): "opens the series' coming meeting: its members only",
    # no case: the log review's own rule (a log reviewer, or a unit manager for their own
    # organisation's members), asked by every use case behind them and audited when refused
    ("POST", "/search"): "finds cases: only those the policy lets the member read, every search audited",
    ("GET", "/log"): "the log review's list: may_review_log", ("POST", "/log"): "the log's search: may_review_log",
    ("POST", "/log/entries/{event}/reviewed"): "a reviewer's mark: may_review_log, the entry in its scope",
    ("POST", "/log/extract"): "the person's log extract: may_review_log",
    # the reviewed exception: nödåtkomst is for a member with no part in the case
    ("GET", "/cases/{number}/emergency-access"): "emergency access's form: the warning, the case number only",
    ("POST", "/cases/{number}/emergency-access"): "emergency access: a reason, the consent and any block checked, "
                                                  "the opening audited and listed for the log review",
}


FORMS = {  # valid input for each form whose fields are checked
    "/meetings/m/{meeting_id}/take-over": {"reason": "the leader is away"},
    "/meetings/m/{meeting_id}/follow-up": {"verdict": "continue"},
    "/cases/{number}/sip/revise": {"coordinator": "hc-dsk1", "keep": ["hc-dsk1", "hsv-ssk1", "rehab-ft"],
                                   "what_matters": "x", "next_follow_up": "2026-12-16"},
    "/cases/{number}/sip-meetings": {"at": "2026-11-20T10:00", "place": "x"},
    "/sip-meetings/{meeting_id}/outcome": {"answer": "refused", "answered_by": "person", "reason": "x"},
    "/actions/{action_id}/done": {"note": "x"},
    "/cases/{number}/follow-up": {"outcome": "x", "needs": "met"},
    "/cases/{number}/return-report": {"reported_on": "2026-11-17", "reporter_name": "x", "profession": "x",
                                      "text": "x"},
    "/cases/{number}/deviations": {"description": "x", "responsible": "hc-dsk1"},
    "/deviations/{deviation_id}/close": {"note": "x"},
    "/cases/{number}/escalations": {"level": "mas", "reason": "x"},
    "/escalations/{escalation_id}/answer": {"answer": "x"},
    "/meetings/m/{meeting_id}/actions": {"responsible": "hsv-ssk1", "description": "x",
                                         "handling_time": "next_working_day", "follow_up_date": "2026-12-16"},
    "/meetings/m/{meeting_id}/needs-sip": {"coordinator": "hc-dsk1"},
    "/meetings/m/{meeting_id}/discharge": {"text": "x"},
    "/meetings/m/{meeting_id}/note": {"text": "x"},
    "/meetings/m/{meeting_id}/summary": {"text": "x"},
}


def test_the_access_policy_guards_every_route_of_the_app(workspace, sqlite_url, example_data):
    """Every route of the app, as it serves them: an outsider (a children's-clinic nurse in no
    case here and in no team) is refused every route that names a case's record, and no route
    shows them the person. A new route fails here until it is classified."""
    from coordination.config.teams import load_teams
    from coordination.domain.vocabulary import EscalationLevel
    from coordination.usecases import deviations, escalations, team_meeting_room, sip_meeting
    from coordination.usecases.common import actor_for, member_by_code
    from tests.conftest import ROOT

    routes = staff_routes()
    unclassified = [(m, p) for m, p in routes if not (CASE_BOUND & set(re.findall(r"{(\w+)}", p))) and (m, p) not in OPEN]
    assert unclassified == [], "classify these routes in CASE_BOUND or OPEN"
    assert len(routes) >= 37

    planned(sqlite_url, example_data)
    now = workspace.now()
    with unit_of_work() as s:
        number, action_id = gustav(s)
        case = case_of(s, GUSTAV)
        nurse = actor_for(s, "hc-dsk1")
        ids = {"number": number, "action_id": action_id,
               "deviation_id": deviations.report_deviation(s, nurse, case=case, now=now, description="x",
                                                           action_id=action_id),
               "escalation_id": escalations.escalate(s, nurse, case=case, level=EscalationLevel.MAS,
                                                     reason="x", now=now),
               "sip_meeting_id": sip_meeting.schedule(s, nurse, case=case, when=now + dt.timedelta(days=2),
                                                      place="x", now=now)}
        [team] = load_teams(ROOT / "deployments" / "teams.yaml")
        ids["team_meeting_id"] = team_meeting_room.current_meeting(s, nurse, team, team.meetings[0], now=now).id
        member_by_code(s, "bkl-ssk")  # the outsider exists
    outsider = signed_in(workspace, "bkl-ssk")
    csrf = csrf_of(outsider.get("/").text)
    with unit_of_work() as s:
        before = len(s.exec(select(AuditEvent)).all())
    refused = 0
    for method, path in routes:
        params = set(re.findall(r"{(\w+)}", path))
        if not params & CASE_BOUND or (method, path) in OPEN:
            continue
        meeting = "sip_meeting_id" if path.startswith("/sip-meetings") else "team_meeting_id"
        url = path.format(**{k: ids.get(k, ids[meeting] if k == "meeting_id" else None) for k in params})
        # a form filled in as its own users fill it in: the policy is then the only reason to refuse
        form = {"csrf": csrf, **FORMS.get(path, {})} | ({"case": number} if path.startswith("/meetings/m/") else {})
        response = outsider.request(method, url, data=form if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Gustav" not in response.text and GUSTAV not in response.text, (method, path)
        refused += 1
    assert refused >= 20
    with unit_of_work() as s:  # nothing written but the refusals' own audit events
        written = s.exec(select(AuditEvent)).all()[before:]
    assert written and all(e.action.startswith("refused:") for e in written)
    for method, path in OPEN:
        if "{" in path or method != "GET" or path.startswith(("/oidc", "/signin")):
            continue
        page = outsider.get(path)
        assert page.status_code in (200, 403) and "Gustav" not in page.text and GUSTAV not in page.text, path


def test_reporting_a_signal_opens_no_record_and_shows_the_reporter_only_its_outcome(workspace, sqlite_url,
                                                                                   example_data):
    from coordination.usecases import identify
    from tests.conftest import ADMIN, T0

    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, "19341106-7568").number
    client = signed_in(workspace, "mar")  # region-level rehab lead, no part in the case
    assert client.get(f"/cases/{number}").status_code == 403
    form = client.get("/signals")
    assert "Du har inte rapporterat några signaler." in form.text
    sent = client.post("/signals", data={"personnummer": "19341106-7568", "kind": "concern_raised",
                                          "csrf": csrf_of(form.text)})
    assert sent.status_code == 200 and "Signalen är rapporterad." in sent.text
    assert "Väntar på morgonens identifiering" in sent.text
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=T0.add(hours=1))
    page = client.get("/signals")
    assert f"Lades till ärende {number}" in page.text
    assert "Maj" not in page.text and "19341106" not in page.text  # nothing about the person
    refused = client.get(f"/cases/{number}")
    assert refused.status_code == 403 and "Maj" not in refused.text


def test_the_answer_to_a_signal_never_tells_whether_the_person_is_registered(workspace, sqlite_url, example_data):
    """A registered personnummer and an unregistered one (a valid check digit, nobody has it) get
    the same answers, for a good signal and a bad one; the unregistered signal is kept, and
    becomes the person's once they are registered."""
    from sqlmodel import func

    from coordination.entrypoints.importer import import_data
    from coordination.persistence.models import Person, SignalRecord, UnregisteredSignal
    from coordination.usecases import identify
    from tests.conftest import ADMIN, T0, load_area

    known, unknown = "19551028-7195", "19121212-1212"
    load_area(sqlite_url, example_data)
    answers = {}
    for pnr in (known, unknown):
        client = signed_in(workspace, "mar")
        csrf = csrf_of(client.get("/signals").text)
        bad = client.post("/signals", data={"personnummer": pnr, "kind": "emergency_visit", "occurred_on": "2099-01-01",
                                            "csrf": csrf})
        good = client.post("/signals", data={"personnummer": pnr, "kind": "concern_raised", "csrf": csrf},
                           follow_redirects=False)
        # the form given back holds what was typed: the number itself, and nothing about the person
        answers[pnr] = (bad.status_code, bad.text.replace(csrf, "").replace(pnr, "PNR"), good.status_code,
                        good.headers["location"])
        client.post("/signout", data={"csrf": csrf})
    assert answers[known] == answers[unknown]
    assert answers[known][0] == 400 and answers[known][2:] == (303, "/signals?saved=1")
    with unit_of_work() as s:
        assert s.exec(select(func.count()).select_from(UnregisteredSignal)).one() == 1
        assert s.exec(select(Person).where(Person.personnummer == unknown)).first() is None  # nobody invented
    mine = signed_in(workspace, "mar").get("/signals").text
    assert mine.count("Väntar på morgonens identifiering") == 2  # the same for both
    assert unknown not in mine and known not in mine
    with unit_of_work() as s:  # the person is registered later: the kept signal becomes theirs
        import_data(s, ADMIN, {"persons": [{"personnummer": unknown, "given_name": "Tolvan", "family_name": "Tolvansson"}]},
                    now=T0, sections=("persons",))
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=T0.add(hours=1))
        tolvan = s.exec(select(Person).where(Person.personnummer == unknown)).one()
        [adopted] = s.exec(select(SignalRecord).where(SignalRecord.person_id == tolvan.id)).all()
        assert str(adopted.kind) == "concern_raised" and adopted.screened_at is not None
        assert s.exec(select(func.count()).select_from(UnregisteredSignal)).one() == 0


MALFORMED = ["0", "-1", "99999999999999999999", "1e3", "%C3%A5%C3%B8", "K-2026-", "%00", "a" * 300]


def test_a_malformed_id_version_or_token_is_a_4xx_page_never_a_500(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    client = signed_in(workspace, "hc-dsk1")
    csrf = csrf_of(client.get("/").text)
    answers = {}
    for method, path in staff_routes():
        if "{" not in path or path.startswith("/signin/"):
            continue
        for bad in MALFORMED:
            url = re.sub(r"\{[^}]+\}", bad, path)
            response = client.request(method, url, data={"csrf": csrf} if method == "POST" else None)
            answers[(method, url)] = response.status_code
            if response.status_code >= 400:
                assert "<html" in response.text and 'lang="sv"' in response.text, (method, url)
    for version in ("abc", "-1", "0", "99999999999999999999"):
        answers[("GET", f"minutes?version={version}")] = client.get(
            f"/meetings/m/1/minutes?version={version}").status_code
    broken = {k: v for k, v in answers.items() if v >= 500}
    assert not broken and len(answers) > 100


def test_a_refused_case_page_offers_emergency_access_with_its_warning(workspace, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, "19341106-7568").number
    client = signed_in(workspace, "mar")
    refused = client.get(f"/cases/{number}")
    assert refused.status_code == 403 and f'href="/cases/{number}/emergency-access"' in refused.text
    form = client.get(f"/cases/{number}/emergency-access")
    assert "loggas och granskas" in form.text and "Maj" not in form.text
    short = client.post(f"/cases/{number}/emergency-access", data={"reason": "akut", "csrf": csrf_of(form.text)})
    assert short.status_code == 400 and client.get(f"/cases/{number}").status_code == 403
    opened = client.post(f"/cases/{number}/emergency-access",
                         data={"reason": "Larm från hemmet, samordnaren nås inte", "csrf": csrf_of(form.text)})
    assert opened.status_code == 200 and "Du läser ärendet genom nödåtkomst" in opened.text
    assert "Maj" in opened.text  # the record, for the access's two hours
    why = re.search(r'<details class="why".*?</details>', opened.text, re.S).group(0)
    assert "du öppnade ärendet med nödåtkomst (till" in why, why


def test_the_case_page_says_why_the_member_can_see_it(workspace, sqlite_url, example_data):
    """Each relationship with its source: the SIP for its coordinator, the action for a member
    responsible for one (and not in the plan), the team's meeting for a preparing member."""
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        number, sip_version = case.number, 1
        coordinator = s.get(Member, case.coordinator_id).code
        flagged = case_of(s, "19341106-7568").number  # Maj's: flagged, the consent names rehab
    page = signed_in(workspace, coordinator).get(f"/cases/{number}").text
    assert "Varför kan jag se ärendet?" in page
    why = re.search(r"<details class=\"why\".*?</details>", page, re.S).group(0)
    assert f"samordningsansvarig: SIP:en, version {sip_version}, anger dig" in why, why
    assert "skrev en SBAR" not in why  # the plan was drawn up from it more than a day ago
    assert "förbereder ärendet" not in page  # planned: the case has left the team's list
    prepared = signed_in(workspace, "rehab-ft").get(f"/cases/{flagged}").text
    assert "förbereder ärendet inför teamets möte: ärendet står på ditt teams kommande samordningsmöte" in prepared


def test_a_served_worker_tunes_its_collector_and_an_app_made_in_a_test_does_not():
    """`coordination web`'s factory freezes what the worker imported and raises the young
    generation's threshold; `create_app` leaves the collector as it was. In a fresh interpreter,
    so this process's collector stays as it is."""
    import subprocess
    import sys

    script = ("import gc\n"
              "from coordination.entrypoints import web\n"
              "before = gc.get_threshold()\n"
              "web.create_app()\n"
              "print(gc.get_threshold() == before, gc.get_freeze_count() == 0)\n"
              "web.serve()\n"
              "print(gc.get_threshold() == web.COLLECTOR_THRESHOLD, gc.get_freeze_count() > 0)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["True", "True", "True", "True"], out.stdout + out.stderr
