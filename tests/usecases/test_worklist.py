"""My cases: the open cases a member takes part in, with the next step, as the policy lets them
read each; checked against an expectation read straight from the rows, for members of every
kind in the example, on both databases."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from coordination.domain.vocabulary import CaseStatus
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, CareCase, Consent, Sip, SipParticipant
from coordination.usecases import acting, consent, worklist
from coordination.usecases.common import member_by_code
from tests.conftest import ADMIN, T0
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV, KARL = "19380214-2012", "19410605-2386"
MEMBERS = ("hc-dsk1", "hc-dsk2", "hc-lak", "hsv-ssk1", "rehab-ft", "rehab-at", "soc-bih", "bkl-lak", "mar")


def expected(code: str) -> set[str]:
    """Written from the rows, not from the policy: coordinator, fixed care contact, current SIP
    participant or responsible for an open action, of an open case (every consent is valid here)."""
    with unit_of_work(read_only=True) as s:
        me = member_by_code(s, code).id
        open_cases = {c.id: c for c in s.exec(select(CareCase).where(CareCase.status != CaseStatus.CLOSED))}
        mine = {c.id for c in open_cases.values() if me in (c.coordinator_id, c.fixed_care_contact_id)}
        mine |= {sip.case_id for sip, p in s.exec(select(Sip, SipParticipant).where(
            SipParticipant.sip_id == Sip.id, Sip.current == True, SipParticipant.member_id == me))}  # noqa: E712
        mine |= {a.case_id for a in s.exec(select(Action).where(Action.responsible_id == me,
                                                                 Action.status.in_(["planned", "assigned"])))}
        return {open_cases[i].number for i in mine if i in open_cases}


def cases_of(code: str, now=T0):
    with unit_of_work(read_only=True) as s:
        return worklist.my_cases(s, member_by_code(s, code).id, now=now)


def planned_area(db_url, example_data):
    open_and_plan(db_url, example_data)
    for pnr in (GUSTAV, KARL):
        plan(pnr)
        with unit_of_work() as s:
            acting.dispatch_actions(s, ADMIN, case=case_of(s, pnr), now=T0)


def test_each_member_sees_the_open_cases_they_take_part_in(db_url, example_data):
    planned_area(db_url, example_data)
    seen = {}
    for code in MEMBERS:
        seen[code] = {e.number for e in cases_of(code)}
        assert seen[code] == expected(code), code
    assert seen["hc-dsk1"] and not seen["bkl-lak"] and not seen["mar"]  # positive and negative controls
    with unit_of_work(read_only=True) as s:
        gustav = case_of(s, GUSTAV).number
    [entry] = [e for e in cases_of("hc-dsk1") if e.number == gustav]
    assert "coordinator" in entry.roles and entry.status == "active"


def test_the_next_step_is_the_nearest_of_the_follow_up_and_the_actions_due(db_url, example_data):
    planned_area(db_url, example_data)
    with unit_of_work(read_only=True) as s:
        case = case_of(s, GUSTAV)
        follow_up = s.exec(select(Sip).where(Sip.case_id == case.id, Sip.current == True)).one().next_follow_up  # noqa: E712
        dues = [a.due_date for a in s.exec(select(Action).where(Action.case_id == case.id)) if a.due_date]
        when_needed = sum(1 for a in s.exec(select(Action).where(Action.case_id == case.id)) if a.due_date is None)
    [entry] = [e for e in cases_of("hc-dsk1") if e.number == case.number]
    assert entry.next_date == min([follow_up, *dues])
    assert entry.next_step == ("action" if min(dues) < follow_up else "follow_up")
    assert when_needed >= 1 and entry.when_needed == when_needed  # Gustav's walking training: "vid behov"
    dates = [e.next_date or dt.date.max for e in cases_of("hc-dsk1")]
    assert dates == sorted(dates)


def test_a_case_the_consent_no_longer_covers_leaves_the_list(db_url, example_data):
    planned_area(db_url, example_data)
    with unit_of_work(read_only=True) as s:
        number = case_of(s, GUSTAV).number
    assert number in {e.number for e in cases_of("hc-dsk1")}
    with unit_of_work() as s:
        person = s.get(CareCase, case_of(s, GUSTAV).id).person_id
        for row in s.exec(select(Consent).where(Consent.person_id == person)):
            consent.withdraw_consent(s, ADMIN, consent_id=row.id, now=T0.add(hours=1))
    assert number not in {e.number for e in cases_of("hc-dsk1", now=T0.add(hours=2))}
    assert number in expected("hc-dsk1")  # still coordinator: the policy, not the list, decides
