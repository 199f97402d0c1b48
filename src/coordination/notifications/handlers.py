"""From event to message, in one place: each domain event becomes its outbox rows here, in the
transaction of the use case that recorded it, so a message is queued exactly when its fact is
committed (and never twice: the key names the event and the recipient).

Read an event's handler to see who is told, with which template and under which key; the
outbox (`outbox.py`) keeps the rows, delivery (`delivery.py`) sends them. The queued keys are
noted on the session: where someone waits for the message (the workspace), the entry point
delivers them at once after the commit (`queued`).

The scheduled jobs that queue in bulk (the follow-up sweep, the meeting preparation) write
their rows set-based from their own modules; they are jobs, not events."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlmodel import Session

from coordination.domain import events as ev
from coordination.notifications import templates
from coordination.notifications.outbox import (
    NOBODY_COVERED, cancel_uncovered, enqueue, enqueue_many, event_key, record_unroutable, tell_members,
)

QUEUED = "coordination.queued"  # session.info: the keys queued in this unit of work, and its moment


def publish(session: Session, event: ev.Event, *, now: dt.datetime) -> list[str]:
    """Turn the event into its messages; returns their keys. A message already queued by an
    earlier run of the same event keeps its row and is not queued again."""
    keys = [key for key in _HANDLERS[type(event)](session, event, now) if key]
    noted = session.info.setdefault(QUEUED, {"keys": [], "now": now})
    noted["keys"] += keys
    noted["now"] = now
    return keys


def queued(notes: dict) -> tuple[list[str], dt.datetime | None]:
    """What a unit of work queued, and when, from its session's `info`: for the entry point that
    delivers it at once."""
    noted = notes.get(QUEUED) or {"keys": [], "now": None}
    return list(noted["keys"]), noted["now"]


def _one(session: Session, key: str, message, member_id: int, case_number: str | None, now: dt.datetime) -> list[str]:
    enqueue(session, key=key, message=message, member_id=member_id, case_number=case_number, now=now)
    return [key]


def _action_assigned(session: Session, e: ev.ActionAssigned, now: dt.datetime) -> list[str]:
    return _one(session, event_key("action", e.action_id, "assigned", e.responsible_id),
                templates.action_assigned(e.case_number, e.action_id, e.handling_time, e.due_date,
                                          e.follow_up_date, e.responsible_role),
                e.responsible_id, e.case_number, now)


def _case_flagged(session: Session, e: ev.CaseFlagged, now: dt.datetime) -> list[str]:
    if e.may_tell:
        return _one(session, event_key("case_flagged", e.case_id, e.coordinator_id, e.day),
                    templates.case_flagged(e.case_number), e.coordinator_id, e.case_number, now)
    # the case is on the agenda all the same; the coordinator's not being told is shown
    record_unroutable(session, key=event_key("case_flagged", e.case_id, "nobody", e.day), kind="case_flagged",
                      case_number=e.case_number, reason=NOBODY_COVERED, now=now)
    return []


def _told(session: Session, recipients: ev.Recipients, key: tuple, message, case_number: str,
          now: dt.datetime) -> list[str]:
    """Those the policy lets be told; when none may, the event is kept as unroutable."""
    tell_members(session, list(recipients), key=key, message=message, case_number=case_number, now=now)
    return [event_key(*key, member_id) for member_id, allowed in recipients if allowed]


def _case_closed(session: Session, e: ev.CaseClosed, now: dt.datetime) -> list[str]:
    return _told(session, e.recipients, ("case_closed", e.case_id), templates.case_closed(e.case_number),
                 e.case_number, now)


def _sip_version_written(session: Session, e: ev.SipVersionWritten, now: dt.datetime) -> list[str]:
    message = templates.sip_created(e.case_number, e.version, e.coordinator_role, e.next_follow_up, cause=e.cause)
    return [key for member_id in dict.fromkeys(e.participant_ids)
            for key in _one(session, event_key("sip", e.sip_id, "participant", member_id), message, member_id,
                            e.case_number, now)]


def _sip_meeting_booked(session: Session, e: ev.SipMeetingBooked, now: dt.datetime) -> list[str]:
    return _told(session, e.recipients, ("sip_meeting", e.meeting_id),
                 templates.sip_meeting_scheduled(e.case_number, e.when), e.case_number, now)


def _sip_refused(session: Session, e: ev.SipRefused, now: dt.datetime) -> list[str]:
    return _told(session, e.recipients, ("sip_refused", e.meeting_id), templates.sip_refused(e.case_number, e.version),
                 e.case_number, now)


def _consent_withdrawn(session: Session, e: ev.ConsentWithdrawn, now: dt.datetime) -> list[str]:
    # first what waits to be sent to organisations no consent covers any more: cancelled, with the reason
    cancel_uncovered(session, e.person_id, now=now, reason=f"consent {e.consent_id} withdrawn")
    # then the one message still sent about each open case: it tells those who took part to stop
    return [key for number, case_id, participants in e.open_cases for member_id in participants
            for key in _one(session, event_key("consent_withdrawn", e.consent_id, case_id, member_id),
                            templates.consent_withdrawn(number), member_id, number, now)]


def _deviation_reported(session: Session, e: ev.DeviationReported, now: dt.datetime) -> list[str]:
    # the manager is always told: a deviation about their unit must reach them. Where the consent
    # does not cover their organisation, the message says only that one concerns their unit.
    template = templates.deviation_reported if e.covered else templates.deviation_for_unit
    return _one(session, event_key("deviation", e.deviation_id, e.manager_id), template(e.case_number),
                e.manager_id, e.case_number, now)


def _escalation_raised(session: Session, e: ev.EscalationRaised, now: dt.datetime) -> list[str]:
    message = templates.escalation_raised(e.case_number, e.level)
    return [key for member_id in e.recipient_ids
            for key in _one(session, event_key("escalation", e.escalation_id, member_id), message, member_id,
                            e.case_number, now)]


def _escalation_answered(session: Session, e: ev.EscalationAnswered, now: dt.datetime) -> list[str]:
    # the one who raised it is told only while the consent still covers them
    return _told(session, ((e.raiser_id, e.may_tell),), ("escalation_answered", e.escalation_id),
                 templates.escalation_answered(e.case_number), e.case_number, now)


def _coordinator_appointed(session: Session, e: ev.CoordinatorAppointed, now: dt.datetime) -> list[str]:
    return _one(session, f"meeting:{e.meeting_id}:needs_sip:{e.case_number}:{e.coordinator_id}",
                templates.sip_meeting_to_call(e.case_number, e.meeting_date), e.coordinator_id, e.case_number, now)


def _leadership_taken_over(session: Session, e: ev.LeadershipTakenOver, now: dt.datetime) -> list[str]:
    return _one(session, f"meeting:{e.meeting_id}:taken_over:{e.scheduled_leader_id}",
                templates.leadership_taken_over(e.team_name, e.meeting_date, e.meeting_id, e.new_leader_role),
                e.scheduled_leader_id, None, now)


def _minutes_closed(session: Session, e: ev.MinutesClosed, now: dt.datetime) -> list[str]:
    # case numbers only, and to each member only those the policy lets them be told about
    rows = [(f"minutes:{e.meeting_id}:{e.version}:{member_id}",
             templates.minutes_ready(e.team_name, e.meeting_date, e.version, e.meeting_id, list(numbers),
                                     leadership=e.leadership), member_id, None)
            for member_id, numbers in e.told]
    enqueue_many(session, rows, now=now)
    return [key for key, *_ in rows]


def _signin_link_requested(session: Session, e: ev.SignInLinkRequested, now: dt.datetime) -> list[str]:
    key = f"signin:{e.link_id}"
    enqueue(session, key=key, message=templates.signin_link(e.url), member_id=e.member_id, case_number=None, now=now)
    return [key]


# each handler takes its own event type: (session, event, now) -> the keys it queued
_HANDLERS: dict[type, Callable[..., list[str]]] = {
    ev.ActionAssigned: _action_assigned,
    ev.CaseFlagged: _case_flagged,
    ev.CaseClosed: _case_closed,
    ev.SipVersionWritten: _sip_version_written,
    ev.SipMeetingBooked: _sip_meeting_booked,
    ev.SipRefused: _sip_refused,
    ev.ConsentWithdrawn: _consent_withdrawn,
    ev.DeviationReported: _deviation_reported,
    ev.EscalationRaised: _escalation_raised,
    ev.EscalationAnswered: _escalation_answered,
    ev.CoordinatorAppointed: _coordinator_appointed,
    ev.LeadershipTakenOver: _leadership_taken_over,
    ev.MinutesClosed: _minutes_closed,
    ev.SignInLinkRequested: _signin_link_requested,
}
