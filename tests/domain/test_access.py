"""The access policy as pure rules: each check in the national model's order, with a positive
control for every refusal so that no refusal comes from refusing everything."""

import datetime as dt

import pendulum
import pytest

from coordination.domain.access import (
    BlockFacts, CaseFacts, MemberFacts, Purpose, Relationship as R, coverage, decide, may_document_consent,
    may_record_consent, may_review_log, shared_consent,
)
from coordination.domain.consent import ConsentFacts
from coordination.domain.vocabulary import ConsentGiver as G
from coordination.domain.vocabulary import ConsentScope as S
from coordination.domain.vocabulary import Role

NOW = pendulum.datetime(2026, 11, 25, 9, tz="UTC")
TODAY = dt.date(2026, 11, 25)
NURSE = MemberFacts(1, "hsv-ssk1", "hsv", Role.NURSE, True)


def consent(**kw):
    base = dict(id=1, scopes=frozenset({S.SHARE_INFORMATION, S.SIP}), given_by=G.PERSON,
                parties=frozenset({"hc", "hsv"}), documented_in=frozenset({"hc", "hsv"}),
                valid_from=dt.date(2026, 1, 1), valid_until=None, withdrawn_at=None)
    return ConsentFacts(**(base | kw))


def case(*, kinds=(R.SIP_PARTICIPANT,), consents=(consent(),), child=False, blocks=()):
    return CaseFacts("K-2026-0001", child, {1: frozenset(kinds)}, tuple(consents), tuple(blocks))


def ask(purpose=Purpose.READ, member=NURSE, **kw):
    options = {k: kw.pop(k) for k in ("source_organisation", "other_organisations", "granted") if k in kw}
    return decide(member, purpose, case(**kw), at=NOW, on=TODAY, **options)


def test_a_participant_under_a_valid_consent_may_read_act_and_be_told():
    for purpose in Purpose:
        assert ask(purpose).allowed, purpose


def test_an_inactive_member_has_no_commission():
    verdict = ask(member=MemberFacts(1, "hsv-ssk1", "hsv", Role.NURSE, False))
    assert (verdict.allowed, verdict.rule) == (False, "commission")


def test_without_a_care_relationship_nothing_is_reached():
    verdict = ask(kinds=())
    assert (verdict.allowed, verdict.rule) == (False, "care_relationship")
    assert "K-2026-0001" in verdict.reason and verdict.hint


@pytest.mark.parametrize("purpose", [Purpose.ACT, Purpose.HANDOVER])
def test_acting_needs_taking_part_not_only_preparing(purpose):
    assert not ask(purpose, kinds=(R.PREPARING,)).allowed
    assert ask(Purpose.READ, kinds=(R.PREPARING,)).allowed and ask(Purpose.PLAN, kinds=(R.PREPARING,)).allowed
    assert ask(purpose, kinds=(R.RESPONSIBLE,)).allowed


def test_no_relationship_comes_from_reporting_a_signal():
    assert "reporter" not in set(R)


def test_a_relationship_the_request_creates_counts():
    assert ask(Purpose.PLAN, kinds=(), granted=[R.COORDINATOR]).allowed


@pytest.mark.parametrize("consents, reason", [
    ((), "no consent is recorded"),
    ((consent(withdrawn_at=NOW.subtract(minutes=1)),), "withdrawn"),
    ((consent(valid_until=dt.date(2026, 11, 24)),), "expired"),
    ((consent(valid_from=dt.date(2026, 12, 1)),), "not valid until"),
    ((consent(documented_in=frozenset({"hc"})),), "not documented"),
    ((consent(parties=frozenset({"hc", "ht"}), documented_in=frozenset({"hc", "ht"})),), "does not name hsv"),
    ((consent(scopes=frozenset({S.SIP})),), "does not cover 'share_information'"),
])
def test_consent_must_cover_the_members_organisation(consents, reason):
    verdict = ask(consents=consents)
    assert (verdict.allowed, verdict.rule) == (False, "consent")
    assert reason in verdict.reason


def test_a_childs_consent_comes_from_a_guardian_who_may_be_involved():
    assert not ask(child=True).allowed  # given by the child
    assert ask(child=True, consents=[consent(given_by=G.GUARDIAN)]).allowed
    verdict = ask(child=True, consents=[consent(given_by=G.GUARDIAN, guardian_may_be_involved=False)])
    assert (verdict.allowed, verdict.rule) == (False, "consent")
    assert "may not be involved" in verdict.reason


def test_a_handover_needs_both_organisations_and_comes_from_the_members_own():
    assert ask(Purpose.HANDOVER, source_organisation="hsv", other_organisations=["hc"]).allowed
    assert ask(Purpose.HANDOVER, source_organisation="hsv", other_organisations=["ht"]).rule == "consent"
    assert ask(Purpose.HANDOVER, source_organisation="hc", other_organisations=["hsv"]).rule == "commission"


def test_a_block_closes_one_organisations_information_to_the_others():
    block = BlockFacts(1, "hc", NOW.subtract(days=1))
    assert ask(blocks=[block], source_organisation="hc").rule == "block"
    assert ask(blocks=[block], source_organisation="hsv").allowed  # other information is still shared
    hc_nurse = MemberFacts(1, "hc-dsk1", "hc", Role.DISTRICT_NURSE, True)
    assert ask(member=hc_nurse, blocks=[block], source_organisation="hc").allowed  # its own information
    lifted = BlockFacts(1, "hc", NOW.subtract(days=2), NOW.subtract(days=1))
    assert ask(blocks=[lifted], source_organisation="hc").allowed


def test_coverage_rows_follow_the_same_consent_rules():
    rows = coverage([consent(documented_in=frozenset({"hc"}), valid_until=dt.date(2027, 1, 1))],
                    at=NOW, person_is_child=False)
    assert [(r.organisation, r.valid_until) for r in rows] == [("hc", dt.date(2027, 1, 1))]
    assert coverage([consent(withdrawn_at=NOW)], at=NOW, person_is_child=False) == []
    assert coverage([consent()], at=NOW, person_is_child=True) == []  # a child's own consent
    future = coverage([consent(valid_from=dt.date(2027, 1, 1))], at=NOW, person_is_child=False)
    assert {r.valid_from for r in future} == {dt.date(2027, 1, 1)}


def test_the_shared_consent_marker_needs_two_documenting_organisations():
    assert shared_consent([consent()], at=NOW, on=TODAY, person_is_child=False)
    assert not shared_consent([consent(documented_in=frozenset({"hc"}))], at=NOW, on=TODAY, person_is_child=False)
    assert not shared_consent([consent(valid_until=dt.date(2026, 11, 1))], at=NOW, on=TODAY,
                              person_is_child=False)


def test_consent_is_recorded_and_documented_by_the_organisations_own_members():
    assert may_record_consent(NURSE, ["hc", "hsv"]).allowed
    assert may_record_consent(NURSE, ["hc", "ht"]).rule == "commission"
    assert may_document_consent(NURSE, "hsv").allowed
    assert may_document_consent(NURSE, "hc").rule == "commission"


@pytest.mark.parametrize("role, scope", [
    (Role.LOG_REVIEWER, None), (Role.UNIT_MANAGER, "hsv"), (Role.NURSE, "refused"), (Role.MAS, "refused"),
])
def test_the_log_review_is_for_reviewers_and_managers_of_their_own_organisation(role, scope):
    verdict, limit = may_review_log(MemberFacts(1, "x", "hsv", role, True))
    if scope == "refused":
        assert (verdict.allowed, limit) == (False, None)
    else:
        assert verdict.allowed and limit.organisation == scope
