"""What staff report and managers see: deviations, escalations, signals and the manager's unit page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coordination.config.notifications import load_notifications
from coordination.domain.calendar import local_date
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import (
    FormStaffDep, StaffDep, carry_out, form_command, told_or_not, transaction,
)
from coordination.entrypoints.web.render import see_other
from coordination.domain.vocabulary import NoticeClass, SignalKind
from coordination.usecases import identify, workspace
from coordination.usecases.commands import (
    AnswerEscalation, CloseDeviation, RaiseEscalation, ReportDeviation, ReportSignal,
)

router = APIRouter()


@router.post("/cases/{number}/deviations")
def deviation_report(staff: FormStaffDep,
                     cmd: Annotated[ReportDeviation, form_command(ReportDeviation, case="number")]) -> RedirectResponse:
    carry_out(staff, cmd)
    return see_other(told_or_not(staff, f"/cases/{cmd.case}?saved=deviation#deviations"))


@router.post("/deviations/{deviation_id}/close")
def deviation_close(staff: FormStaffDep, cmd: Annotated[CloseDeviation, form_command(
        CloseDeviation, deviation="deviation_id")]) -> RedirectResponse:
    carry_out(staff, cmd)
    return see_other(f"/manager?saved=closed#deviation-{cmd.deviation}")


@router.post("/cases/{number}/escalations")
def escalation_raise(staff: FormStaffDep,
                     cmd: Annotated[RaiseEscalation, form_command(RaiseEscalation, case="number")]) -> RedirectResponse:
    carry_out(staff, cmd)
    return see_other(told_or_not(staff, f"/cases/{cmd.case}?saved=escalation#deviations"))


@router.post("/escalations/{escalation_id}/answer")
def escalation_answer(staff: FormStaffDep, cmd: Annotated[AnswerEscalation, form_command(
        AnswerEscalation, escalation="escalation_id")]) -> RedirectResponse:
    number = carry_out(staff, cmd)
    return see_other(told_or_not(staff, f"/cases/{number}?saved=answered#escalation-{cmd.escalation}"))


@router.get("/signals", response_class=HTMLResponse)
def signal_page(request: Request, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction(read_only=True) as session:
        mine = identify.my_signals(session, staff.actor)
    return render.page(request, "signal.html", staff.texts, staff, saved=saved, kinds=[str(k) for k in SignalKind],
                       today=local_date(staff.now).isoformat(), mine=mine)


@router.post("/signals")
def signal_report(staff: FormStaffDep, cmd: Annotated[ReportSignal, form_command(ReportSignal)]) -> RedirectResponse:
    """The personnummer comes in the form's body, never in a URL, and is not repeated back."""
    carry_out(staff, cmd)
    return see_other("/signals?saved=1")


@router.get("/manager", response_class=HTMLResponse)
def manager_page(request: Request, staff: StaffDep, saved: str = "") -> HTMLResponse:
    with transaction(read_only=True) as session:
        now = staff.now
        items = workspace.my_items(session, staff.who.member_id, now=now, policy=load_notifications().sweep)
        escalated = [i for i in items if i.klass == NoticeClass.ESCALATED]
        lines = workspace.unit_deviations(session, staff.actor, now=now)
        return render.page(request, "manager.html", staff.texts, staff, escalated=escalated, deviations=lines,
                           saved=saved)
