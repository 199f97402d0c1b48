"""My cases: the open cases a member takes part in, with the next step, as the policy lets them
read each; checked against an expectation read straight from the rows, for members of every
kind in the example, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from coordination.domain.vocabulary import CaseStatus
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import (
    Action, CareCase, Consent, Deviation, Escalation, EscalationRecipient, Member, Sip, SipParticipant,
)
from coordination.domain.vocabulary import EscalationLevel
from coordination.usecases import acting, consent, escalations, worklist
from coordination.usecases.common import actor_for, member_by_code
from tests.conftest import ADMIN, T0
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV, KARL = "19380214-2012", "19410605-2386"
MEMBERS = ("hc-dsk1", "hc-dsk2", "hc-lak", "hsv-ssk1", "rehab-ft", "rehab-at", "soc-bih", "bkl-lak", "mar", "hc-chef",
           "hsv-chef", "rehab-chef", "mas", "hc-logg")


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
        # a manager: a member of the unit responsible for an open action, or an open deviation
        mine |= {a.case_id for a, m in s.exec(select(Action, Member).where(
            Action.responsible_id == Member.id, Member.manager_id == me, Action.status.in_(["planned", "assigned"])))}
        numbers = {c.number: i for i, c in open_cases.items()}
        mine |= {numbers[d.case_number] for d in s.exec(select(Deviation).where(
            Deviation.manager_id == me, Deviation.closed_at == None)) if d.case_number in numbers}  # noqa: E711
        # MAS, MAR, MLA or a manager: an unanswered question raised to them
        mine |= {e.case_id for e, r in s.exec(select(Escalation, EscalationRecipient).where(
            EscalationRecipient.escalation_id == Escalation.id, EscalationRecipient.member_id == me,
            Escalation.answered_at == None))}  # noqa: E711
        return {open_cases[i].number for i in mine if i in open_cases}


def cases_of(code: str, now=T0):
    with unit_of_work(read_only=True) as s:
        return worklist.my_cases(s, member_by_code(s, code).id, now=now)


def planned_area(db_url, example_data):
    """Two planned cases with their actions dispatched; a question raised to MAS about Gustav's."""
    open_and_plan(db_url, example_data)
    for pnr in (GUSTAV, KARL):
        plan(pnr)
        with unit_of_work() as s:
            acting.dispatch_actions(s, ADMIN, case=case_of(s, pnr), now=T0)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        escalations.escalate(s, actor_for(s, s.get(Member, case.coordinator_id).code), case=case,
                             level=EscalationLevel.MAS, reason="Ödem trots ordination", now=T0)


def test_each_member_sees_the_open_cases_they_take_part_in(db_url, example_data):
    planned_area(db_url, example_data)
    seen = {}
    for code in MEMBERS:
        seen[code] = {e.number for e in cases_of(code)}
        assert seen[code] == expected(code), code
    assert seen["hc-dsk1"] and not seen["bkl-lak"] and not seen["mar"]  # positive and negative controls
    assert seen["mas"] and seen["hsv-chef"] and not seen["hc-logg"]  # a question raised; a unit's actions
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


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_walking_to_a_page_gives_the_page_that_ordering_every_case_gives(db_url, example_data, monkeypatch, batch):
    """A unit manager's page is walked to along the date (or number) index; every other member's
    is cut from their cases ordered whole. Both ways must give the same page, for every member,
    order and part, at every offset, whether the walk finishes the page or gives up."""
    planned_area(db_url, example_data)
    asked = [(code, order, part) for code in MEMBERS for order in ("next", "number")
             for part in ("", "manager", "responsible", "sip_participant")]
    whole = {key: mine(key[0], order=key[1], part=key[2]) for key in asked}  # no limit: ordered whole
    assert any(len(cases) >= 2 for cases in whole.values())
    monkeypatch.setattr(worklist, "MANY", 0)  # everyone walks
    monkeypatch.setattr(worklist, "BATCH", batch)
    monkeypatch.setattr(worklist, "CHUNK", 1)
    for walk in (10_000, 1):  # 1: the walk gives up at once and the member's cases are ordered
        monkeypatch.setattr(worklist, "WALK", walk)
        for (code, order, part), cases in whole.items():
            for offset in range(len(cases) + 1):
                page = mine(code, order=order, part=part, offset=offset, limit=1)
                assert page == cases[offset:offset + 1], (code, order, part, offset, walk)


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


def test_questions_raised_to_a_member_open_first_and_the_case_leaves_once_answered(db_url, example_data):
    planned_area(db_url, example_data)
    with unit_of_work(read_only=True) as s:
        number = case_of(s, GUSTAV).number
        mas = member_by_code(s, "mas").id
        [open_question] = worklist.questions_to_me(s, mas, now=T0.add(hours=1))
    assert open_question.case_number == number and open_question.answered_at is None
    assert open_question.reason == "Ödem trots ordination" and open_question.level == "mas"
    with unit_of_work() as s:
        escalations.answer_escalation(s, actor_for(s, "mas"), escalation_id=open_question.id, answer="Ring läkaren",
                                      now=T0.add(hours=2))
    with unit_of_work(read_only=True) as s:
        [answered] = worklist.questions_to_me(s, mas, now=T0.add(hours=3))
        assert answered.answered_at is not None
        assert worklist.questions_to_me(s, member_by_code(s, "hc-logg").id, now=T0) == []  # the control
    assert number not in {e.number for e in cases_of("mas", now=T0.add(hours=3))}


def test_the_search_lists_only_readable_cases_and_says_the_same_for_the_unknown(db_url, example_data):
    from coordination.errors import InvalidPersonnummer
    from coordination.persistence.models import AuditEvent

    planned_area(db_url, example_data)

    def find(code: str, text: str) -> list[str]:
        with unit_of_work() as s:
            return [f.number for f in worklist.find_cases(s, actor_for(s, code), text, now=T0.add(hours=1))]

    with unit_of_work(read_only=True) as s:
        number = case_of(s, GUSTAV).number
    assert find("hc-dsk1", GUSTAV) == [number] == find("hc-dsk1", number.lower())
    assert find("mar", GUSTAV) == [] == find("mar", number)  # takes no part: nothing shown
    assert find("mar", "19121212-1212") == [] == find("mar", "K-2026-9999")  # nobody: the same answer
    with pytest.raises(InvalidPersonnummer):
        find("hc-dsk1", "19380214-2013")
    with unit_of_work(read_only=True) as s:
        searches = s.exec(select(AuditEvent).where(AuditEvent.action == "search")).all()
        assert len(searches) == 6 and {e.actor for e in searches} == {"hc-dsk1", "mar"}
        assert sum(1 for e in searches if e.person_id == case_of(s, GUSTAV).person_id) == 4


def mine(code: str, now=T0, **asked):
    with unit_of_work(read_only=True) as s:
        return worklist.my_cases(s, member_by_code(s, code).id, now=now, **asked)


def test_a_nurse_filters_by_her_part_and_orders_by_number(db_url, example_data):
    planned_area(db_url, example_data)
    everything = cases_of("hc-dsk1")
    coordinating = mine("hc-dsk1", part="coordinator")
    assert coordinating and [e for e in everything if "coordinator" in e.roles] == coordinating
    assert [e for e in everything if "responsible" in e.roles] == mine("hc-dsk1", part="responsible")
    assert [e.number for e in mine("hc-dsk1", order="number")] == sorted(e.number for e in everything)
    assert mine("hc-dsk1", part="nonsense", order="sideways") == everything  # unknown: unchanged


def test_the_cases_come_a_page_at_a_time_and_an_unreadable_case_takes_no_place(db_url, example_data, monkeypatch):
    """The page a unit manager needs when the unit holds thousands; the rule is the same for all."""
    planned_area(db_url, example_data)
    everything = cases_of("hc-dsk1")
    assert len(everything) >= 2
    pages = [mine("hc-dsk1", offset=i, limit=1) for i in range(len(everything) + 1)]
    assert [page[0] for page in pages[:-1]] == everything and pages[-1] == []
    monkeypatch.setattr(worklist, "CHUNK", 1)  # the policy asked one case at a time: the same list
    assert cases_of("hc-dsk1") == everything
    with unit_of_work() as s:  # the first case's consent withdrawn: the page starts at the next one
        first = s.exec(select(CareCase).where(CareCase.number == everything[0].number)).one()
        for row in s.exec(select(Consent).where(Consent.person_id == first.person_id)):
            consent.withdraw_consent(s, ADMIN, consent_id=row.id, now=T0.add(hours=1))
    later = T0.add(hours=2)
    readable = cases_of("hc-dsk1", now=later)
    assert everything[0].number not in {e.number for e in readable} and readable
    assert mine("hc-dsk1", now=later, offset=0, limit=1) == readable[:1]
