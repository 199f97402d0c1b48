"""Holding the coordination meeting: who may see and record it, decisions through the CLI's use
cases and the access policy, closing with versioned minutes, and the follow-up at the next one."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from sqlmodel import select

from coordination.config.teams import load_teams
from coordination.domain.vocabulary import ActionStatus, HandlingTime
from coordination.errors import AccessDenied, InvalidInput, RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import (
    Action, AuditEvent, CareCase, Meeting, MeetingDecision, MeetingMinutes, Member, Outbox,
)
from coordination.usecases import team_meeting_room
from coordination.usecases.common import actor_for
from tests.conftest import ADMIN, ROOT
from tests.notifications.test_delivery import personal_strings
from tests.usecases.test_cycle import open_and_plan

# Tuesday 1 December 2026, 13:05: the norrby-weekly meeting is being held, led by hc-dsk2. Its
# decisions are recorded at the meeting, on its day (before it, see test_a_meeting_decides_...)
NOW = pendulum.datetime(2026, 12, 1, 13, 5, tz="Europe/Stockholm").in_timezone("UTC")
BEFORE = pendulum.datetime(2026, 11, 27, 10, tz="Europe/Stockholm").in_timezone("UTC")
LEADER = "hc-dsk2"


@pytest.fixture
def room(db_url, example_data):
    open_and_plan(db_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    with unit_of_work() as s:
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-dsk1"), team, team.meetings[0], now=NOW)
    return team, meeting


def act(code, work):
    with unit_of_work() as s:
        return work(s, actor_for(s, code))


def rows(model, *where):
    with unit_of_work() as s:
        return s.exec(select(model).where(*where)).all()


def test_the_meeting_has_its_date_and_its_leader_by_the_rotation(room):
    team, meeting = room
    assert meeting.date == dt.date(2026, 12, 1) and meeting.status == "planned"
    [leader] = rows(Member, Member.id == meeting.leader_id)
    assert leader.code == LEADER


def test_only_the_teams_active_members_see_the_meeting_and_a_refusal_is_audited(room):
    team, meeting = room
    with pytest.raises(AccessDenied) as refused:
        act("bkl-lak", lambda s, a: team_meeting_room.meeting_view(s, a, team, team.meetings[0], meeting, now=NOW))
    assert refused.value.rule == "care_relationship"
    assert rows(AuditEvent, AuditEvent.action == "refused:meeting")
    with pytest.raises(AccessDenied):
        act("bkl-lak", lambda s, a: team_meeting_room.minutes(s, a, team, meeting.id, version=None, now=NOW))


def test_the_agenda_describes_a_person_only_where_the_consent_covers_the_viewer(room):
    team, meeting = room
    nurse = act("hc-dsk1", lambda s, a: team_meeting_room.meeting_view(s, a, team, team.meetings[0], meeting, now=NOW))
    therapist = act("rehab-at", lambda s, a: team_meeting_room.meeting_view(s, a, team, team.meetings[0], meeting,
                                                                       now=NOW))
    assert "K-2026-0002" in nurse.cases and "K-2026-0002" not in therapist.cases  # consent 2 names no rehab
    assert nurse.cases["K-2026-0002"].sbar is None or "S" in nurse.cases["K-2026-0002"].sbar
    assert any(c.sbar and "S" in c.sbar for c in nurse.cases.values())  # the shared SBAR is shown
    assert any(not line.consented for line in nurse.facts.at_risk)  # without consent: "consent needed" only
    told = {e.record_id for e in rows(AuditEvent, AuditEvent.action == "read", AuditEvent.record_type == "meeting")}
    assert "K-2026-0002" in told


def record(team, meeting, code=LEADER):
    def work(s, a):
        team_meeting_room.record_attendance(s, a, team, meeting.id, {"hc-dsk1": "present", "hsv-ssk1": "digital",
                                                                "rehab-ft": "absent"}, now=NOW)
        action_id, keys = team_meeting_room.decide_action(
            s, a, team, meeting.id, case_number="K-2026-0002", responsible="hsv-ssk1",
            description="Hembesök: bedöm behov av hjälpmedel", handling_time=HandlingTime.NEXT_WORKING_DAY,
            follow_up_date=dt.date(2026, 12, 15), now=NOW)
        team_meeting_room.decide_needs_sip(s, a, team, meeting.id, case_number="K-2026-0003", coordinator="hc-dsk1",
                                      now=NOW)
        team_meeting_room.note_discharge(s, a, team, meeting.id, case_number="K-2026-0001",
                                    text="Hemgång fredag; hemtjänst från lördag", now=NOW)
        team_meeting_room.save_summary(s, a, team, meeting.id, "Tre ärenden; en SIP ska kallas.", now=NOW)
        return action_id, keys
    return act(code, work)


def test_an_action_decided_at_the_meeting_is_dispatched_and_told_at_once(room):
    team, meeting = room
    action_id, keys = record(team, meeting)
    [action] = rows(Action, Action.id == action_id)
    assert action.status == ActionStatus.ASSIGNED and action.due_date == dt.date(2026, 12, 2)  # next working day
    assert action.sip_id is None and action.follow_up_date == dt.date(2026, 12, 15)  # before any SIP
    [message] = rows(Outbox, Outbox.key == keys[0])
    assert message.kind == "action_assigned" and "K-2026-0002" in message.subject
    [needs] = rows(Outbox, Outbox.kind == "sip_meeting_to_call")
    [coordinator] = rows(Member, Member.id == needs.member_id)
    assert coordinator.code == "hc-dsk1"
    [case] = rows(CareCase, CareCase.number == "K-2026-0003")
    assert case.coordinator_id == coordinator.id
    assert rows(Meeting, Meeting.id == meeting.id)[0].status == "open"


def test_only_the_leader_records_and_a_member_can_take_over(room):
    team, meeting = room
    with pytest.raises(RuleViolation, match="only the meeting leader"):
        act("hc-dsk1", lambda s, a: team_meeting_room.save_summary(s, a, team, meeting.id, "x", now=NOW))
    act("hc-dsk1", lambda s, a: team_meeting_room.take_over(s, a, team, meeting.id, reason="hc-dsk2 är sjuk",
                                                          now=NOW))
    act("hc-dsk1", lambda s, a: team_meeting_room.save_summary(s, a, team, meeting.id, "x", now=NOW))
    assert rows(AuditEvent, AuditEvent.action == "take_over")


def test_taking_over_needs_a_reason_and_the_appointed_leader_is_told(room):
    team, meeting = room
    with pytest.raises(InvalidInput) as missing:
        act("hc-dsk1", lambda s, a: team_meeting_room.take_over(s, a, team, meeting.id, reason="  ", now=NOW))
    assert missing.value.field == "reason"
    with pytest.raises(AccessDenied):  # not on the team: an audited refusal, not a 400
        act("bkl-lak", lambda s, a: team_meeting_room.take_over(s, a, team, meeting.id, reason="x", now=NOW))
    assert refusals() == ["refused:meeting"]
    [before] = rows(Meeting, Meeting.id == meeting.id)
    assert before.leader_id == member_id(LEADER) and before.taken_over_from_id is None
    assert not rows(AuditEvent, AuditEvent.action == "take_over") and not rows(Outbox, Outbox.kind == "leadership_taken_over")
    keys = act("hc-dsk1", lambda s, a: team_meeting_room.take_over(s, a, team, meeting.id, reason="Ledaren är sjuk",
                                                                 now=NOW))
    [after] = rows(Meeting, Meeting.id == meeting.id)
    assert (after.leader_id, after.taken_over_from_id, after.take_over_reason) == (
        member_id("hc-dsk1"), member_id(LEADER), "Ledaren är sjuk")
    [told] = rows(Outbox, Outbox.key == keys[0])
    assert told.member_id == member_id(LEADER) and told.kind == "leadership_taken_over"
    assert "sjuk" not in told.subject + told.body  # the reason stays on the page, out of the message
    assert "distriktssköterska" in told.body and "/meetings/m/" in told.body
    view = act("hsv-ssk1", lambda s, a: team_meeting_room.meeting_view(s, a, team, team.meetings[0], after, now=NOW))
    assert view.leader["code"] == "hc-dsk1" and view.taken_over_from["code"] == LEADER
    with pytest.raises(RuleViolation):  # leading already
        act("hc-dsk1", lambda s, a: team_meeting_room.take_over(s, a, team, meeting.id, reason="x", now=NOW))
    assert act(LEADER, lambda s, a: team_meeting_room.take_over(s, a, team, meeting.id, reason="Tillbaka",
                                                                now=NOW)) == []  # back: nobody to tell
    [back] = rows(Meeting, Meeting.id == meeting.id)
    assert (back.leader_id, back.taken_over_from_id, back.take_over_reason) == (member_id(LEADER), None, None)


def member_id(code: str) -> int:
    [row] = rows(Member, Member.code == code)
    return row.id


def test_a_decision_the_policy_refuses_writes_nothing(room):
    team, meeting = room
    with pytest.raises(AccessDenied, match="rehab-norrby"):  # the consent of K-2026-0002 names no rehab
        act(LEADER, lambda s, a: team_meeting_room.decide_action(
            s, a, team, meeting.id, case_number="K-2026-0002", responsible="rehab-at", description="Hembesök",
            handling_time=HandlingTime.URGENT, follow_up_date=dt.date(2026, 12, 15), now=NOW))
    with pytest.raises(AccessDenied, match="consent"):  # no consent at all: nothing may be decided
        act(LEADER, lambda s, a: team_meeting_room.note_discharge(s, a, team, meeting.id, case_number="K-2026-0012",
                                                             text="x", now=NOW))
    assert rows(Action) == [] and rows(MeetingDecision) == []


@pytest.mark.parametrize("work, field", [
    (lambda s, a, team, mid: team_meeting_room.decide_action(
        s, a, team, mid, case_number="K-2026-0002", responsible="hsv-ssk1", description="Hembesök",
        handling_time=HandlingTime.URGENT, follow_up_date=None, now=NOW), "follow_up_date"),
    (lambda s, a, team, mid: team_meeting_room.decide_action(
        s, a, team, mid, case_number="K-2026-0002", responsible="bkl-ssk", description="Hembesök",
        handling_time=HandlingTime.URGENT, follow_up_date=dt.date(2026, 12, 15), now=NOW), "responsible"),
    (lambda s, a, team, mid: team_meeting_room.note_discharge(s, a, team, mid, case_number="K-2026-0001", text=" ",
                                                         now=NOW), "discharge"),
    (lambda s, a, team, mid: team_meeting_room.record_attendance(s, a, team, mid, {"hc-dsk1": "late"}, now=NOW),
     "attendance hc-dsk1"),
    (lambda s, a, team, mid: team_meeting_room.close_meeting(s, a, team, mid, now=NOW), "summary"),
])
def test_bad_input_names_the_field_and_writes_nothing(room, work, field):
    team, meeting = room
    with pytest.raises((InvalidInput, RuleViolation)) as err:
        act(LEADER, lambda s, a: work(s, a, team, meeting.id))
    assert err.value.field == field
    assert rows(Action) == [] and rows(MeetingDecision) == [] and rows(MeetingMinutes) == []


def test_closing_keeps_versioned_minutes_and_tells_each_member_only_their_cases(room, example_data):
    team, meeting = room
    record(team, meeting)
    version, keys = act(LEADER, lambda s, a: team_meeting_room.close_meeting(s, a, team, meeting.id, now=NOW))
    assert version == 1
    messages = rows(Outbox, Outbox.kind == "meeting_minutes")
    assert len(messages) == len(keys) == len([m for m in team.members])  # every active team member
    by_code = {rows(Member, Member.id == m.member_id)[0].code: m for m in messages}
    assert "K-2026-0002" in by_code["hc-dsk1"].body and "K-2026-0002" not in by_code["rehab-at"].body
    assert f"/meetings/m/{meeting.id}/minutes" in by_code["hc-dsk1"].body
    for secret in personal_strings(example_data) + ["Hemgång fredag", "Hembesök"]:
        assert not any(secret in m.body or secret in m.subject for m in messages), secret
    # the decided cases leave the flagged lists: the next meeting follows them up instead
    assert not rows(CareCase, CareCase.number == "K-2026-0002")[0].flagged_for_meeting
    with pytest.raises(RuleViolation, match="closed"):
        act(LEADER, lambda s, a: team_meeting_room.save_summary(s, a, team, meeting.id, "late", now=NOW))
    act(LEADER, lambda s, a: team_meeting_room.reopen_meeting(s, a, team, meeting.id, now=NOW))
    act(LEADER, lambda s, a: team_meeting_room.save_summary(s, a, team, meeting.id, "Rättad sammanfattning", now=NOW))
    assert act(LEADER, lambda s, a: team_meeting_room.close_meeting(s, a, team, meeting.id, now=NOW))[0] == 2
    first = act("hc-dsk1", lambda s, a: team_meeting_room.minutes(s, a, team, meeting.id, version=1, now=NOW))
    latest = act("hc-dsk1", lambda s, a: team_meeting_room.minutes(s, a, team, meeting.id, version=None, now=NOW))
    assert first.content["summary"] == "Tre ärenden; en SIP ska kallas." and first.versions == [1, 2]
    assert latest.version == 2 and latest.content["summary"] == "Rättad sammanfattning"
    assert {a["code"]: a["attendance"] for a in latest.content["attendance"]}["hsv-ssk1"] == "digital"
    therapist = act("rehab-at", lambda s, a: team_meeting_room.minutes(s, a, team, meeting.id, version=None, now=NOW))
    hidden = [d for d in therapist.content["decisions"] if d["case_number"] == "K-2026-0002"]
    assert hidden == [{"case_number": "K-2026-0002", "kind": "action", "withheld": True}]


def test_the_next_meeting_follows_up_what_the_last_one_decided(room):
    team, meeting = room
    action_id, _ = record(team, meeting)
    act(LEADER, lambda s, a: team_meeting_room.close_meeting(s, a, team, meeting.id, now=NOW))
    with unit_of_work() as s:
        following = team_meeting_room.current_meeting(s, actor_for(s, "hc-dsk1"), team, team.meetings[0], now=NOW)
    assert following.date == dt.date(2026, 12, 8)
    [hsv_leader] = rows(Member, Member.id == following.leader_id)
    assert hsv_leader.organisation_id != rows(Member, Member.code == LEADER)[0].organisation_id  # alternates
    view = act("hc-dsk1", lambda s, a: team_meeting_room.meeting_view(s, a, team, team.meetings[0], following, now=NOW))
    assert view.previous_date == dt.date(2026, 12, 1)
    states = {(d.case_number, d.kind): d.state for d in view.previous}
    assert states[("K-2026-0002", "action")] == "assigned" and ("K-2026-0003", "needs_sip") in states
    assert "K-2026-0002" not in [line.case_number for line in view.facts.at_risk]


def test_preparing_the_meeting_makes_its_row_and_links_the_invitation_to_its_page(room):
    from coordination.usecases.team_meeting_agenda import prepare_meeting
    from tests.conftest import ADMIN

    team, meeting = room
    sunday = pendulum.datetime(2026, 11, 29, 13, tz="Europe/Stockholm").in_timezone("UTC")
    with unit_of_work() as s:
        prepared = prepare_meeting(s, ADMIN, team=team, series=team.meetings[0], now=sunday, step="prepare")
    assert prepared.date == dt.date(2026, 12, 1) and prepared.leader == LEADER
    invitations = rows(Outbox, Outbox.kind == "meeting_invitation")
    assert invitations and all(f"/meetings/m/{meeting.id}" in m.body for m in invitations)


# --- the local leadership group -------------------------------------------------------------

def leadership(db_url, example_data):
    open_and_plan(db_url, example_data)
    [team] = load_teams(ROOT / "deployments" / "teams.yaml")
    series = team.leadership_group.series
    return team, team.room(series), series


def test_the_leadership_group_is_a_series_of_its_own_with_a_chair_and_its_members(db_url, example_data):
    from coordination.flows.deployments import specs

    team, room, series = leadership(db_url, example_data)
    with unit_of_work() as s:
        meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-chef"), room, series, now=NOW)
        chair = s.get(Member, meeting.leader_id).code
    assert series.kind == "leadership" and meeting.date.weekday() == 2 and chair in ("hsv-chef", "hc-chef")
    with pytest.raises(AccessDenied):  # a team member who is not in the group
        act("hc-dsk1", lambda s, a: team_meeting_room.meeting_view(s, a, room, series, meeting, now=NOW))
    view = act("mas", lambda s, a: team_meeting_room.meeting_view(s, a, room, series, meeting, now=NOW))
    assert view.cases == {} and view.report["indicators"]["cases_opened"] > 0  # figures, never persons
    assert {p["measure"] for p in view.report["action_plan"]} >= {"median_days_identification_to_sip"}
    names = {spec.name for spec in specs()}
    assert {"norrby-ledning-prepare", "norrby-ledning-remind"} <= names


def test_held_leadership_meetings_count_for_the_half_year_rule_and_the_report(db_url, example_data):
    from coordination.config.teams import leadership_warnings
    from coordination.usecases.reports import leadership_report, meetings_held

    team, room, series = leadership(db_url, example_data)
    days = [pendulum.datetime(2026, 7, 1, 12, tz="UTC"), pendulum.datetime(2026, 9, 30, 12, tz="UTC")]
    for day in days:
        with unit_of_work() as s:
            meeting = team_meeting_room.current_meeting(s, actor_for(s, "hc-chef"), room, series, now=day)
            chair = s.get(Member, meeting.leader_id).code
        day = pendulum.instance(meeting.starts_at).add(minutes=5)  # held on its day
        act(chair, lambda s, a: team_meeting_room.note_decision(s, a, room, meeting.id, text="Rutin för utskrivning ses "
                                                                                        "över av MAS", now=day))
        act(chair, lambda s, a: team_meeting_room.save_summary(s, a, room, meeting.id, "Indikatorerna gicks igenom.",
                                                          now=day))
        act(chair, lambda s, a: team_meeting_room.close_meeting(s, a, room, meeting.id, now=day))
    with unit_of_work() as s:
        held = meetings_held(s, [series.id])
        report = leadership_report(s, team, 2026)
    assert len(held[series.id]) == 2 and all(d.month >= 7 for d in held[series.id])
    warnings = leadership_warnings([team], held, until=dt.date(2026, 12, 31), year=2026)
    assert warnings == ["team norrby: the leadership group met fewer than 2 times in 2026 H1"]  # H2 is met
    assert report["indicators"]["leadership_meetings_held"] == 2
    minutes_mail = rows(Outbox, Outbox.kind == "meeting_minutes")
    assert minutes_mail and all("ledningsgrupp" in m.subject for m in minutes_mail)
    latest = act("mas", lambda s, a: team_meeting_room.minutes(s, a, room, meeting.id, version=None, now=NOW))
    assert latest.content["decisions"][0]["text"].startswith("Rutin för utskrivning")


# --- a meeting decides only about its own agenda, at the meeting ----------------------------

def off_the_agenda() -> str:
    """A case opened by the children's clinic alone: another area's, on no Norrby agenda."""
    from coordination.entrypoints.importer import import_data
    from coordination.usecases import identify

    with unit_of_work() as s:
        import_data(s, ADMIN, {"persons": [{"personnummer": "19121212-1212", "given_name": "Elsa",
                                            "family_name": "Berg"}],
                               "signals": [{"person": "19121212-1212", "kind": "palliative",
                                            "occurred_on": "2026-11-20", "reported_by": "bkl-ssk"}]}, now=NOW)
    with unit_of_work() as s:
        [number] = identify.identify(s, ADMIN, now=NOW).opened
    return number


def refusals() -> list[str]:
    return [e.action for e in rows(AuditEvent, AuditEvent.action.startswith("refused:"))]


def test_a_meeting_decides_only_about_the_cases_on_its_agenda(room):
    team, meeting = room
    number = off_the_agenda()
    with unit_of_work() as s:
        s.get(CareCase, s.exec(select(CareCase.id).where(CareCase.number == "K-2026-0004")).one()).status = "closed"
    attempts = [
        lambda s, a: team_meeting_room.decide_action(
            s, a, team, meeting.id, case_number=number, responsible="hsv-ssk1", description="Hembesök",
            handling_time=HandlingTime.URGENT, follow_up_date=dt.date(2026, 12, 15), now=NOW),
        lambda s, a: team_meeting_room.decide_needs_sip(s, a, team, meeting.id, case_number=number,
                                                        coordinator="hc-dsk1", now=NOW),
        lambda s, a: team_meeting_room.note_discharge(s, a, team, meeting.id, case_number="K-2026-0004",  # closed
                                                      text="Hemgång fredag", now=NOW),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied) as refused:
            act(LEADER, attempt)
        assert (refused.value.rule, refused.value.field) == ("care_relationship", "case")
        assert "agenda" in str(refused.value)
    assert rows(Action) == [] and rows(MeetingDecision) == []
    assert refusals() == ["refused:meeting"] * 3  # each attempt is in the log for review
    with unit_of_work() as s:
        assert s.exec(select(CareCase).where(CareCase.number == number)).one().coordinator_id is None
    record(team, meeting)  # the control: the agenda's own cases are decided as before
    assert {d.case_number for d in rows(MeetingDecision)} >= {"K-2026-0002", "K-2026-0003"}


def test_decisions_are_recorded_on_the_meetings_day_and_it_is_closed_only_once_held(room):
    team, meeting = room
    for when in (BEFORE, NOW.add(days=1)):
        with pytest.raises(RuleViolation) as refused:
            act(LEADER, lambda s, a: team_meeting_room.decide_action(
                s, a, team, meeting.id, case_number="K-2026-0002", responsible="hsv-ssk1", description="Hembesök",
                handling_time=HandlingTime.URGENT, follow_up_date=dt.date(2026, 12, 15), now=when))
        assert refused.value.field == "date" and "2026-12-01" in str(refused.value)
    act(LEADER, lambda s, a: team_meeting_room.save_summary(s, a, team, meeting.id, "Förberett.", now=BEFORE))
    with pytest.raises(RuleViolation) as early:
        act(LEADER, lambda s, a: team_meeting_room.close_meeting(s, a, team, meeting.id, now=BEFORE))
    assert early.value.field == "date" and rows(MeetingMinutes) == [] and rows(Action) == []
    record(team, meeting)  # the control: on the day
    act(LEADER, lambda s, a: team_meeting_room.close_meeting(s, a, team, meeting.id, now=NOW.add(hours=1)))
    assert len(rows(MeetingMinutes)) == 1


def test_the_leader_cannot_appoint_themselves_coordinator_of_a_case_they_take_no_part_in(room):
    team, meeting = room
    with pytest.raises(AccessDenied) as refused:
        act(LEADER, lambda s, a: team_meeting_room.decide_needs_sip(s, a, team, meeting.id, case_number="K-2026-0002",
                                                                    coordinator=LEADER, now=NOW))
    assert (refused.value.rule, refused.value.field) == ("care_relationship", "coordinator")
    assert rows(MeetingDecision) == [] and refusals() == ["refused:meeting"]
    with unit_of_work() as s:
        assert s.exec(select(CareCase).where(CareCase.number == "K-2026-0002")).one().coordinator_id is None
    act(LEADER, lambda s, a: team_meeting_room.decide_needs_sip(s, a, team, meeting.id, case_number="K-2026-0002",
                                                                coordinator="hc-dsk1", now=NOW))  # another member
    [appointed] = rows(MeetingDecision)
    assert appointed.kind == "needs_sip"
