"""The team's recurring coordination meeting (samordningsmöte), before it is held: the agenda
from the coordination record, the meeting leader by the rotation, and invitations and reminders
through the outbox. The meeting as it is held is `team_meeting_room`; the person's own SIP
meeting is `sip_meeting`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from coordination.domain import team_meetings as m
from coordination.domain.calendar import local_date
from coordination.domain.access import Purpose, decide, shared_consent
from coordination.domain.vocabulary import ActionStatus, CaseStatus, IdentificationReason
from coordination.notifications.outbox import enqueue_many
from coordination.notifications import templates
from coordination.persistence.models import (
    Action, CareCase, Member, Person, Sip,
)
from coordination.usecases.areas import in_area, organisation_ids
from coordination.usecases.access import case_facts_for, consent_facts_for, member_facts
from coordination.usecases.common import Actor, audit, audit_many, is_child
from coordination.usecases.teams import meeting_for, require_member_of, team_members

LOOK_AHEAD = dt.timedelta(days=14)  # "ongoing cases": what falls due before the meeting after next


@dataclass
class MeetingPrepared:
    date: dt.date | None
    leader: str | None
    invited: int
    agenda_markdown: str
    skipped_for_holiday: bool = False


def agenda_facts(session: Session, organisations: tuple[str, ...], *, now: dt.datetime,
                 viewer_id: int | None = None, team_member_ids: tuple[int, ...] = (),
                 shown: list[CareCase] | None = None) -> m.AgendaFacts:
    """The area's cases: those opened by signals of the team's organisations, or coordinated
    from them (`areas.in_area`).

    With a `viewer`, each line is described only if the access policy lets that member be told
    about the case at the meeting; otherwise, and for the case-numbers-only artifact, a line is
    described when a documented consent to share exists. Cases described to the viewer are
    appended to `shown` (their reads are audited)."""
    today = local_date(now)
    cases = session.exec(select(CareCase).where(in_area(organisation_ids(session, organisations)))
                         .order_by(col(CareCase.number))).all()
    # the open actions and current SIPs of all the area's cases in two queries, not two per case
    listed = [c.id for c in cases]
    actions: dict[int, list] = {}
    for case_id, action_id, due_date in session.exec(
            select(col(Action.case_id), col(Action.id), col(Action.due_date)).where(
                col(Action.case_id).in_(listed), col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]),
                col(Action.due_date) != None).order_by(col(Action.id))):  # noqa: E711
        actions.setdefault(case_id, []).append((action_id, due_date))
    sips = {sip.case_id: sip for sip in session.exec(select(Sip).where(col(Sip.case_id).in_(listed),
                                                                        col(Sip.current) == True))}  # noqa: E712
    if viewer_id is None:  # the artifact: each person's consents and age, in a few queries too
        persons = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_([c.person_id for c in cases])))}
        consents = consent_facts_for(session, persons)
    else:  # the viewer's: the policy asked per case, its facts gathered for all cases at once
        viewer = member_facts(session, viewer_id)
        facts_of = case_facts_for(session, cases, now=now, team_member_ids=team_member_ids)
    counts: dict[str, int] = {}
    discharge, at_risk, ongoing, need_sip = [], [], [], []
    overdue = 0
    for case in cases:
        counts[str(case.status)] = counts.get(str(case.status), 0) + 1
        if viewer_id is None:
            person = persons[case.person_id]
            consented = shared_consent(consents[person.id], at=now, on=today, person_is_child=is_child(person, today))
        else:
            consented = decide(viewer, Purpose.MEETING, facts_of[case.id], at=now, on=today).allowed
            if consented and shown is not None:
                shown.append(case)
        due = []
        for action_id, due_date in actions.get(case.id, ()):
            overdue += due_date < today
            if due_date <= today + LOOK_AHEAD:
                due.append(m.Due("action", action_id, due_date))
        sip = sips.get(case.id)
        if sip and sip.next_follow_up <= today + LOOK_AHEAD:
            due.append(m.Due("sip_follow_up", None, sip.next_follow_up))
        line = m.CaseLine(case.number, consented, tuple(case.reasons), tuple(due))
        if case.flagged_for_meeting and IdentificationReason.DISCHARGE_COORDINATION in case.reasons:
            discharge.append(line)
        elif case.flagged_for_meeting and case.status in (CaseStatus.IDENTIFIED, CaseStatus.CONSENTED,
                                                          CaseStatus.ASSESSED):
            at_risk.append(line)
        if case.status in (CaseStatus.PLANNED, CaseStatus.ACTIVE) and due:
            ongoing.append(line)
        if consented and case.status in (CaseStatus.CONSENTED, CaseStatus.ASSESSED):
            need_sip.append(line)
    return m.AgendaFacts(counts, overdue, discharge, at_risk, ongoing, need_sip)


def agenda_for(session: Session, actor: Actor, *, team_name: str, organisations: tuple[str, ...],
               members: tuple[str, ...], now: dt.datetime) -> m.AgendaFacts:
    """The agenda as one team member sees it: reasons only for cases the policy lets them be
    told about, "consent needed" for the rest. Only the team's members see it; each case
    described is an audited read that carries the person."""

    team = dict(session.exec(select(Member.code, Member.id).where(col(Member.code).in_(members))).all())
    require_member_of(session, actor, team_name, set(team.values()))
    shown: list[CareCase] = []
    facts = agenda_facts(session, organisations, now=now, viewer_id=actor.member_id,
                         team_member_ids=tuple(team.values()), shown=shown)
    audit_many(session, actor, "read", "agenda", [(case.number, case.person_id) for case in shown], now=now)
    return facts


def prepare_meeting(session: Session, actor: Actor, *, team, series: m.MeetingSeries, now: dt.datetime,
                    step: str) -> MeetingPrepared:
    """`prepare`: agenda, meeting leader and invitations for the next meeting within the
    preparation lead time; `remind`: reminders within the reminder lead time. The meeting's row is
    made here (its leader fixed by the rotation), so the messages link to its page. Idempotent:
    the outbox keys are the series, the meeting date, the step and the member."""

    # icalendar is loaded here, for the invitations only: a member asking for the agenda never needs it
    from coordination.notifications import calendar_feed

    lead = dt.timedelta(hours=series.preparation_hours if step == "prepare" else series.reminder_hours)
    target = m.target_of_run(series, now, lead)
    if target is None or target.occurrence is None:
        return MeetingPrepared(None, None, 0, "", skipped_for_holiday=target is not None)
    occ = target.occurrence
    room = team.room(series)  # the team, or the leadership group's own members
    meeting = meeting_for(session, room, series, occ)
    members = team_members(session, room)
    leader = session.get(Member, meeting.leader_id) if meeting.leader_id else None
    if series.kind == "leadership":  # its agenda is the area's indicators, shown on its page
        counts = None
        markdown = m.agenda_markdown(f"{team.name}: leadership group {occ.date} {occ.start:%H:%M}",
                                     [m.AgendaItem(title) for title in m.LEADERSHIP_AGENDA])
    else:
        facts = agenda_facts(session, team.organisations, now=now)
        title = f"{team.name}: coordination meeting {occ.date} {occ.start:%H:%M}"
        markdown = m.agenda_markdown(title, m.build_agenda(facts, details=False))
        consent_needed = sum(not c.consented for c in (*facts.discharge, *facts.at_risk))
        counts = templates.AgendaCounts(len(facts.discharge), len(facts.at_risk), len(facts.ongoing),
                                        len(facts.need_sip), consent_needed)
    message = templates.meeting_message(
        step, team_name=team.name, day=occ.date, start=occ.start, end=occ.end, timezone=series.timezone,
        moved_from=occ.regular if occ.moved else None, join_url=series.link,
        leader=(leader.role, leader.code) if leader else None, counts=counts,
        invitation=(lambda t: calendar_feed.invitation(series, occ, team_name=team.name, stamp=now, t=t))
        if step == "prepare" else None, meeting_id=meeting.id)
    rows = [(f"meeting:{series.id}:{occ.date}:{step}:{mm.id}", message, mm.id, None)
            for code, mm in sorted(members.items()) if mm.active]
    enqueue_many(session, rows, now=now)
    audit(session, actor, step, "meeting", f"{series.id} {occ.date}", now=now)
    return MeetingPrepared(occ.date, leader.code if leader else None, len(rows), markdown)
