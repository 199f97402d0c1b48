"""Children (seed 002): both guardians consent where there are two, unless the record says why one
is enough; a seriously ill child's fixed doctor is a named doctor and, with the fixed care
contact, is named and checked before the plan is drawn up: nothing is defaulted for them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from coordination.domain.vocabulary import ConsentForm, ConsentGiver, ConsentScope
from coordination.errors import RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import CareCase, Consent, SipParticipant
from coordination.usecases import consent, planning
from coordination.usecases.acting import current_sip
from coordination.usecases.common import actor_for, member_by_code, person_by_personnummer
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import ADMIN, T0, load_area
from tests.usecases.test_cycle import case_of, open_and_plan, plan

SIGGE = "20150622-8673"  # two guardians, Anna and Peter Tallgren; seriously ill
ALVA = "20110914-9045"  # placed: one guardian may be involved


def record(pnr=SIGGE, guardian="Anna Tallgren", **kw) -> int:
    with unit_of_work() as s:
        return consent.record_consent(
            s, actor_for(s, "bkl-ssk"), person=person_by_personnummer(s, pnr, today=T0.date()),
            scopes=[ConsentScope.SIP], given_by=ConsentGiver.GUARDIAN, guardian_name=guardian,
            form=ConsentForm.WRITTEN, organisations=["bkl-region", "hc-norrby"], documented_in=["bkl-region"],
            valid_from=T0.date(), valid_until=None, now=T0, **kw)


def consents_of(pnr) -> int:
    with unit_of_work() as s:
        person = person_by_personnummer(s, pnr, today=T0.date())
        return len(s.exec(select(Consent).where(Consent.person_id == person.id)).all())


def test_one_of_two_guardians_is_not_enough_without_a_reason(db_url, example_data):
    load_area(db_url, example_data)
    before = consents_of(SIGGE)
    with pytest.raises(RuleViolation, match="two guardians") as err:
        record()
    assert err.value.field == "second_guardian" and consents_of(SIGGE) == before


def test_both_guardians_or_a_recorded_reason_is_accepted(db_url, example_data):
    load_area(db_url, example_data)
    both = record(second_guardian_name="Peter Tallgren")
    one = record(sole_guardian_reason="Pappan nås inte; akut utskrivning")
    with unit_of_work() as s:
        assert s.get(Consent, both).second_guardian_id is not None
        assert s.get(Consent, one).sole_guardian_reason == "Pappan nås inte; akut utskrivning"


def test_a_second_guardian_who_is_not_the_other_guardian_is_refused(db_url, example_data):
    load_area(db_url, example_data)
    for name in ("Anna Tallgren", "Okänd Person"):
        with pytest.raises(RuleViolation) as err:
            record(second_guardian_name=name)
        assert err.value.field == "second_guardian"


def test_a_placed_child_with_one_guardian_who_may_be_involved_needs_only_theirs(db_url, example_data):
    load_area(db_url, example_data)
    assert record(ALVA, guardian="Rut Ekholm")


def test_the_example_area_records_both_guardians_for_sigge(db_url, example_data):
    load_area(db_url, example_data)
    with unit_of_work() as s:
        person = person_by_personnummer(s, SIGGE, today=T0.date())
        assert all(c.second_guardian_id for c in s.exec(select(Consent).where(Consent.person_id == person.id)))


@pytest.mark.slow  # runs the command in a subprocess
def test_the_command_line_refuses_one_of_two_guardians_and_writes_nothing(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "consent", "record", SIGGE, "--by", "bkl-ssk", "--organisation", "bkl-region",
                 "--organisation", "hc-norrby", "--scope", "sip", "--given-by", "guardian", "--guardian",
                 "Anna Tallgren")
    assert result.returncode != 0 and "field 'second_guardian'" in result.stderr
    assert snapshot(sqlite_url) == before
    ok = run(sqlite_url, "consent", "record", SIGGE, "--by", "bkl-ssk", "--organisation", "bkl-region",
             "--organisation", "hc-norrby", "--scope", "sip", "--given-by", "guardian", "--guardian",
             "Anna Tallgren", "--second-guardian", "Peter Tallgren")
    assert ok.returncode == 0, ok.stderr


# --- the seriously ill child's fixed doctor and fixed care contact ------------------------------

def forget_contacts(pnr=SIGGE) -> None:
    with unit_of_work() as s:
        case = s.get(CareCase, case_of(s, pnr).id)
        case.fixed_doctor_id = case.fixed_care_contact_id = None
        s.add(case)


def test_the_plan_is_refused_until_a_fixed_doctor_is_named_and_nothing_is_defaulted(db_url, example_data):
    open_and_plan(db_url, example_data)
    forget_contacts()
    with pytest.raises(RuleViolation, match="named fixed doctor") as err:
        plan(SIGGE)
    assert err.value.field == "fixed_doctor"
    with unit_of_work() as s:
        case = case_of(s, SIGGE)
        assert case.fixed_care_contact_id is None  # the check came before any default
        # the district nurse who prepares the case for the team's meeting (no fixed contact is left)
        planning.name_fixed_contacts(s, actor_for(s, "hc-dsk2"), case=case, fixed_doctor=member_by_code(s, "bkl-lak"),
                                     now=T0)
    with pytest.raises(RuleViolation, match="fixed care contact") as err:
        plan(SIGGE)
    assert err.value.field == "fixed_care_contact"


def test_the_named_fixed_doctor_and_contact_take_part_in_the_plan(db_url, example_data):
    open_and_plan(db_url, example_data)
    sip_id = plan(SIGGE)
    with unit_of_work() as s:
        case = case_of(s, SIGGE)
        taking_part = set(s.exec(select(SipParticipant.member_id).where(SipParticipant.sip_id == sip_id)))
        assert {case.fixed_doctor_id, case.fixed_care_contact_id} <= taking_part
        assert case.fixed_doctor_id == member_by_code(s, "bkl-lak").id


def test_a_fixed_doctor_must_be_a_doctor_and_once_planned_a_participant(db_url, example_data):
    open_and_plan(db_url, example_data)
    with unit_of_work() as s:
        with pytest.raises(RuleViolation, match="not a doctor") as err:
            planning.name_fixed_contacts(s, ADMIN, case=case_of(s, SIGGE), fixed_doctor=member_by_code(s, "bkl-ssk"),
                                         now=T0)
    assert err.value.field == "fixed_doctor"
    plan(SIGGE)
    with unit_of_work() as s:
        with pytest.raises(RuleViolation, match="does not take part"):
            planning.name_fixed_contacts(s, ADMIN, case=case_of(s, SIGGE),
                                         fixed_care_contact=member_by_code(s, "hsv-ssk2"), now=T0)


def test_the_fixed_doctor_cannot_leave_a_seriously_ill_childs_plan(db_url, example_data):
    from coordination.usecases import revising

    open_and_plan(db_url, example_data)
    plan(SIGGE)
    with unit_of_work() as s:
        with pytest.raises(RuleViolation, match="fixed doctor cannot leave"):
            revising.revise_sip(s, actor_for(s, "bkl-ssk"), case=case_of(s, SIGGE), now=T0, remove=["bkl-lak"])
        assert current_sip(s, case_of(s, SIGGE)).version == 1


@pytest.mark.slow  # runs the command in a subprocess
def test_case_contacts_on_the_command_line(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, SIGGE).number
    before = snapshot(sqlite_url)
    for args, field in ([], "fixed_doctor"), (["--fixed-doctor", "bkl-ssk"], "fixed_doctor"):
        result = run(sqlite_url, "case", "contacts", number, "--by", "bkl-ssk", *args)
        assert result.returncode != 0 and f"field '{field}'" in result.stderr
    assert snapshot(sqlite_url) == before
    ok = run(sqlite_url, "case", "contacts", number, "--by", "bkl-ssk", "--fixed-doctor", "bkl-lak",
             "--fixed-care-contact", "bkl-ssk")
    assert ok.returncode == 0, ok.stderr
