import datetime as dt

import pendulum
import pytest

from coordination.domain.consent import ConsentFacts, check_new_consent, require_consent, sip_parties
from coordination.domain.vocabulary import ConsentGiver as G
from coordination.domain.vocabulary import ConsentScope as S
from coordination.errors import ConsentMissing, RuleViolation

NOW = pendulum.datetime(2026, 11, 25, 9, tz="UTC")
TODAY = dt.date(2026, 11, 25)


def consent(**kw):
    base = dict(id=1, scopes=frozenset({S.SHARE_INFORMATION, S.SIP}), given_by=G.PERSON,
                parties=frozenset({"hc", "hsv"}), documented_in=frozenset({"hc", "hsv"}),
                valid_from=dt.date(2026, 1, 1), valid_until=None, withdrawn_at=None)
    return ConsentFacts(**(base | kw))


def check(consents, scope=S.SIP, orgs=("hc", "hsv"), child=False):
    return require_consent(consents, scope=scope, organisations=orgs, at=NOW, on=TODAY,
                           person_is_child=child, record="case K-2026-0001")


def test_a_valid_consent_covers_the_request():
    assert check([consent()]).id == 1


@pytest.mark.parametrize("kw, reason", [
    (dict(withdrawn_at=NOW.subtract(days=1)), "withdrawn"),
    (dict(valid_until=dt.date(2026, 11, 24)), "expired"),
    (dict(valid_from=dt.date(2026, 12, 1)), "not valid until"),
    (dict(scopes=frozenset({S.SHARE_INFORMATION})), "does not cover 'sip'"),
    (dict(parties=frozenset({"hc", "ht"}), documented_in=frozenset({"hc", "ht"})), "does not name hsv"),
    (dict(documented_in=frozenset({"hc"})), "not documented in the records of hsv"),
])
def test_what_blocks(kw, reason):
    with pytest.raises(ConsentMissing) as err:
        check([consent(**kw)])
    assert reason in str(err.value)
    assert err.value.record == "case K-2026-0001"


def test_no_consent_at_all_blocks():
    with pytest.raises(ConsentMissing, match="no consent is recorded"):
        check([])


def test_expiry_day_itself_still_valid():
    assert check([consent(valid_until=TODAY)])


def test_a_later_valid_consent_wins_over_a_withdrawn_one():
    assert check([consent(withdrawn_at=NOW), consent(id=2)]).id == 2


def test_a_childs_consent_must_come_from_a_guardian():
    with pytest.raises(ConsentMissing, match="not given by a guardian"):
        check([consent()], child=True)
    assert check([consent(given_by=G.GUARDIAN)], child=True)


def new(**kw):
    base = dict(given_by=G.PERSON, person_is_child=False, guardian_known=False, scopes=[S.SIP],
                parties=["hc", "hsv"], documented_in=["hc", "hsv"], valid_from=TODAY, valid_until=None,
                record="consents[0]")
    check_new_consent(**(base | kw))


@pytest.mark.parametrize("kw, field", [
    (dict(person_is_child=True), "given_by"),
    (dict(given_by=G.GUARDIAN, guardian_known=False), "guardian"),
    (dict(parties=["hc"], documented_in=["hc"]), "organisations"),
    (dict(documented_in=["hc", "ht"]), "documented_in"),
    (dict(valid_until=dt.date(2026, 1, 1)), "valid_until"),
    (dict(scopes=[]), "scopes"),
])
def test_recording_a_consent_checks_its_rules(kw, field):
    with pytest.raises(RuleViolation) as err:
        new(**kw)
    assert err.value.field == field


def test_a_guardian_may_consent_for_a_child():
    new(person_is_child=True, given_by=G.GUARDIAN, guardian_known=True)


def test_a_sip_brings_in_the_organisations_a_valid_sip_consent_names_and_has_documented():
    def parties(*consents, child=False):
        return sip_parties(consents, on=TODAY, at=NOW, person_is_child=child)

    assert parties(consent()) == {"hc", "hsv"}
    # named but not yet documented in its own record: not yet
    assert parties(consent(parties=frozenset({"hc", "hsv", "kommun"}))) == {"hc", "hsv"}
    # a consent to share information only, a withdrawn one, an expired one: nobody
    assert parties(consent(scopes=frozenset({S.SHARE_INFORMATION}))) == set()
    assert parties(consent(withdrawn_at=NOW.subtract(days=1))) == set()
    assert parties(consent(valid_until=TODAY - dt.timedelta(days=1))) == set()
    # a child's own consent does not count; two valid consents bring in both sets
    assert parties(consent(), child=True) == set()
    assert parties(consent(), consent(id=2, parties=frozenset({"kommun"}), documented_in=frozenset({"kommun"}))) \
        == {"hc", "hsv", "kommun"}
