"""The team's coordination meeting as it is held from the workspace (prepared by
`team_meeting_agenda`; not the person's SIP meeting, `sip_meeting`): the page's view of the meeting,
attendance, the decisions (each by the same use case as the CLI, under the access policy),
closing with versioned minutes, and the minutes as each team member may read them.

Only the team's active members see a meeting; only its leader (or a member who takes over as
leader) records. Every line about a case asks the policy whether the reader may be told about
it at the meeting; what a reader is shown is an audited read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from coordination.config.teams import Team
from coordination.domain import access as policy
from coordination.domain import team_meetings as m
from coordination.domain.access import CaseFacts, Purpose, Relationship
from coordination.domain.calendar import local_date
from coordination.domain.vocabulary import CaseStatus, DecisionKind, FollowUpVerdict, HandlingTime, MeetingStatus
from coordination.errors import N_, AccessDenied, InvalidInput, NotFound, RuleViolation
from coordination.domain.events import CoordinatorAppointed, LeadershipTakenOver, MinutesClosed
from coordination.notifications.handlers import publish
from coordination.notifications.outbox import event_key
from coordination.persistence.models import (
    Action, Assessment, CareCase, Meeting, MeetingAttendance, MeetingDecision, MeetingMinutes, Member, Organisation,
)
from coordination.usecases import acting
from coordination.usecases.access import case_facts, decision, member_facts, require, require_member
from coordination.usecases.common import Actor, acting_member, audit, case_by_number, referenced
from coordination.usecases.areas import case_in_area
from coordination.usecases.team_meeting_agenda import agenda_facts
from coordination.usecases.teams import (  # noqa: F401  (the pages and tests use them from here)
    get_meeting, meeting_for, require_in_team, team_members,
)
from coordination.usecases.planning import sbar
from coordination.usecases.reports import leadership_report

ATTENDANCE = ("present", "digital", "absent")
DECISION_KINDS = tuple(DecisionKind)
NOT_YET_PLANNED = (CaseStatus.IDENTIFIED, CaseStatus.CONSENTED, CaseStatus.ASSESSED)


# --- who is in the room -------------------------------------------------------------------


def current_meeting(session: Session, actor: Actor, team: Team, series: m.MeetingSeries, *,
                    now: dt.datetime) -> Meeting:
    """The meeting the series' page is for: one that is open, else today's (until it is closed),
    else the next one; its row made (with its leader) if it has none yet."""
    found = upcoming(session, actor, team, series, now=now, create=True)
    assert isinstance(found, Meeting)  # made when missing
    return found


def upcoming(session: Session, actor: Actor, team: Team, series: m.MeetingSeries, *, now: dt.datetime,
             create: bool = False) -> Meeting | m.Occurrence:
    """As `current_meeting`, but without `create` nothing is written: an occurrence that has no
    row yet (the preparation makes it, with the invitations) is answered as the occurrence."""
    require_in_team(session, actor, team)
    held_open = session.exec(select(Meeting).where(col(Meeting.series_id) == series.id, col(Meeting.status) == MeetingStatus.OPEN)
                             .order_by(col(Meeting.date))).first()
    if held_open is not None:
        return held_open
    today = local_date(now)
    for occ in m.occurrences(series, today - dt.timedelta(days=7), today + dt.timedelta(weeks=series.interval_weeks + 8)):
        if occ.date < today:
            continue
        row = meeting_for(session, team, series, occ) if create else session.exec(select(Meeting).where(
            col(Meeting.series_id) == series.id, col(Meeting.regular_date) == occ.regular)).first()
        if row is None:
            return occ
        if row.status != MeetingStatus.CLOSED:
            return row
    raise NotFound(f"series {series.id} has no meeting in the coming weeks", record=f"series {series.id}",
                   field="meetings", hint="an administrator checks the series in deployments/teams.yaml")


def _require_leader(session: Session, actor: Actor, meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise RuleViolation("is closed", record=f"meeting {meeting.id}", field="status",
                            hint="the leader reopens it to amend the minutes")
    if actor.member_id != meeting.leader_id:
        raise RuleViolation("only the meeting leader records the meeting", record=f"meeting {meeting.id}",
                            field="leader", hint="ask the leader, or take over as leader if they are away")


def _start(session: Session, meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == MeetingStatus.PLANNED:
        meeting.status, meeting.opened_at = MeetingStatus.OPEN, now
        session.add(meeting)


# --- the page -----------------------------------------------------------------------------

@dataclass
class CaseView:
    number: str
    described: bool  # may the viewer be told about it at this meeting?
    reasons: tuple[str, ...] = ()
    due: tuple[m.Due, ...] = ()
    status: str = ""
    sbar: dict | None = None  # the shared SBAR; {"withheld": True} when the person blocked it


@dataclass
class DecisionView:
    id: int
    case_number: str
    kind: str
    described: bool
    text: str = ""
    action: dict | None = None  # description, responsible, handling time, due, follow-up, status
    coordinator: dict | None = None
    state: str = ""  # for the next meeting: where it stands now
    verdict: str | None = None  # a follow-up's: continue | revise | close


@dataclass
class MeetingView:
    meeting: Meeting
    team: Team
    series: m.MeetingSeries
    leader: dict | None
    is_leader: bool
    members: list[dict]  # id, code, name, role, attendance
    facts: m.AgendaFacts
    cases: dict[str, CaseView]
    decisions: list[DecisionView]
    previous: list[DecisionView]  # the last meeting's decisions and where they stand
    previous_date: dt.date | None
    minutes_versions: list[int] = field(default_factory=list)
    report: dict | None = None  # the leadership group's: the area's indicators and the action plan
    taken_over_from: dict | None = None  # the leader the rotation appointed, when another took over


def meeting_view(session: Session, actor: Actor, team: Team, series: m.MeetingSeries, meeting: Meeting, *,
                 now: dt.datetime) -> MeetingView:
    """The agenda in the manual's order, with each person's shared SBAR where the viewer may be
    told about the case; the decisions so far; the previous meeting's decisions and where they
    stand."""
    members = require_in_team(session, actor, team)
    team_ids = tuple(mm.id for mm in members.values())
    shown: list[CareCase] = []
    report = None
    if series.kind == "leadership":  # no persons on its agenda: the area's figures, year to date
        facts = m.AgendaFacts({}, 0, (), (), (), ())
        report = leadership_report(session, team, local_date(now).year)
    else:
        facts = agenda_facts(session, team.organisations, now=now, viewer_id=actor.member_id,
                             team_member_ids=team_ids, shown=shown)
    reader = member_facts(session, actor.member_id).organisation if actor.member_id else None
    cases: dict[str, CaseView] = {}
    for case in shown:
        line = facts.line(case.number)
        cases[case.number] = CaseView(case.number, True, line.reasons if line else (), line.due if line else (),
                                      str(case.status), _sbar(session, case, reader, now=now))
        audit(session, actor, "read", "meeting", case.number, now=now, person_id=case.person_id)
    attendance = dict(session.exec(select(MeetingAttendance.member_id, MeetingAttendance.attendance)
                                   .where(col(MeetingAttendance.meeting_id) == meeting.id)).all())
    leader = session.get(Member, meeting.leader_id) if meeting.leader_id else None
    previous = session.exec(select(Meeting).where(col(Meeting.series_id) == series.id, col(Meeting.status) == MeetingStatus.CLOSED,
                                                  col(Meeting.date) < meeting.date)
                            .order_by(col(Meeting.date).desc())).first()
    versions = session.exec(select(MeetingMinutes.version).where(col(MeetingMinutes.meeting_id) == meeting.id)
                            .order_by(col(MeetingMinutes.version))).all()
    return MeetingView(
        meeting, team, series, _who(leader), actor.member_id == meeting.leader_id and meeting.status != MeetingStatus.CLOSED,
        [dict(_person(mm), id=mm.id, attendance=attendance.get(mm.id, "")) for mm in members.values() if mm.active],
        facts, cases, _decisions(session, actor, meeting, team_ids, now=now),
        _decisions(session, actor, previous, team_ids, now=now, with_state=True) if previous else [],
        previous.date if previous else None, list(versions), report,
        taken_over_from=_who(session.get(Member, meeting.taken_over_from_id)) if meeting.taken_over_from_id else None)


def _who(member: Member | None) -> dict | None:
    return _person(member) if member else None


def _person(member: Member) -> dict:
    return {"name": member.name, "role": str(member.role), "code": member.code}


def _sbar(session: Session, case: CareCase, reader: str | None, *, now: dt.datetime) -> dict | None:
    assessment = session.exec(select(Assessment).where(col(Assessment.case_id) == case.id)
                              .order_by(col(Assessment.id).desc())).first()
    if assessment is None:
        return None
    author = referenced(session, Member, assessment.author_id)
    source = referenced(session, Organisation, author.organisation_id).code
    facts = case_facts(session, case, now=now)
    if reader is not None and source != reader and policy.blocked(facts.blocks, source, at=now):
        return {"withheld": True}
    return sbar(assessment)


def _decisions(session: Session, actor: Actor, meeting: Meeting, team_ids: tuple[int, ...], *,
               now: dt.datetime, with_state: bool = False) -> list[DecisionView]:
    rows = session.exec(select(MeetingDecision).where(col(MeetingDecision.meeting_id) == meeting.id)
                        .order_by(col(MeetingDecision.id))).all()
    allowed: dict[str, bool] = {}
    out = []
    for row in rows:
        if not row.case_number:  # a note about no case: the leadership group's
            out.append(DecisionView(row.id, "", row.kind, True, row.text))
            continue
        if row.case_number not in allowed:
            case = case_by_number(session, row.case_number)
            allowed[row.case_number] = actor.member_id is None or decision(
                session, actor.member_id, Purpose.MEETING, case, now=now,
                facts=case_facts(session, case, now=now, team_member_ids=team_ids)).allowed
        if not allowed[row.case_number]:
            out.append(DecisionView(row.id, row.case_number, row.kind, False))
            continue
        view = DecisionView(row.id, row.case_number, row.kind, True, row.text, verdict=row.verdict)
        if row.action_id:
            action = referenced(session, Action, row.action_id)
            view.action = {"id": action.id, "description": action.description,
                           "responsible": _who(referenced(session, Member, action.responsible_id)),
                           "handling_time": str(action.handling_time), "due_date": action.due_date,
                           "follow_up_date": action.follow_up_date, "status": str(action.status)}
            view.state = str(action.status)
        if row.coordinator_id:
            view.coordinator = _who(session.get(Member, row.coordinator_id))
        if with_state and not row.action_id:
            view.state = str(case_by_number(session, row.case_number).status)
        out.append(view)
    return out


# --- recording the meeting ----------------------------------------------------------------

def take_over(session: Session, actor: Actor, team: Team, meeting_id: int, *, reason: str,
              now: dt.datetime) -> list[str]:
    """A team member takes over as leader when the appointed one is away. Leading is the power to
    record the meeting's decisions, so it is never taken silently: the reason is kept on the
    meeting, the take-over is audited, and the leader the rotation appointed is told. Returns
    the outbox keys of the message."""
    members = require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    record = f"meeting {meeting.id}"
    if meeting.status == MeetingStatus.CLOSED:
        raise RuleViolation("is closed", record=record, field="status",
                            hint="the leader reopens it to amend the minutes")
    if meeting.leader_id == actor.member_id:
        raise RuleViolation(f"{actor.label} already leads it", record=record, field="leader", hint="nothing to take over")
    if not reason.strip():
        raise InvalidInput("is empty", record=record, field="reason",
                           hint="say why you take over, for the appointed leader and the log review")
    scheduled = meeting.taken_over_from_id or meeting.leader_id  # the rotation's, however often it changed
    new_leader = members[actor.label] if actor.label in members else referenced(session, Member, actor.member_id)
    meeting.taken_over_from_id = scheduled if scheduled != actor.member_id else None
    meeting.take_over_reason = reason.strip() if meeting.taken_over_from_id else None
    meeting.leader_id = actor.member_id
    session.add(meeting)
    session.flush()
    audit(session, actor, "take_over", "meeting", f"{meeting.series_id} {meeting.date}", now=now)
    if meeting.taken_over_from_id is None:  # the appointed leader took their meeting back
        return []
    return publish(session, LeadershipTakenOver(meeting.id, meeting.date, team.name, meeting.taken_over_from_id,
                                                new_leader.role), now=now)


def record_attendance(session: Session, actor: Actor, team: Team, meeting_id: int, attendance: dict[str, str], *,
                      now: dt.datetime) -> None:
    """Who was there, in the room or digitally, and who was away (member code -> attendance)."""
    members = require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    _require_leader(session, actor, meeting)
    for code, value in attendance.items():
        if code not in members:
            raise InvalidInput(f"'{code}' is not a member of {team.name}", record=f"meeting {meeting.id}",
                               field="attendance", hint="record the team's members only")
        if value not in ATTENDANCE:
            raise InvalidInput(f"'{value}' is not an attendance", record=f"meeting {meeting.id}",
                               field=f"attendance {code}", hint="present, digital or absent")
    for code, value in attendance.items():
        row = session.get(MeetingAttendance, (meeting.id, members[code].id))
        if row is None:
            row = MeetingAttendance(meeting_id=meeting.id, member_id=members[code].id, attendance=value)
        row.attendance = value
        session.add(row)
    _start(session, meeting, now)
    audit(session, actor, "attendance", "meeting", f"{meeting.series_id} {meeting.date}", now=now)


def _case_in_meeting(session: Session, actor: Actor, team: Team, meeting: Meeting, number: str, *,
                     now: dt.datetime) -> tuple[CareCase, CaseFacts]:
    """The case a decision is about, with the team in its facts: deciding at the meeting is
    planning, and the team whose meeting has the case may plan under a valid consent."""
    members = require_in_team(session, actor, team)
    m.check_in_session(meeting.date, local_date(now), record=f"meeting {meeting.id}")
    case = case_by_number(session, number)
    if not case_in_area(session, case, team):
        # a meeting decides only about its own agenda: the team has no say over another area's case
        raise AccessDenied(f"{case.number} is not on the agenda of {team.name}'s meeting", rule="care_relationship",
                           purpose=str(Purpose.MEETING), record=f"case {case.number}", field="case",
                           hint="a meeting decides about its own area's open cases: take it to the case's own "
                                "team", actor_label=actor.label, actor_id=actor.member_id, person_id=case.person_id)
    facts = case_facts(session, case, now=now, team_member_ids=[mm.id for mm in members.values()])
    require(session, actor, Purpose.PLAN, case, now=now, facts=facts)
    return case, facts


def decide_action(session: Session, actor: Actor, team: Team, meeting_id: int, *, case_number: str,
                  responsible: str, description: str, handling_time: HandlingTime, follow_up_date: dt.date | None,
                  now: dt.datetime) -> tuple[int, list[str]]:
    """An action with its responsible member, handling time and follow-up date: made and
    dispatched by the CLI's own use case, so the responsible member is told at once. Returns the
    action's id and the outbox key of its message."""
    meeting = get_meeting(session, meeting_id)
    require_in_team(session, actor, team)  # an outsider's attempt is an audited refusal
    _require_leader(session, actor, meeting)
    case, facts = _case_in_meeting(session, actor, team, meeting, case_number, now=now)
    member = team_members(session, team).get(responsible)
    if member is None:
        raise InvalidInput(f"'{responsible}' is not a member of {team.name}", record=f"case {case.number}",
                           field="responsible", hint="choose a member of the team")
    action_id = acting.add_action(session, actor, case=case, responsible=member, description=description,
                                  handling_time=handling_time, follow_up_date=follow_up_date, now=now,
                                  purpose=Purpose.PLAN, facts=facts)
    session.add(MeetingDecision(meeting_id=meeting.id, case_number=case.number, kind=DecisionKind.ACTION, action_id=action_id,
                                recorded_by_id=acting_member(actor, record=f"meeting {meeting.id}"), recorded_at=now))
    _start(session, meeting, now)
    return action_id, [event_key("action", action_id, "assigned", member.id)]


def decide_needs_sip(session: Session, actor: Actor, team: Team, meeting_id: int, *, case_number: str,
                     coordinator: str, now: dt.datetime) -> list[str]:
    """The person needs a SIP: a coordinator is appointed to call the SIP meeting, and told.
    Returns the outbox key of the message."""
    meeting = get_meeting(session, meeting_id)
    require_in_team(session, actor, team)  # an outsider's attempt is an audited refusal
    _require_leader(session, actor, meeting)
    case, facts = _case_in_meeting(session, actor, team, meeting, case_number, now=now)
    if case.status not in NOT_YET_PLANNED:
        raise RuleViolation(f"already has a SIP ({case.status})", record=f"case {case.number}", field="status",
                            hint="follow the SIP up instead")
    member = team_members(session, team).get(coordinator)
    if member is None:
        raise InvalidInput(f"'{coordinator}' is not a member of {team.name}", record=f"case {case.number}",
                           field="coordinator", hint="choose a member of the team")
    if member.id == actor.member_id and not facts.relationships.get(member.id, frozenset()) & policy.TAKING_PART:
        # the leader's own act would be the only source of their relationship with the case
        raise AccessDenied(f"{actor.label} cannot appoint themselves coordinator of {case.number}, in which they "
                           "take no part", rule="care_relationship", purpose=str(Purpose.MEETING),
                           record=f"case {case.number}", field="coordinator",
                           hint="the meeting appoints another member, or another member records this decision",
                           actor_label=actor.label, actor_id=actor.member_id, person_id=case.person_id)
    require_member(session, member.id, Purpose.NOTIFY, case, now=now, actor=actor, facts=facts,
                   granted=[Relationship.COORDINATOR])
    case.coordinator_id = member.id
    session.add(case)
    row = MeetingDecision(meeting_id=meeting.id, case_number=case.number, kind=DecisionKind.NEEDS_SIP, coordinator_id=member.id,
                          recorded_by_id=acting_member(actor, record=f"meeting {meeting.id}"), recorded_at=now)
    session.add(row)
    session.flush()
    keys = publish(session, CoordinatorAppointed(case.number, meeting.id, meeting.date, member.id), now=now)
    audit(session, actor, "appoint_coordinator", "case", case.number, now=now, person_id=case.person_id)
    _start(session, meeting, now)
    return keys


def note_discharge(session: Session, actor: Actor, team: Team, meeting_id: int, *, case_number: str, text: str,
                   now: dt.datetime) -> None:
    """What the meeting agreed for a patient leaving hospital care."""
    meeting = get_meeting(session, meeting_id)
    require_in_team(session, actor, team)  # an outsider's attempt is an audited refusal
    _require_leader(session, actor, meeting)
    case, _ = _case_in_meeting(session, actor, team, meeting, case_number, now=now)
    if not text.strip():
        raise InvalidInput("is empty", record=f"case {case.number}", field="discharge",
                           hint="write what was agreed for the discharge")
    session.add(MeetingDecision(meeting_id=meeting.id, case_number=case.number, kind=DecisionKind.DISCHARGE, text=text.strip(),
                                recorded_by_id=acting_member(actor, record=f"meeting {meeting.id}"), recorded_at=now))
    audit(session, actor, "discharge_note", "case", case.number, now=now, person_id=case.person_id)
    _start(session, meeting, now)


def note_follow_up(session: Session, actor: Actor, team: Team, meeting_id: int, *, case_number: str,
                   verdict: FollowUpVerdict, text: str | None, now: dt.datetime) -> None:
    """Section 4, the short follow-up of an ongoing case: the plan continues, the coordinator
    revises it with the person, or the needs look met and the coordinator closes it with the
    person at the follow-up. The case's own follow-up stays the coordinator's act, with the person."""
    meeting = get_meeting(session, meeting_id)
    require_in_team(session, actor, team)  # an outsider's attempt is an audited refusal
    _require_leader(session, actor, meeting)
    case, _ = _case_in_meeting(session, actor, team, meeting, case_number, now=now)
    if case.status not in (CaseStatus.PLANNED, CaseStatus.ACTIVE):
        raise RuleViolation(f"is not an ongoing case ({case.status})", record=f"case {case.number}", field="case",
                            hint="follow up a case with a SIP; decide an action or a SIP for the others",
                            why=N_("Only a case with a SIP is followed up here."))
    session.add(MeetingDecision(meeting_id=meeting.id, case_number=case.number, kind=DecisionKind.FOLLOW_UP,
                                verdict=str(verdict), text=(text or "").strip(),
                                recorded_by_id=acting_member(actor, record=f"meeting {meeting.id}"), recorded_at=now))
    audit(session, actor, "follow_up_decision", "case", case.number, now=now, person_id=case.person_id)
    _start(session, meeting, now)


def note_decision(session: Session, actor: Actor, team: Team, meeting_id: int, *, text: str,
                  now: dt.datetime) -> None:
    """A decision about no case: the leadership group's (a change of routine, a question sent on
    to MAS, MAR or MLA, ...)."""
    require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    _require_leader(session, actor, meeting)
    m.check_in_session(meeting.date, local_date(now), record=f"meeting {meeting.id}")
    if not text.strip():
        raise InvalidInput("is empty", record=f"meeting {meeting.id}", field="decision", hint="write the decision")
    session.add(MeetingDecision(meeting_id=meeting.id, case_number="", kind=DecisionKind.NOTE, text=text.strip(),
                                recorded_by_id=acting_member(actor, record=f"meeting {meeting.id}"), recorded_at=now))
    _start(session, meeting, now)


def save_summary(session: Session, actor: Actor, team: Team, meeting_id: int, summary: str, *,
                 now: dt.datetime) -> None:
    require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    _require_leader(session, actor, meeting)
    meeting.summary = summary.strip()
    session.add(meeting)
    _start(session, meeting, now)


def close_meeting(session: Session, actor: Actor, team: Team, meeting_id: int, *,
                  now: dt.datetime) -> tuple[int, list[str]]:
    """Store the minutes as a new version, take the decided cases off the next agenda's lists
    of flagged persons, and send every team member the minutes' link with case numbers only.
    Returns the version and the outbox keys of the messages."""
    members = require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    _require_leader(session, actor, meeting)
    m.check_may_close(meeting.date, local_date(now), record=f"meeting {meeting.id}")
    if not meeting.summary.strip():
        raise InvalidInput("the summary is missing", record=f"meeting {meeting.id}", field="summary",
                           hint="write the meeting's summary before closing it")
    decisions = session.exec(select(MeetingDecision).where(col(MeetingDecision.meeting_id) == meeting.id)
                             .order_by(col(MeetingDecision.id))).all()
    version = (session.exec(select(func.max(MeetingMinutes.version))
                            .where(col(MeetingMinutes.meeting_id) == meeting.id)).one() or 0) + 1
    session.add(MeetingMinutes(meeting_id=meeting.id, version=version, content=_snapshot(session, meeting, decisions),
                               closed_by_id=acting_member(actor, record=f"meeting {meeting.id}"), closed_at=now))
    numbers = sorted({d.case_number for d in decisions if d.case_number})
    for case in session.exec(select(CareCase).where(col(CareCase.number).in_(numbers))):
        case.flagged_for_meeting = False  # taken up: the next meeting follows it up instead
        session.add(case)
    meeting.status, meeting.closed_at = MeetingStatus.CLOSED, now
    session.add(meeting)
    team_ids = [mm.id for mm in members.values()]
    facts = {n: case_facts(session, case_by_number(session, n), now=now, team_member_ids=team_ids) for n in numbers}
    # each member's message names only the cases the policy lets them be told about
    told = tuple((mm.id, tuple(n for n in numbers if decision(session, mm.id, Purpose.NOTIFY, case_by_number(session, n),
                                                              now=now, facts=facts[n]).allowed))
                 for mm in members.values() if mm.active)
    keys = publish(session, MinutesClosed(meeting.id, version, team.name, meeting.date,
                                          team.leads(meeting.series_id), told), now=now)
    audit(session, actor, "close", "meeting", f"{meeting.series_id} {meeting.date} v{version}", now=now)
    return version, keys


def reopen_meeting(session: Session, actor: Actor, team: Team, meeting_id: int, *, now: dt.datetime) -> None:
    """The leader reopens a closed meeting to amend it; closing again keeps the earlier minutes
    and stores the next version."""
    require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.CLOSED:
        raise RuleViolation("is not closed", record=f"meeting {meeting.id}", field="status", hint="nothing to reopen")
    if actor.member_id != meeting.leader_id:
        raise RuleViolation("only the meeting leader reopens the meeting", record=f"meeting {meeting.id}",
                            field="leader", hint="ask the leader")
    meeting.status = MeetingStatus.OPEN
    session.add(meeting)
    audit(session, actor, "reopen", "meeting", f"{meeting.series_id} {meeting.date}", now=now)


def _snapshot(session: Session, meeting: Meeting, decisions: Sequence[MeetingDecision]) -> dict:
    def code(member_id):
        member = session.get(Member, member_id) if member_id else None
        return {"code": member.code, "name": member.name, "role": str(member.role)} if member else None

    attendance = session.exec(select(MeetingAttendance).where(col(MeetingAttendance.meeting_id) == meeting.id)).all()
    items = []
    for d in decisions:
        item = {"case_number": d.case_number, "kind": d.kind, "text": d.text, "coordinator": code(d.coordinator_id),
                "verdict": d.verdict}
        if d.action_id:
            a = referenced(session, Action, d.action_id)
            item["action"] = {"id": a.id, "description": a.description, "responsible": code(a.responsible_id),
                              "handling_time": str(a.handling_time),
                              "due_date": a.due_date.isoformat() if a.due_date else None,
                              "follow_up_date": a.follow_up_date.isoformat()}
        items.append(item)
    return {"date": meeting.date.isoformat(), "leader": code(meeting.leader_id),
            "attendance": [dict(code(a.member_id), attendance=a.attendance) for a in attendance],
            "decisions": items, "summary": meeting.summary}


# --- the minutes --------------------------------------------------------------------------

@dataclass
class MinutesView:
    meeting: Meeting
    team: Team
    version: int
    versions: list[int]
    closed_at: dt.datetime
    content: dict  # the snapshot, with the decisions about cases the reader may not be told about emptied

    @property
    def leadership(self) -> bool:  # the title says whose meeting it was
        return self.team.leads(self.meeting.series_id)


def minutes(session: Session, actor: Actor, team: Team, meeting_id: int, *, version: int | None,
            now: dt.datetime) -> MinutesView:
    members = require_in_team(session, actor, team)
    meeting = get_meeting(session, meeting_id)
    if meeting.team_id != team.id:
        raise NotFound(f"unknown meeting {meeting_id}", record=f"meeting {meeting_id}", field="meeting",
                       hint="open the minutes from your team's meetings")
    versions = session.exec(select(MeetingMinutes.version).where(col(MeetingMinutes.meeting_id) == meeting.id)
                            .order_by(col(MeetingMinutes.version))).all()
    if not versions:
        raise NotFound("has no minutes yet", record=f"meeting {meeting.id}", field="minutes",
                       hint="the leader closes the meeting to store them")
    wanted = version or versions[-1]
    row = session.exec(select(MeetingMinutes).where(col(MeetingMinutes.meeting_id) == meeting.id,
                                                    col(MeetingMinutes.version) == wanted)).first()
    if row is None:
        raise NotFound(f"has no version {wanted}", record=f"meeting {meeting.id}", field="version",
                       hint=f"versions: {', '.join(map(str, versions))}")
    team_ids = [mm.id for mm in members.values()]
    content = dict(row.content)
    shown = []
    allowed: dict[str, bool] = {}
    for item in content["decisions"]:
        number = item["case_number"]
        if not number:
            shown.append(item)
            continue
        if number not in allowed:
            case = case_by_number(session, number)
            allowed[number] = actor.member_id is None or decision(
                session, actor.member_id, Purpose.MEETING, case, now=now,
                facts=case_facts(session, case, now=now, team_member_ids=team_ids)).allowed
            if allowed[number]:
                audit(session, actor, "read", "minutes", number, now=now, person_id=case.person_id)
        shown.append(item if allowed[number] else {"case_number": number, "kind": item["kind"], "withheld": True})
    content["decisions"] = shown
    return MinutesView(meeting, team, wanted, list(versions), row.closed_at, content)
