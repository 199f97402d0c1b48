"""The log review (loggranskning) for log reviewers and unit managers: what to look at first,
marks with notes, a search, and the person's log extract as PDF. Searches and the extract are
posted: a personnummer travels in the form's body, never in a URL."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coordination import parsing
from coordination.domain.calendar import local_date, start_of_day
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import FormStaffDep, Staff, StaffDep, carry_out, form_command, transaction
from coordination.entrypoints.web.render import see_other
from coordination.i18n.terms import audit_words
from coordination.usecases import audit_log
from coordination.usecases.commands import MarkReviewed
from coordination.usecases.common import member_by_code, person_by_personnummer

router = APIRouter()
Field = Annotated[str, Form(max_length=64)]


def _page(request: Request, staff: Staff, *, saved: str = "", found: list | None = None,
          asked: dict | None = None, status_code: int = 200) -> HTMLResponse:
    with transaction() as session:  # looking at the list is audited like any look at the log
        waiting = audit_log.to_be_reviewed(session, staff.actor, now=staff.now)
        done = audit_log.to_be_reviewed(session, staff.actor, now=staff.now, reviewed=True, limit=50)
    return render.page(request, "log.html", staff.texts, staff, status_code=status_code, saved=saved,
                       waiting=waiting, done=done, found=found, asked=asked or {}, kinds=audit_log.KINDS,
                       words=lambda e: audit_words(staff.texts, e.action, e.record_type),
                       today=local_date(staff.now).isoformat())


@router.get("/log", response_class=HTMLResponse)
def log_page(request: Request, staff: StaffDep, saved: str = "") -> HTMLResponse:
    return _page(request, staff, saved=saved)


@router.post("/log", response_class=HTMLResponse)
def log_search(request: Request, staff: FormStaffDep, personnummer: Field = "", member: Field = "",
               case: Field = "", since: Field = "", until: Field = "", kind: Field = "") -> HTMLResponse:
    """The search answers in the page itself: its fields may hold a personnummer."""
    asked = {"personnummer": personnummer.strip(), "member": member.strip(), "case": case.strip(),
             "since": since.strip(), "until": until.strip(), "kind": kind if kind in audit_log.KINDS else ""}
    start = parsing.parse_optional_date(asked["since"] or None, record="log search", field="since")
    end = parsing.parse_optional_date(asked["until"] or None, record="log search", field="until")
    with transaction() as session:
        today = local_date(staff.now)
        found = audit_log.search(
            session, staff.actor, now=staff.now,
            person=person_by_personnummer(session, asked["personnummer"], today=today) if asked["personnummer"] else None,
            member_id=member_by_code(session, asked["member"], field="member").id if asked["member"] else None,
            case_number=asked["case"] or None, since=start_of_day(start) if start else None,
            until=start_of_day(end + dt.timedelta(days=1)) if end else None, kind=asked["kind"] or None)
    return _page(request, staff, found=found, asked=asked)


@router.post("/log/entries/{event}/reviewed")
def log_mark(staff: FormStaffDep, cmd: Annotated[MarkReviewed, form_command(MarkReviewed, event="event")]
             ) -> RedirectResponse:
    carry_out(staff, cmd)
    return see_other(f"/log?saved=reviewed#entry-{cmd.event}")


@router.post("/log/extract")
def log_extract(request: Request, staff: FormStaffDep, personnummer: Field = "") -> Response:
    """The person's log extract, as a PDF to hand to them. The file is named by date only."""
    with transaction() as session:
        person = person_by_personnummer(session, personnummer, today=local_date(staff.now))
        lines = audit_log.extract(session, staff.actor, person=person, now=staff.now)
        name = f"{person.given_name} {person.family_name}"
    page = render.page(request, "log_extract.html", staff.texts, staff, lines=lines, person_name=name,
                       personnummer=person.personnummer, made=staff.now,
                       words=lambda line: audit_words(staff.texts, line.action, line.record_type))
    return Response(render.pdf(bytes(page.body).decode("utf-8")), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="logutdrag-{local_date(staff.now).isoformat()}.pdf"',
        "Cache-Control": "no-store"})
