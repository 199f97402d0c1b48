"""The log review (Patientdatalagen 4 kap. 3 §): what a reviewer looks at first, marks with notes,
the search, and the person's log extract. Open to a log reviewer, and to a unit manager for their
own organisation's members; refused, and audited, for anyone else."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from coordination.errors import AccessDenied, InvalidInput, NotFound, RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent, AuditReview, Member, Person
from coordination.usecases import audit_log, emergency, following_up, queries
from coordination.usecases.commands import MarkReviewed, build
from coordination.usecases.common import actor_for
from coordination.usecases.dispatch import execute
from tests.conftest import ADMIN, T0
from tests.usecases.test_cycle import case_of, open_and_plan, plan

MAJ, LINNEA = "19341106-7568", "19830407-8309"
LATER = T0.add(hours=1)


def read_case(code: str, pnr: str, now=LATER):
    with unit_of_work() as s:
        return queries.case_record(s, actor_for(s, code), case_of(s, pnr).number, now=now)


def refused_read(code: str, pnr: str) -> None:
    with pytest.raises(AccessDenied):  # the refusal is audited as the unit of work ends
        read_case(code, pnr)


def review_list(code: str = "hc-logg", *, reviewed: bool = False) -> list[audit_log.Entry]:
    with unit_of_work() as s:
        return audit_log.to_be_reviewed(s, actor_for(s, code), now=LATER, reviewed=reviewed)


def events() -> int:
    with unit_of_work(read_only=True) as s:
        return s.exec(select(func.count()).select_from(AuditEvent)).one()


def close_case(pnr: str, now) -> str:
    """Close the case the way the cycle does: the SIP drawn up, then a follow-up finds the needs met."""
    plan(pnr)
    with unit_of_work() as s:
        case = case_of(s, pnr)
        following_up.record_follow_up(s, ADMIN, case=case, by=s.get(Member, case.coordinator_id), outcome="Needs met",
                                      needs_remain=False, next_follow_up=None, now=now)
        following_up.apply_follow_ups(s, ADMIN, case=case, now=now)
        return case.number


@pytest.fixture
def area(db_url, example_data):
    open_and_plan(db_url, example_data)
    with unit_of_work() as s:
        [gustav] = s.exec(select(Person).where(Person.given_name == "Gustav")).all()
    return gustav.personnummer


def test_the_list_holds_emergency_accesses_protected_reads_closed_case_reads_and_refusals_in_a_row(area):
    with unit_of_work() as s:
        emergency.open_emergency_access(s, actor_for(s, "mar"), case=case_of(s, MAJ), reason="Larm, samordnaren nås inte",
                                        now=LATER)
    read_case("hc-dsk1", LINNEA)  # protected identity, read within a relationship: still on the list
    read_case("hc-dsk1", MAJ)  # an ordinary read: not on the list
    number = close_case(area, now=T0.add(minutes=30))
    read_case("hc-dsk1", area)  # the coordinator reads the case after it was closed
    for _ in range(3):
        refused_read("mla", MAJ)  # three in a row: a member trying doors
    for _ in range(2):
        refused_read("mas", LINNEA)  # two: not a pattern
    listed = review_list()
    assert sorted((e.why, e.actor, e.action) for e in listed) == sorted(
        [("emergency", "mar", "emergency_access"), ("protected", "hc-dsk1", "read"),
         ("closed_case", "hc-dsk1", "read")] + [("refusals", "mla", "refused:read")] * 3)
    assert [e for e in listed if e.why == "closed_case"][0].record_id == number
    assert [e.at for e in listed] == sorted((e.at for e in listed), reverse=True)  # newest first


def test_a_mark_with_a_note_moves_an_entry_to_the_reviewed_once(area):
    with unit_of_work() as s:
        emergency.open_emergency_access(s, actor_for(s, "mar"), case=case_of(s, MAJ), reason="Larm, samordnaren nås inte",
                                        now=LATER)
    [entry] = review_list()
    mark = build(MarkReviewed, event=str(entry.id), note="Kontrollerat med enhetschefen: larmet stämmer")
    with unit_of_work() as s:
        execute(s, actor_for(s, "hc-logg"), mark, now=LATER.add(minutes=5))
    assert review_list() == []
    [done] = review_list(reviewed=True)
    assert done.id == entry.id and done.review.reviewer == "hc-logg" and "enhetschefen" in done.review.note
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "mark_reviewed")).one().record_id == str(entry.id)
    before = events()
    with pytest.raises(RuleViolation):  # the first reviewer's finding stands
        with unit_of_work() as s:
            execute(s, actor_for(s, "hc-logg"), mark, now=LATER.add(minutes=6))
    with pytest.raises(InvalidInput) as empty:
        build(MarkReviewed, event=str(entry.id), note="   ")
    assert empty.value.field == "note"
    assert events() == before
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(func.count()).select_from(AuditReview)).one() == 1


def test_only_a_log_reviewer_or_the_members_own_unit_manager_reviews(area):
    with unit_of_work() as s:
        emergency.open_emergency_access(s, actor_for(s, "mar"), case=case_of(s, MAJ), reason="Larm, samordnaren nås inte",
                                        now=LATER)
    read_case("hc-dsk1", LINNEA)
    # mar works for rehab-norrby: its unit manager sees the opening, not hc-norrby's read
    assert [e.actor for e in review_list("rehab-chef")] == ["mar"]
    assert [e.actor for e in review_list("hc-chef")] == ["hc-dsk1"]
    [theirs] = [e for e in review_list() if e.actor == "hc-dsk1"]
    before = events()
    with pytest.raises(NotFound):  # another organisation's entry is not theirs to mark
        with unit_of_work() as s:
            execute(s, actor_for(s, "rehab-chef"), build(MarkReviewed, event=str(theirs.id), note="ok"), now=LATER)
    for outsider in ("hc-dsk1", "mas"):
        with pytest.raises(AccessDenied):
            review_list(outsider)
    with unit_of_work(read_only=True) as s:  # nothing written but the refusals' own events
        added = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()[before:]
    assert [e.action for e in added] == ["refused:review log"] * 2
    assert {e.actor for e in review_list()} == {"mar", "hc-dsk1"}  # the control: the reviewer sees both


def test_the_search_by_person_member_case_kind_and_period(area):
    read_case("hc-dsk1", MAJ)
    read_case("hsv-ssk2", MAJ, now=LATER.add(days=2))
    refused_read("mla", MAJ)
    with unit_of_work() as s:
        maj = s.exec(select(Person).where(Person.personnummer == MAJ)).one()
        reviewer, number = actor_for(s, "hc-logg"), case_of(s, MAJ).number
        by_person = audit_log.search(s, reviewer, now=LATER, person=maj)
        assert {(e.actor, e.action) for e in by_person} >= {("hc-dsk1", "read"), ("hsv-ssk2", "read"),
                                                             ("mla", "refused:read")}
        assert all(e.personnummer == MAJ for e in by_person)
        nurse = s.exec(select(Member).where(Member.code == "hsv-ssk2")).one()
        assert [(e.actor, e.action) for e in audit_log.search(s, reviewer, now=LATER, member_id=nurse.id, kind="read")] \
            == [("hsv-ssk2", "read")]
        assert [e.actor for e in audit_log.search(s, reviewer, now=LATER, case_number=number, kind="refused")] \
            == ["mla"]
        assert [e.actor for e in audit_log.search(s, reviewer, now=LATER, person=maj, kind="read",
                                                  since=LATER.add(days=1))] == ["hsv-ssk2"]
        with pytest.raises(NotFound) as unknown:
            audit_log.search(s, reviewer, now=LATER, case_number="K-2026-9999")
        assert unknown.value.field == "case"
    with unit_of_work(read_only=True) as s:  # every search is itself a read of the log
        assert s.exec(select(func.count()).where(AuditEvent.action == "review")).one() >= 4


def test_the_log_extract_names_organisations_and_roles_never_staff(area):
    read_case("hc-dsk1", MAJ)
    refused_read("mla", MAJ)  # opened nothing: not in the extract
    with unit_of_work() as s:
        maj = s.exec(select(Person).where(Person.personnummer == MAJ)).one()
        lines = audit_log.extract(s, actor_for(s, "hc-logg"), person=maj, now=LATER)
    reads = [line for line in lines if line.action == "read"]
    assert [(line.organisation, line.role, line.record_type) for line in reads] == [
        ("Norrby hälsocentral", "district_nurse", "case")]
    assert not any(line.action.startswith("refused:") for line in lines)
    assert not any(hasattr(line, attr) for line in lines for attr in ("actor", "actor_name", "member"))
    with unit_of_work(read_only=True) as s:
        made = s.exec(select(AuditEvent).where(AuditEvent.action == "extract")).one()
        assert made.actor == "hc-logg" and made.person_id == maj.id
