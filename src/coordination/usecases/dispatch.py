"""The one way a command is carried out: find the case it is about, ask the access policy for the
purpose the command declares, then run its use case. An entry point (a route, a CLI command)
builds the command and calls `execute`; it never picks a use case or asks the policy itself.
A command about a person (a signal, a consent, a block) or a team meeting has no case purpose:
its use case asks the policy for the member's commission, or the meeting's rule.

The use cases still ask the policy with their finer facts (the relationship a new responsible
member is granted, a recipient's coverage), so a flow that calls a use case directly is
checked too; the dispatcher makes the command's declared purpose the first question, asked
before anything about the record is looked at further."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from coordination.domain import access, personnummer
from coordination.domain.calendar import local_date
from coordination.domain.vocabulary import SipAnswer
from coordination.errors import InvalidInput
from coordination.persistence.models import Action, CareCase, Deviation, Escalation, Member, SipMeeting
from coordination.usecases import (
    acting, audit_log, blocks, consent, deviations, emergency, escalations, following_up, identify, revising, sip_meeting,
    team_meeting_room, workspace,
)
from coordination.usecases import commands as c
from coordination.usecases.access import member_facts, require, require_verdict
from coordination.usecases.common import Actor, case_by_number, member_by_code, person_by_personnummer, referenced, row_by_id
from coordination.usecases.teams import room_of_meeting


def execute(session: Session, actor: Actor, command: c.Command, *, now: dt.datetime) -> Any:
    """Carry out the command as `actor`; returns what its use case returns (a new row's id, or
    the case number it concerned)."""
    locate, run = _HANDLERS[type(command)]
    case = locate(session, command) if locate else None
    if command.purpose is not None and case is not None:
        require(session, actor, command.purpose, case, now=now)
    return run(session, actor, command, case, now)


def _by_number(session: Session, command: c.CaseCommand) -> CareCase:
    return case_by_number(session, command.case)


def _case_of(model, field: str, hint: str, name: str | None = None) -> Callable[[Session, c.Command], CareCase]:
    """The case a record belongs to, the record found by the command's id field."""
    def locate(session: Session, command: c.Command) -> CareCase:
        row = row_by_id(session, model, getattr(command, field), name=name or field, hint=hint)
        if model is Deviation:
            return case_by_number(session, row.case_number)
        return row_by_id(session, CareCase, row.case_id, name="case", hint=hint)
    return locate


def _report_deviation(session: Session, actor: Actor, cmd: c.ReportDeviation, case: CareCase,
                      now: dt.datetime) -> int:
    responsible = member_by_code(session, cmd.responsible, field="responsible") if cmd.responsible else None
    return deviations.report_deviation(session, actor, case=case, description=cmd.description, action_id=cmd.action,
                                       responsible=responsible, now=now)


def _close_deviation(session: Session, actor: Actor, cmd: c.CloseDeviation, case: CareCase, now: dt.datetime) -> str:
    return deviations.close_deviation(session, actor, deviation_id=cmd.deviation, note=cmd.note, now=now)


def _open_emergency_access(session: Session, actor: Actor, cmd: c.OpenEmergencyAccess, case: CareCase,
                           now: dt.datetime) -> dt.datetime:
    return emergency.open_emergency_access(session, actor, case=case, reason=cmd.reason, now=now)


def _raise_escalation(session: Session, actor: Actor, cmd: c.RaiseEscalation, case: CareCase,
                      now: dt.datetime) -> int:
    return escalations.escalate(session, actor, case=case, level=cmd.level, reason=cmd.reason, now=now)


def _answer_escalation(session: Session, actor: Actor, cmd: c.AnswerEscalation, case: CareCase,
                       now: dt.datetime) -> str:
    return escalations.answer_escalation(session, actor, escalation_id=cmd.escalation, answer=cmd.answer, now=now)


def _add_action(session: Session, actor: Actor, cmd: c.AddAction, case: CareCase, now: dt.datetime) -> int:
    return acting.add_action(session, actor, case=case, responsible=member_by_code(session, cmd.responsible,
                                                                                   field="responsible"),
                             description=cmd.description, handling_time=cmd.handling_time,
                             follow_up_date=cmd.follow_up_date, now=now)


def _complete_action(session: Session, actor: Actor, cmd: c.CompleteAction, case: CareCase, now: dt.datetime) -> str:
    return acting.complete_action(session, actor, action_id=cmd.action, note=cmd.note, now=now)


def _record_follow_up(session: Session, actor: Actor, cmd: c.RecordFollowUp, case: CareCase,
                      now: dt.datetime) -> dict[str, int]:
    """The follow-up, then what it leads to at once: a new SIP version, or the case closed."""
    if actor.member_id is None:  # a follow-up is made by a member, not by a system entry point
        raise InvalidInput("a follow-up is recorded by the member who made it", record=cmd.record(), field="by",
                           hint="act as a member (--by)")
    by = row_by_id(session, Member, actor.member_id, name="member", hint="act as a member (--by)")
    following_up.record_follow_up(session, actor, case=case, by=by, outcome=cmd.outcome, needs_remain=cmd.needs_remain,
                                  next_follow_up=cmd.next_follow_up, verdict=cmd.verdict, now=now)
    return following_up.apply_follow_ups(session, actor, case=case, now=now)


def _record_return_report(session: Session, actor: Actor, cmd: c.RecordReturnReport, case: CareCase,
                          now: dt.datetime) -> int:
    return workspace.record_return_report(session, actor, case=case, reported_on=cmd.reported_on,
                                          reporter_name=cmd.reporter_name, profession=cmd.profession, text=cmd.text,
                                          now=now)


def _book_sip_meeting(session: Session, actor: Actor, cmd: c.BookSipMeeting, case: CareCase, now: dt.datetime) -> int:
    return sip_meeting.schedule(session, actor, case=case, when=cmd.at, place=cmd.place,
                                invite_guardians=cmd.invite_guardians, invite_relatives=cmd.invite_relatives, now=now)


def _record_sip_answer(session: Session, actor: Actor, cmd: c.RecordSipAnswer, case: CareCase,
                       now: dt.datetime) -> str:
    agreed = cmd.answer == SipAnswer.AGREED
    return sip_meeting.record_outcome(session, actor, meeting_id=cmd.meeting, answer=cmd.answer,
                                      answered_by=cmd.answered_by, reason=cmd.reason, agreement=cmd.agreement,
                                      agreed_time=cmd.agreed_time if agreed else None,
                                      child_informed=cmd.child_informed, child_heard=cmd.child_heard, now=now)


def _revise_sip(session: Session, actor: Actor, cmd: c.ReviseSip, case: CareCase, now: dt.datetime) -> int:
    """Returns the new version's number."""
    remove = set(cmd.remove)
    if cmd.keep is not None:  # the whole list of those who stay: the others leave
        remove |= revising.content(session, acting.current_sip(session, case)).participants - set(cmd.keep)
    sip = revising.revise_sip(session, actor, case=case, coordinator=cmd.coordinator, add=list(cmd.add),
                              remove=sorted(remove), what_matters=cmd.what_matters, plan_b=cmd.plan_b,
                              other_plans=cmd.other_plans, next_follow_up=cmd.next_follow_up,
                              relatives_support=cmd.relatives_support, now=now)
    return sip.version


def _report_signal(session: Session, actor: Actor, cmd: c.ReportSignal, case: None, now: dt.datetime) -> int:
    today = local_date(now)
    occurred_on = cmd.occurred_on or today
    identify.check_signal(occurred_on, cmd.days, today=today)  # before the person is looked up
    number = personnummer.parse(cmd.personnummer, today=today)  # a wrong check digit, whoever it is
    reporter = referenced(session, Member, actor.member_id) if actor.member_id else None
    if reporter is None:  # an administrator's import or command: told plainly when nobody has the number
        return identify.report_signal(session, actor, person=person_by_personnummer(session, cmd.personnummer, today=today),
                                      kind=cmd.kind, occurred_on=occurred_on, days=cmd.days, organisation_id=None,
                                      now=now)
    # an inactive member reports nothing, and learns nothing of the person
    require_verdict(access.commission(member_facts(session, reporter.id)), actor, "report signal", record="signal")
    # a member's report is taken the same way whether or not the person is registered: the answer
    # must not tell anyone who is in coordination
    return identify.report_signal_as_member(session, actor, personnummer=number.canonical, kind=cmd.kind,
                                            occurred_on=occurred_on, days=cmd.days, reporter=reporter, now=now)


def _record_consent(session: Session, actor: Actor, cmd: c.RecordConsent, case: None, now: dt.datetime) -> int:
    person = person_by_personnummer(session, cmd.personnummer, today=local_date(now))
    return consent.record_consent(session, actor, person=person, scopes=cmd.scopes, given_by=cmd.given_by,
                                  guardian_name=cmd.guardian, form=cmd.form, organisations=cmd.organisations,
                                  documented_in=cmd.documented_in, valid_from=cmd.valid_from or local_date(now),
                                  valid_until=cmd.valid_until, second_guardian_name=cmd.second_guardian,
                                  sole_guardian_reason=cmd.sole_guardian_reason, now=now)


def _document_consent(session: Session, actor: Actor, cmd: c.DocumentConsent, case: None, now: dt.datetime) -> None:
    consent.document_consent(session, actor, consent_id=cmd.consent, organisation=cmd.organisation, now=now)


def _withdraw_consent(session: Session, actor: Actor, cmd: c.WithdrawConsent, case: None, now: dt.datetime) -> int:
    """Returns how many participants will be told."""
    return consent.withdraw_consent(session, actor, consent_id=cmd.consent, now=now)


def _place_block(session: Session, actor: Actor, cmd: c.PlaceBlock, case: None, now: dt.datetime) -> int:
    person = person_by_personnummer(session, cmd.personnummer, today=local_date(now))
    return blocks.place_block(session, actor, person=person, organisation=cmd.organisation, now=now)


def _lift_block(session: Session, actor: Actor, cmd: c.LiftBlock, case: None, now: dt.datetime) -> None:
    blocks.lift_block(session, actor, block_id=cmd.block, now=now)


def _decide_action(session: Session, actor: Actor, cmd: c.DecideAction, case: None, now: dt.datetime) -> int:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    action_id, _ = team_meeting_room.decide_action(
        session, actor, team, cmd.meeting, case_number=cmd.case, responsible=cmd.responsible,
        description=cmd.description, handling_time=cmd.handling_time, follow_up_date=cmd.follow_up_date, now=now)
    return action_id


def _decide_needs_sip(session: Session, actor: Actor, cmd: c.DecideNeedsSip, case: None, now: dt.datetime) -> None:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    team_meeting_room.decide_needs_sip(session, actor, team, cmd.meeting, case_number=cmd.case,
                                       coordinator=cmd.coordinator, now=now)


def _note_discharge(session: Session, actor: Actor, cmd: c.NoteDischarge, case: None, now: dt.datetime) -> None:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    team_meeting_room.note_discharge(session, actor, team, cmd.meeting, case_number=cmd.case, text=cmd.text, now=now)


def _follow_up_case(session: Session, actor: Actor, cmd: c.FollowUpCase, case: None, now: dt.datetime) -> None:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    team_meeting_room.note_follow_up(session, actor, team, cmd.meeting, case_number=cmd.case, verdict=cmd.verdict,
                                     text=cmd.text, now=now)


def _note_decision(session: Session, actor: Actor, cmd: c.NoteDecision, case: None, now: dt.datetime) -> None:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    team_meeting_room.note_decision(session, actor, team, cmd.meeting, text=cmd.text, now=now)


def _take_over(session: Session, actor: Actor, cmd: c.TakeOverLeadership, case: None, now: dt.datetime) -> list[str]:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    return team_meeting_room.take_over(session, actor, team, cmd.meeting, reason=cmd.reason, now=now)


def _save_summary(session: Session, actor: Actor, cmd: c.SaveSummary, case: None, now: dt.datetime) -> int | None:
    """Returns the minutes' version when the meeting was closed too."""
    team, _, _ = room_of_meeting(session, cmd.meeting)
    team_meeting_room.save_summary(session, actor, team, cmd.meeting, cmd.text, now=now)
    if not cmd.close:
        return None
    version, _ = team_meeting_room.close_meeting(session, actor, team, cmd.meeting, now=now)
    return version


def _reopen(session: Session, actor: Actor, cmd: c.ReopenMeeting, case: None, now: dt.datetime) -> None:
    team, _, _ = room_of_meeting(session, cmd.meeting)
    team_meeting_room.reopen_meeting(session, actor, team, cmd.meeting, now=now)


def _mark_reviewed(session: Session, actor: Actor, cmd: c.MarkReviewed, case: None, now: dt.datetime) -> None:
    audit_log.mark_reviewed(session, actor, event_id=cmd.event, note=cmd.note, now=now)


# command -> (how its case is found, the use case that carries it out)
# A command about a person, not a case, has no case to find: its use case asks the policy for
# the member's commission (taking the person's request, recording a consent).
_HANDLERS: dict[type, tuple[Callable[..., CareCase] | None, Callable[..., Any]]] = {
    c.ReportDeviation: (_by_number, _report_deviation),
    c.CloseDeviation: (_case_of(Deviation, "deviation", "your unit's page lists its deviations"), _close_deviation),
    c.RaiseEscalation: (_by_number, _raise_escalation),
    c.OpenEmergencyAccess: (_by_number, _open_emergency_access),
    c.AnswerEscalation: (_case_of(Escalation, "escalation", "the case page lists its escalations"),
                         _answer_escalation),
    c.AddAction: (_by_number, _add_action),
    c.CompleteAction: (_case_of(Action, "action", "`coordination case show CASE` lists the case's actions"),
                       _complete_action),
    c.RecordFollowUp: (_by_number, _record_follow_up),
    c.RecordReturnReport: (_by_number, _record_return_report),
    c.BookSipMeeting: (_by_number, _book_sip_meeting),
    c.RecordSipAnswer: (_case_of(SipMeeting, "meeting", "the case page lists its SIP meetings", "SIP meeting"), _record_sip_answer),
    c.ReviseSip: (_by_number, _revise_sip),
    c.ReportSignal: (None, _report_signal),
    c.RecordConsent: (None, _record_consent),
    c.DocumentConsent: (None, _document_consent),
    c.WithdrawConsent: (None, _withdraw_consent),
    c.PlaceBlock: (None, _place_block),
    c.LiftBlock: (None, _lift_block),
    c.DecideAction: (None, _decide_action),
    c.DecideNeedsSip: (None, _decide_needs_sip),
    c.NoteDischarge: (None, _note_discharge),
    c.FollowUpCase: (None, _follow_up_case),
    c.NoteDecision: (None, _note_decision),
    c.TakeOverLeadership: (None, _take_over),
    c.SaveSummary: (None, _save_summary),
    c.ReopenMeeting: (None, _reopen),
    c.MarkReviewed: (None, _mark_reviewed),
}
