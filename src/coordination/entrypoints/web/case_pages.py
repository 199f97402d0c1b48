"""A member's work: my items, the case page, the SIP (revision, comparison, the person's own plan, its meeting), actions, follow-ups and return reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coordination import settings
from coordination.config.notifications import load_notifications
from coordination.domain.calendar import local_date
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import (
    FormStaffDep, RowId, StaffDep, Version, carry_out, form_command, told_or_not, transaction,
)
from coordination.entrypoints.web.render import see_other
from coordination.errors import InvalidInput
from coordination.i18n import Texts
from coordination.domain.access import Relationship
from coordination.domain.vocabulary import PersonVerdict
from coordination.i18n.terms import N_
from coordination.usecases import persons_plan, provenance, queries, revising, worklist, workspace
from coordination.usecases.commands import (
    BookSipMeeting, CompleteAction, OpenEmergencyAccess, RecordFollowUp, RecordReturnReport, RecordSipAnswer, ReviseSip, build,
)
from coordination.usecases.access import case_for_reader
from coordination.usecases.common import case_by_number

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def my_items(request: Request, staff: StaffDep, part: str = "", order: str = "next",
             page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """`part`: only the cases where the member has that part; `order`: by the next step or the
    number; `page`: which page of the cases (a unit manager's unit may hold thousands)."""
    part = part if part in {str(r) for r in worklist.MINE} else ""
    order = order if order == "number" else "next"
    with transaction(read_only=True) as session:
        items = workspace.my_items(session, staff.who.member_id, now=staff.now, policy=load_notifications().sweep)
        cases = worklist.my_cases(session, staff.who.member_id, now=staff.now, part=part, order=order,
                                  offset=(page - 1) * worklist.PAGE, limit=worklist.PAGE + 1)
        questions = worklist.questions_to_me(session, staff.who.member_id, now=staff.now)
        return render.page(request, "items.html", staff.texts, staff, items=items, cases=cases[:worklist.PAGE],
                           questions=questions, parts=[str(r) for r in worklist.MINE], part=part, order=order,
                           page=page, more=len(cases) > worklist.PAGE, first=(page - 1) * worklist.PAGE + 1)


@router.post("/search", response_class=HTMLResponse)
def case_search(request: Request, staff: FormStaffDep, q: Annotated[str, Form(max_length=64)] = "") -> HTMLResponse:
    """Posted: a personnummer travels in the body, never in a URL. Answers in the page itself."""
    with transaction() as session:  # the search is audited
        found = worklist.find_cases(session, staff.actor, q, now=staff.now)
    return render.page(request, "search.html", staff.texts, staff, found=found, q=q.strip())


@router.get("/actions/{action_id}")
def action_page(action_id: RowId, staff: StaffDep) -> RedirectResponse:
    with transaction() as session:
        number = workspace.action_case(session, staff.actor, action_id, now=staff.now)
        return see_other(f"/cases/{number}#action-{action_id}")


VERDICT_NAMES = {PersonVerdict.AGREE: N_("Agrees"), PersonVerdict.PARTLY: N_("Partly agrees"),
                 PersonVerdict.DISAGREE: N_("Does not agree")}


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_page(request: Request, number: str, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction() as session:
        now = staff.now
        # the policy's facts read once: the record, the form and "why" ask them, each for this member alone
        reading = case_for_reader(session, staff.who.member_id, now=now, number=number)
        record = queries.case_record(session, staff.actor, number, now=now, reading=reading)
        revision = revising.revision_form(session, staff.actor, case=reading.case, now=now, facts=reading.facts,
                                          member=reading.member) if record["sip"] and record["status"] != "closed" else None
        why = provenance.bases(session, staff.who.member_id, reading.case, now=now, facts=reading.facts)
        # "why may I read this?" names the member's own emergency access, and when it ends
        emergency_until = next((b.until for b in why if b.kind == Relationship.EMERGENCY), None)
        return render.page(request, "case.html", staff.texts, staff, record=record, saved=saved, revision=revision,
                           today=local_date(now).isoformat(), now=now, emergency_until=emergency_until, why=why,
                           verdict_names={v: staff.texts.gettext(name) for v, name in VERDICT_NAMES.items()})


@router.get("/cases/{number}/emergency-access", response_class=HTMLResponse)
def emergency_access_page(request: Request, number: str, staff: StaffDep) -> HTMLResponse:
    """Nödåtkomst's form: the warning and the reason, and nothing of the case but its number."""
    return render.page(request, "emergency_access.html", staff.texts, staff, number=number,
                       minutes=int(settings.emergency_access().total_seconds() // 60))


@router.post("/cases/{number}/emergency-access")
def emergency_access(staff: FormStaffDep, cmd: Annotated[OpenEmergencyAccess, form_command(
        OpenEmergencyAccess, case="number")]) -> RedirectResponse:
    carry_out(staff, cmd)
    return see_other(f"/cases/{cmd.case}?saved=emergency")


@router.post("/cases/{number}/sip/revise")
def sip_revise(staff: FormStaffDep, cmd: Annotated[ReviseSip, form_command(ReviseSip, case="number")]
               ) -> RedirectResponse:
    """The form sends the whole plan (`keep`: the participants who stay); the revision records
    what differs from the current one."""
    version = carry_out(staff, cmd)
    return see_other(f"/cases/{cmd.case}/sip/compare?first={version - 1}&second={version}")


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
    carry_out(staff, cmd)
    return see_other(told_or_not(staff, f"/cases/{cmd.case}?saved=sip_meeting#sip-meeting"))


@router.post("/sip-meetings/{meeting_id}/outcome")
def sip_meeting_outcome(staff: FormStaffDep, cmd: Annotated[RecordSipAnswer, form_command(
        RecordSipAnswer, meeting="meeting_id")]) -> RedirectResponse:
    number = carry_out(staff, cmd)
    return see_other(f"/cases/{number}?saved=sip_{cmd.answer}#sip-meeting")


@router.get("/cases/{number}/sip/compare", response_class=HTMLResponse)
def sip_compare(request: Request, number: str, staff: StaffDep, first: Version = 1, second: Version = 1) -> HTMLResponse:
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
    number = carry_out(staff, cmd)
    return see_other(f"/cases/{number}?saved=done#action-{cmd.action}")


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
    carry_out(staff, cmd)
    return see_other(f"/cases/{number}?saved=follow_up#follow-up")


@router.post("/cases/{number}/return-report")
def return_report(staff: FormStaffDep, cmd: Annotated[RecordReturnReport, form_command(
        RecordReturnReport, case="number")]) -> RedirectResponse:
    carry_out(staff, cmd)
    return see_other(f"/cases/{cmd.case}?saved=return_report#return-reports")
