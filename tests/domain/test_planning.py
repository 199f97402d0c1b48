import datetime as dt

import pytest

from coordination.domain.disclosure import WITHHELD, PersonView, shareable, warnings
from coordination.domain.planning import (
    SipDraft, check_sip, decide_follow_up, format_case_number, require_step,
)
from coordination.domain.vocabulary import CaseStatus, Role
from coordination.errors import InvalidInput, RuleViolation

TODAY = dt.date(2026, 11, 25)


def draft(**kw):
    base = dict(coordinator_role=Role.DISTRICT_NURSE, participant_roles=(Role.DISTRICT_NURSE, Role.NURSE),
                participant_organisations=frozenset({"hc", "hsv"}), plan_b=None,
                next_follow_up=dt.date(2026, 12, 20))
    return SipDraft(**(base | kw))


def check(d, child=False, ill=False, contact=True, doctor=True):
    check_sip(d, today=TODAY, child=child, seriously_ill=ill, fixed_care_contact_named=contact, fixed_doctor_named=doctor, record="case K")


def test_a_complete_sip_passes():
    check(draft())


@pytest.mark.parametrize("kw, field", [
    (dict(coordinator_role=None), "coordinator"),
    (dict(participant_organisations=frozenset({"hc"})), "participants"),
    (dict(next_follow_up=None), "next_follow_up"),
])
def test_what_every_sip_names(kw, field):
    with pytest.raises(RuleViolation) as err:
        check(draft(**kw))
    assert err.value.field == field


def test_follow_up_date_must_be_in_the_future():
    with pytest.raises(InvalidInput, match="not after today"):
        check(draft(next_follow_up=TODAY))


def test_seriously_ill_child_needs_plan_b_a_named_doctor_and_fixed_care_contact():
    with pytest.raises(RuleViolation, match="plan B"):
        check(draft(), child=True, ill=True)
    with_b = draft(plan_b="Call the children's clinic directly", participant_roles=(Role.NURSE, Role.DOCTOR))
    with pytest.raises(RuleViolation, match="named fixed doctor") as err:  # any doctor taking part is not enough
        check(with_b, child=True, ill=True, doctor=False)
    assert err.value.field == "fixed_doctor"
    with pytest.raises(RuleViolation, match="fixed care contact"):
        check(with_b, child=True, ill=True, contact=False)
    check(with_b, child=True, ill=True)
    check(draft(), child=False, ill=True, doctor=False, contact=False)  # the rule is for children
    check(draft(), child=True, ill=False, doctor=False, contact=False)  # and for the seriously ill


def test_follow_up_with_needs_remaining_revises_with_a_new_date():
    decision = decide_follow_up(needs_remain=True, next_follow_up=dt.date(2027, 1, 10), today=TODAY, record="c")
    assert not decision.close_case and decision.next_follow_up == dt.date(2027, 1, 10)
    with pytest.raises(RuleViolation):
        decide_follow_up(needs_remain=True, next_follow_up=None, today=TODAY, record="c")


def test_follow_up_with_needs_met_closes():
    assert decide_follow_up(needs_remain=False, next_follow_up=None, today=TODAY, record="c").close_case


def test_steps_follow_the_cycle():
    require_step("plan", CaseStatus.ASSESSED, record="c")
    for step, status in [("plan", CaseStatus.PLANNED), ("act", CaseStatus.CONSENTED),
                         ("follow_up", CaseStatus.CLOSED), ("assess", CaseStatus.IDENTIFIED)]:
        with pytest.raises(RuleViolation):
            require_step(step, status, record="c")


def test_case_numbers_are_readable():
    assert format_case_number(2026, 42) == "K-2026-0042"


def test_protected_identity_details_never_leave():
    person = PersonView("19830407-8309", "Linnea Sjöberg", "Hemlig 1", "070-1", True, False)
    view = shareable(person)
    assert view.address == WITHHELD and view.phone == WITHHELD
    assert any("PROTECTED IDENTITY" in w for w in warnings(view))
    ordinary = PersonView("19380214-2012", "Gustav Alm", "Storgatan 1", "070-2", False, True)
    assert shareable(ordinary).address == "Storgatan 1"
    assert any("HIDDEN FROM GUARDIANS" in w for w in warnings(ordinary))
