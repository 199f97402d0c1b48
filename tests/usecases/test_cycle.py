"""The whole cycle through the use cases, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordination.domain.vocabulary import ActionStatus, CaseStatus, HandlingTime
from coordination.errors import AccessDenied, ConsentMissing
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, CareCase, Outbox, Person, Sip, SipParticipant
from coordination.usecases import acting, consent, following_up, identify, planning
from coordination.usecases.access import consent_facts
from tests.conftest import ADMIN, T0, load_area

FOLLOW_UP_DAY = T0.add(days=30)


def open_and_plan(url, data, now=T0):
    load_area(url, data)
    with unit_of_work() as s:
        result = identify.identify(s, ADMIN, now=now)
    with unit_of_work() as s:
        from coordination.entrypoints.importer import import_data
        import_data(s, ADMIN, data, now=now, sections=("assessments",))
    return result


def case_of(session, pnr):
    person = session.exec(select(Person).where(Person.personnummer == pnr)).one()
    return session.exec(select(CareCase).where(CareCase.person_id == person.id)).one()


def member(session, code):
    from coordination.usecases.common import member_by_code
    return member_by_code(session, code)


def nurse(session):
    from coordination.usecases.common import actor_for
    return actor_for(session, "hc-dsk1")


def plan(pnr, now=T0):
    with unit_of_work() as s:
        case = case_of(s, pnr)
        planning.accept_assessment(s, ADMIN, case=case, now=now)
        return planning.plan_from_assessment(s, ADMIN, case=case, now=now)


def test_identification_opens_cases_for_those_who_meet_criteria(db_url, example_data):
    result = open_and_plan(db_url, example_data)
    assert result.screened_persons == 20
    assert len(result.opened) == 19  # one person had a single emergency visit only
    assert result.opened[0] == "K-2026-0001"
    with unit_of_work() as s:
        not_identified = s.exec(select(Person).where(Person.personnummer == "19551028-7195")).one()
        assert s.exec(select(CareCase).where(CareCase.person_id == not_identified.id)).first() is None
        cases = s.exec(select(CareCase)).all()
        assert all(c.flagged_for_meeting for c in cases)
        no_consent = case_of(s, "19470320-6450")
        assert no_consent.status == CaseStatus.IDENTIFIED
        assert case_of(s, "19380214-2012").reasons == ["readmitted", "discharge_coordination"]
    with unit_of_work() as s:  # screening again finds nothing new
        again = identify.identify(s, ADMIN, now=T0)
    assert again.screened_persons == 0 and again.opened == []


def test_full_cycle_plan_act_follow_up_revise_and_close(db_url, example_data):
    open_and_plan(db_url, example_data)
    sip_id = plan("19380214-2012")
    with unit_of_work() as s:
        case = case_of(s, "19380214-2012")
        sip = s.get(Sip, sip_id)
        assert (sip.version, case.status) == (1, CaseStatus.PLANNED)
        assert sip.next_follow_up == dt.date(2026, 12, 14)  # 28 days on, moved to a working day
        participants = s.exec(select(SipParticipant).where(SipParticipant.sip_id == sip_id)).all()
        assert len(participants) == 3  # coordinator, nurse, physiotherapist
        assert case.fixed_care_contact_id is not None
        dispatched = acting.dispatch_actions(s, ADMIN, case=case, now=T0)
        assert dispatched == 2
    with unit_of_work() as s:
        case = case_of(s, "19380214-2012")
        actions = s.exec(select(Action).where(Action.case_id == case.id).order_by(Action.id)).all()
        assert [a.due_date for a in actions] == [dt.date(2026, 11, 17), None]  # next working day; when needed
        assert all(a.status == ActionStatus.ASSIGNED for a in actions)
        assert case.status == CaseStatus.ACTIVE
        assert acting.dispatch_actions(s, ADMIN, case=case, now=T0) == 0
        by = s.get(type(s.get(Sip, sip_id)), sip_id).coordinator_id
        from coordination.persistence.models import Member
        member = s.get(Member, by)
        following_up.record_follow_up(s, ADMIN, case=case, by=member, outcome="Stable", needs_remain=True,
                                      next_follow_up=dt.date(2027, 1, 20), now=FOLLOW_UP_DAY)
        counts = following_up.apply_follow_ups(s, ADMIN, case=case, now=FOLLOW_UP_DAY)
        assert counts == {"applied": 1, "revised": 1, "closed": 0}
    with unit_of_work() as s:
        case = case_of(s, "19380214-2012")
        versions = s.exec(select(Sip).where(Sip.case_id == case.id).order_by(Sip.version)).all()
        assert [(v.version, v.current) for v in versions] == [(1, False), (2, True)]
        assert versions[0].next_follow_up == dt.date(2026, 12, 14)  # the old version is kept as it was
        assert versions[1].next_follow_up == dt.date(2027, 1, 20)
        open_actions = s.exec(select(Action).where(Action.case_id == case.id)).all()
        assert {a.follow_up_date for a in open_actions} == {dt.date(2027, 1, 20)}
        member = s.get(Member, versions[1].coordinator_id)
        following_up.record_follow_up(s, ADMIN, case=case, by=member, outcome="Needs met", needs_remain=False,
                                      next_follow_up=None, now=FOLLOW_UP_DAY.add(days=40))
        following_up.apply_follow_ups(s, ADMIN, case=case, now=FOLLOW_UP_DAY.add(days=40))
    with unit_of_work() as s:
        case = case_of(s, "19380214-2012")
        assert case.status == CaseStatus.CLOSED and case.closed_at is not None
        statuses = {a.status for a in s.exec(select(Action).where(Action.case_id == case.id))}
        assert statuses == {ActionStatus.CANCELLED}
        kinds = sorted(o.kind for o in s.exec(select(Outbox).where(Outbox.case_number == case.number)))
        assert kinds.count("sip_created") == 3 and kinds.count("sip_revised") == 3
        assert kinds.count("action_assigned") == 2 and kinds.count("case_closed") == 3


def test_sip_is_refused_without_valid_consent_and_nothing_is_written(db_url, example_data):
    open_and_plan(db_url, example_data)
    for pnr, reason in [("19500909-5711", "not documented in the records of hsv-norrby"),
                        ("19331201-6086", "expired"),
                        ("19470320-6450", "no consent is recorded")]:
        with unit_of_work() as s:
            status_before = case_of(s, pnr).status
            before = s.exec(select(Sip)).all()
        with pytest.raises(ConsentMissing, match=reason):
            with unit_of_work() as s:
                case = case_of(s, pnr)
                planning.create_sip(s, ADMIN, case=case, coordinator=member(s, "hc-dsk1"),
                                    participants=[member(s, "hsv-ssk1")], plan_b=None, other_plans=[],
                                    what_matters="Att bo kvar hemma", next_follow_up=dt.date(2027, 1, 10),
                                    actions=[], assessment_id=None, now=T0)
        with unit_of_work() as s:
            assert s.exec(select(Sip)).all() == before
            assert case_of(s, pnr).status == status_before


def test_withdrawn_consent_blocks_revision_and_sharing_and_tells_participants(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan("19390512-5344")
    with unit_of_work() as s:
        case = case_of(s, "19390512-5344")
        acting.dispatch_actions(s, ADMIN, case=case, now=T0)
        consent_id = consent_facts(s, case.person_id)[0].id
        queued = consent.withdraw_consent(s, ADMIN, consent_id=consent_id, now=T0.add(days=1))
        assert queued == 2
        assert consent.withdraw_consent(s, ADMIN, consent_id=consent_id, now=T0.add(days=2)) == 0
    with pytest.raises(AccessDenied, match="withdrawn"):
        with unit_of_work() as s:
            planning.share_information(s, nurse(s), case_number=case.number, from_org="hc-norrby",
                                       to_org="hsv-norrby", now=T0.add(days=2))
    with pytest.raises(AccessDenied, match="withdrawn"):  # the coordinator can no longer add actions
        with unit_of_work() as s:
            acting.add_action(s, nurse(s), case=case_of(s, "19390512-5344"), responsible=member(s, "hsv-ssk1"),
                              description="x", handling_time=HandlingTime.NEXT_DAY, follow_up_date=None,
                              now=T0.add(days=2))
    with unit_of_work() as s:
        case = case_of(s, "19390512-5344")
        from coordination.persistence.models import Member
        member_row = s.exec(select(Member).where(Member.code == "hc-dsk1")).one()
        following_up.record_follow_up(s, ADMIN, case=case, by=member_row, outcome="x", needs_remain=True,
                                      next_follow_up=dt.date(2027, 2, 1), now=FOLLOW_UP_DAY)
    with pytest.raises(ConsentMissing):
        with unit_of_work() as s:
            following_up.apply_follow_ups(s, ADMIN, case=case_of(s, "19390512-5344"), now=FOLLOW_UP_DAY)


def test_sharing_withholds_protected_identity_details(db_url, example_data):
    open_and_plan(db_url, example_data)
    with unit_of_work() as s:
        case = case_of(s, "19830407-8309")
    plan("19830407-8309")  # the coordinator takes part and may hand over
    with unit_of_work() as s:
        _, view, warnings = planning.share_information(s, nurse(s), case_number=case.number, from_org="hc-norrby",
                                                       to_org="hsv-norrby", now=T0)
    assert "Hemlig" not in str(view) and "070-1000018" not in str(view)
    assert warnings and "PROTECTED IDENTITY" in warnings[0]


def test_seriously_ill_child_gets_doctor_plan_b_and_guardian_consent(db_url, example_data):
    open_and_plan(db_url, example_data)
    sip_id = plan("20150622-8673")
    with unit_of_work() as s:
        sip = s.get(Sip, sip_id)
        assert sip.plan_b and "barnkliniken" in sip.plan_b
        assert sip.other_plans == ["behandlingsstrategi", "läkemedelsplan"]
        case = case_of(s, "20150622-8673")
        assert case.seriously_ill and case.fixed_care_contact_id


def test_enqueue_is_idempotent_per_business_event(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan("19410605-2386")
    with unit_of_work() as s:
        before = len(s.exec(select(Outbox)).all())
        from coordination.notifications import templates
        from coordination.notifications.outbox import enqueue
        message = templates.case_closed("K-2026-0002")
        assert enqueue(s, key="test:1", message=message, member_id=None, case_number=None, now=T0)
        assert not enqueue(s, key="test:1", message=message, member_id=None, case_number=None, now=T0)
    with unit_of_work() as s:
        assert len(s.exec(select(Outbox)).all()) == before + 1


def test_urgent_actions_are_due_the_same_day(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan("19440826-4978")
    with unit_of_work() as s:
        case = case_of(s, "19440826-4978")
        acting.dispatch_actions(s, ADMIN, case=case, now=T0)
        action = s.exec(select(Action).where(Action.case_id == case.id)).one()
        assert action.handling_time == HandlingTime.URGENT and action.due_date == dt.date(2026, 11, 16)
