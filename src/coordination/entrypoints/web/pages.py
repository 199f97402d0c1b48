"""The workspace's pages and forms. Thin: each route takes its session and signed-in member from
`deps`, calls one use case (the same the CLI runs), and renders a template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coordination import settings
from coordination.config.notifications import load_notifications
from coordination.domain.calendar import local_date
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import (
    PRE_SIGNIN_COOKIE, SESSION_COOKIE, CsrfRefused, FormStaffDep, NowDep, StaffDep, form_command, transaction,
)
from coordination.errors import InvalidInput
from coordination.i18n import Texts
from coordination.domain.vocabulary import PersonVerdict, SignalKind
from coordination.notifications.templates import N_
from coordination.parsing import parse_date, parse_enum
from coordination.usecases import identify, persons_plan, queries, registry, revising, signin, workspace
from coordination.usecases.commands import (
    AnswerEscalation, BookSipMeeting, CloseDeviation, CompleteAction, RaiseEscalation, RecordFollowUp,
    RecordReturnReport, RecordSipAnswer, ReportDeviation, ReviseSip, build,
)
from coordination.usecases.common import case_by_number, member_by_code, person_by_personnummer
from coordination.usecases.dispatch import execute

router = APIRouter()


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _secure() -> bool:
    return settings.web_url().startswith("https://")


# --- signing in and out ------------------------------------------------------------------

@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str = "/") -> HTMLResponse:
    import secrets

    token = request.cookies.get(PRE_SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    response = render.page(request, "signin.html", Texts(None), None, next=signin.safe_next(next), csrf=token,
                           oidc=settings.oidc() is not None)
    response.set_cookie(PRE_SIGNIN_COOKIE, token, httponly=True, samesite="lax", secure=_secure())
    return response


@router.post("/signin", response_class=HTMLResponse)
def signin_request(request: Request, now: NowDep, code: Annotated[str, Form()] = "",
                   csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> HTMLResponse:
    """Send a one-time link to the member's own channel. The answer is the same whether or not
    the code exists, so nobody can probe for members."""
    import hmac

    expected = request.cookies.get(PRE_SIGNIN_COOKIE) or ""
    if not csrf or not hmac.compare_digest(csrf, expected):
        raise CsrfRefused()
    with transaction() as session:
        signin.send_link(session, code, now=now, next_path=signin.safe_next(next))
    return render.page(request, "signin_sent.html", Texts(None), None)


@router.get("/signin/{token}")
def signin_link(token: str, now: NowDep) -> RedirectResponse:
    with transaction() as session:
        opened = signin.redeem_link(session, token, now=now)
        response = _see_other(opened.next_path)
        response.set_cookie(SESSION_COOKIE, opened.token, httponly=True, samesite="lax", secure=_secure())
        return response


@router.post("/signout")
def signout(request: Request, staff: FormStaffDep) -> RedirectResponse:
    with transaction() as session:
        signin.sign_out(session, request.cookies.get(SESSION_COOKIE), now=staff.now)
        response = _see_other("/signin")
        response.delete_cookie(SESSION_COOKIE)
        return response


@router.post("/language")
def language(staff: FormStaffDep, locale: Annotated[str, Form()],
             back: Annotated[str, Form()] = "/") -> RedirectResponse:
    with transaction() as session:
        registry.set_locale(session, staff.who.member_id, locale)
    return _see_other(signin.safe_next(back))


# --- my items, the case, acting ----------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def my_items(request: Request, staff: StaffDep) -> HTMLResponse:
    with transaction(read_only=True) as session:
        items = workspace.my_items(session, staff.who.member_id, now=staff.now, policy=load_notifications().sweep)
        return render.page(request, "items.html", staff.texts, staff, items=items)


@router.get("/actions/{action_id}")
def action_page(action_id: int, staff: StaffDep) -> RedirectResponse:
    with transaction() as session:
        number = workspace.action_case(session, staff.actor, action_id, now=staff.now)
        return _see_other(f"/cases/{number}#action-{action_id}")


VERDICT_NAMES = {PersonVerdict.AGREE: N_("Agrees"), PersonVerdict.PARTLY: N_("Partly agrees"),
                 PersonVerdict.DISAGREE: N_("Does not agree")}


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_page(request: Request, number: str, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction() as session:
        now = staff.now
        record = queries.case_record(session, staff.actor, number, now=now)
        revision = revising.revision_form(session, staff.actor, case=case_by_number(session, number), now=now) \
            if record["sip"] and record["status"] != "closed" else None
        return render.page(request, "case.html", staff.texts, staff, record=record, saved=saved, revision=revision,
                           today=local_date(now).isoformat(),
                           verdict_names={v: staff.texts.gettext(name) for v, name in VERDICT_NAMES.items()})


@router.post("/cases/{number}/sip/revise")
def sip_revise(staff: FormStaffDep, cmd: Annotated[ReviseSip, form_command(ReviseSip, case="number")]
               ) -> RedirectResponse:
    """The form sends the whole plan (`keep`: the participants who stay); the revision records
    what differs from the current one."""
    with transaction() as session:
        version = execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{cmd.case}/sip/compare?first={version - 1}&second={version}")


@router.get("/cases/{number}/sip/person")
def persons_plan_page(request: Request, number: str, staff: StaffDep, format: str = "html", lang: str = "sv"):
    """The person's own SIP in their language, as a page to print or a PDF to hand over."""
    from coordination.i18n import LOCALES

    texts = Texts(lang if lang in LOCALES else "sv")
    with transaction() as session:
        plan = persons_plan.persons_plan(session, staff.actor, case=case_by_number(session, number), now=staff.now)
    page = render.page(request, "persons_plan.html", texts, staff, plan=plan)
    if format != "pdf":
        return page
    from fastapi.responses import Response

    pdf = render.pdf(bytes(page.body).decode("utf-8"))
    return Response(pdf, media_type="application/pdf", headers={
        # the file is named by case and version only: a name would be personal data on someone's disk
        "Content-Disposition": f'attachment; filename="SIP-{plan.case}-v{plan.version}.pdf"',
        "Cache-Control": "no-store"})


@router.post("/cases/{number}/sip-meetings")
def sip_meeting_book(staff: FormStaffDep, cmd: Annotated[BookSipMeeting, form_command(BookSipMeeting, case="number")]
                     ) -> RedirectResponse:
    with transaction() as session:
        execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{cmd.case}?saved=sip_meeting#sip-meeting")


@router.post("/sip-meetings/{meeting_id}/outcome")
def sip_meeting_outcome(staff: FormStaffDep, cmd: Annotated[RecordSipAnswer, form_command(
        RecordSipAnswer, meeting="meeting_id")]) -> RedirectResponse:
    with transaction() as session:
        number = execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{number}?saved=sip_{cmd.answer}#sip-meeting")


@router.get("/cases/{number}/sip/compare", response_class=HTMLResponse)
def sip_compare(request: Request, number: str, staff: StaffDep, first: int = 1, second: int = 1) -> HTMLResponse:
    with transaction() as session:
        found = revising.compare_versions(session, staff.actor, case=case_by_number(session, number),
                                          first=first, second=second, now=staff.now)
        codes = {c for change in found for c in (*change.added, *change.removed)} | {
            change.before for change in found if change.field == "coordinator"} | {
            change.after for change in found if change.field == "coordinator"}
        versions = queries.sip_versions(session, case_by_number(session, number))
        return render.page(request, "compare.html", staff.texts, staff, case=number, first=first, second=second,
                           changes=found, names=revising.member_names(session, codes), versions=versions)


@router.post("/actions/{action_id}/done")
def action_done(staff: FormStaffDep,
                cmd: Annotated[CompleteAction, form_command(CompleteAction, action="action_id")]) -> RedirectResponse:
    with transaction() as session:
        number = execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{number}?saved=done#action-{cmd.action}")


@router.post("/cases/{number}/follow-up")
def follow_up(number: str, staff: FormStaffDep, needs: Annotated[str, Form()] = "",
              next_date: Annotated[str, Form()] = "", outcome: Annotated[str, Form()] = "",
              verdict: Annotated[str, Form()] = "") -> RedirectResponse:
    # the form's own names ("needs": remain or met, "next_date") are the command's fields here
    if needs not in ("remain", "met"):
        raise InvalidInput("choose whether needs remain", record=f"case {number}", field="needs",
                           hint="needs remain, with the next date, or needs met")
    cmd = build(RecordFollowUp, case=number, outcome=outcome, needs_remain=needs == "remain",
                next_follow_up=next_date, verdict=verdict)
    with transaction() as session:
        execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{number}?saved=follow_up#follow-up")


@router.post("/cases/{number}/return-report")
def return_report(staff: FormStaffDep, cmd: Annotated[RecordReturnReport, form_command(
        RecordReturnReport, case="number")]) -> RedirectResponse:
    with transaction() as session:
        execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{cmd.case}?saved=return_report#return-reports")


@router.post("/cases/{number}/deviations")
def deviation_report(staff: FormStaffDep,
                     cmd: Annotated[ReportDeviation, form_command(ReportDeviation, case="number")]) -> RedirectResponse:
    with transaction() as session:
        execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{cmd.case}?saved=deviation#deviations")


@router.post("/deviations/{deviation_id}/close")
def deviation_close(staff: FormStaffDep, cmd: Annotated[CloseDeviation, form_command(
        CloseDeviation, deviation="deviation_id")]) -> RedirectResponse:
    with transaction() as session:
        execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/manager?saved=closed#deviation-{cmd.deviation}")


@router.post("/cases/{number}/escalations")
def escalation_raise(staff: FormStaffDep,
                     cmd: Annotated[RaiseEscalation, form_command(RaiseEscalation, case="number")]) -> RedirectResponse:
    with transaction() as session:
        execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{cmd.case}?saved=escalation#deviations")


@router.post("/escalations/{escalation_id}/answer")
def escalation_answer(staff: FormStaffDep, cmd: Annotated[AnswerEscalation, form_command(
        AnswerEscalation, escalation="escalation_id")]) -> RedirectResponse:
    with transaction() as session:
        number = execute(session, staff.actor, cmd, now=staff.now)
    return _see_other(f"/cases/{number}?saved=answered#escalation-{cmd.escalation}")


@router.get("/signals", response_class=HTMLResponse)
def signal_page(request: Request, staff: StaffDep, saved: str = "") -> HTMLResponse:
    return render.page(request, "signal.html", staff.texts, staff, saved=saved, kinds=[str(k) for k in SignalKind],
                       today=local_date(staff.now).isoformat())


@router.post("/signals")
def signal_report(staff: FormStaffDep, personnummer: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
                  occurred_on: Annotated[str, Form()] = "", days: Annotated[str, Form()] = "") -> RedirectResponse:
    """The personnummer comes in the form's body, never in a URL, and is not repeated back."""
    with transaction() as session:
        now = staff.now
        what = parse_enum(SignalKind, kind, record="signal", field="kind")
        when = parse_date(occurred_on, record="signal", field="on") if occurred_on else local_date(now)
        if days and not days.isdigit():
            raise InvalidInput(f"'{days}' is not a number of days", record="signal", field="days",
                               hint="give the length of the absence in whole days")
        person = person_by_personnummer(session, personnummer, today=local_date(now))
        reporter = member_by_code(session, staff.who.code, field="by")
        identify.report_signal(session, staff.actor, person=person, kind=what, occurred_on=when,
                               days=int(days) if days else None, organisation_id=reporter.organisation_id, now=now)
        return _see_other("/signals?saved=1")


@router.get("/manager", response_class=HTMLResponse)
def manager_page(request: Request, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction(read_only=True) as session:
        now = staff.now
        items = workspace.my_items(session, staff.who.member_id, now=now, policy=load_notifications().sweep)
        escalated = [i for i in items if i.klass == "escalated"]
        lines = workspace.unit_deviations(session, staff.actor, now=now)
        return render.page(request, "manager.html", staff.texts, staff, escalated=escalated, deviations=lines,
                           saved=saved)

