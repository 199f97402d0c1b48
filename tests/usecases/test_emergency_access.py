"""Emergency access (nödåtkomst): a member with no part in a case reads it only by stating a
reason, for a limited time; it opens reading and nothing more, the consent still applies, and
every opening is listed for the log review. Refusals write nothing but their audit event."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from coordination.domain.access import Purpose
from coordination.errors import AccessDenied, InvalidInput, RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent, EmergencyAccess
from coordination.usecases import audit_log, emergency, queries
from coordination.usecases.access import decision
from coordination.usecases.common import actor_for, member_by_code
from tests.conftest import T0
from tests.usecases.test_cycle import case_of, open_and_plan

MAJ = "19341106-7568"  # the consent names hc, hsv, rehab and ht
LATER = T0.add(hours=1)
REASON = "Maj har ringt larmcentralen, samordnaren nås inte"


def may(code: str, purpose: Purpose, now) -> bool:
    with unit_of_work(read_only=True) as s:
        return decision(s, member_by_code(s, code).id, purpose, case_of(s, MAJ), now=now).allowed


def open_access(code: str, reason: str = REASON, now=LATER):
    with unit_of_work() as s:
        return emergency.open_emergency_access(s, actor_for(s, code), case=case_of(s, MAJ), reason=reason, now=now)


def openings() -> int:
    with unit_of_work(read_only=True) as s:
        return s.exec(select(func.count()).select_from(EmergencyAccess)).one()


def test_a_stated_reason_opens_the_case_to_read_for_two_hours_and_nothing_more(db_url, example_data):
    open_and_plan(db_url, example_data)
    assert not may("mar", Purpose.READ, LATER)
    ends = open_access("mar")
    assert ends == LATER.add(hours=2)
    assert may("mar", Purpose.READ, LATER.add(minutes=5))
    for purpose in (Purpose.PLAN, Purpose.ACT, Purpose.NOTIFY, Purpose.MEETING):
        assert not may("mar", purpose, LATER.add(minutes=5)), purpose
    with unit_of_work() as s:
        record = queries.case_record(s, actor_for(s, "mar"), case_of(s, MAJ).number, now=LATER.add(minutes=5))
        assert record and record["status"]  # the record itself, not a refusal
        assert emergency.active_until(s, member_by_code(s, "mar").id, case_of(s, MAJ), now=LATER) == ends
    assert not may("mar", Purpose.READ, ends)  # time-limited: closed again on the minute
    with unit_of_work(read_only=True) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.action == "emergency_access")).all()
        assert event.actor == "mar" and event.person_id is not None


def test_no_reason_a_present_relationship_or_an_uncovered_organisation_opens_nothing(db_url, example_data):
    open_and_plan(db_url, example_data)
    with pytest.raises(InvalidInput) as short:
        open_access("mar", reason="  akut  ")
    assert short.value.field == "reason"
    with pytest.raises(RuleViolation):  # the team prepares the case: no emergency needed
        open_access("hsv-ssk2")
    with pytest.raises(AccessDenied) as refused:  # the consent names no children's clinic
        open_access("bkl-ssk")
    assert refused.value.rule == "consent"
    assert openings() == 0 and not may("bkl-ssk", Purpose.READ, LATER)
    with unit_of_work(read_only=True) as s:
        assert [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.actor == "bkl-ssk"))
                if e.action.startswith("refused:")] == ["refused:emergency access"]
    open_access("mar")  # the control
    assert openings() == 1


def test_every_opening_is_on_the_log_reviewers_list(db_url, example_data):
    open_and_plan(db_url, example_data)
    open_access("mar")
    with unit_of_work() as s:
        review = audit_log.list_events(s, actor_for(s, "hc-logg"), person=None, member_id=None, since=None,
                                       until=None, now=LATER, to_review=True)
    assert [(actor, action) for _, actor, action, *_ in review] == [("mar", "emergency_access")]

