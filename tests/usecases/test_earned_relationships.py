"""Care relationships are earned, never claimed: reporting a signal, writing an SBAR or naming
oneself in a plan gives a member no access to a record. The team of the case's area prepares a
flagged case for its meeting, and that ends when the case leaves the meeting's list.

Each refusal checks that nothing was written but the refusal's own audit event; beside each is
the positive control that the same act works for a member the case does relate to."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from coordination.domain.access import Purpose, Relationship
from coordination.domain.vocabulary import SignalKind
from coordination.errors import AccessDenied
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Assessment, AuditEvent, CareCase, Member, SignalRecord, Sip
from coordination.usecases import identify, planning, queries
from coordination.usecases import commands as c
from coordination.usecases.access import decision, relationships
from coordination.usecases.areas import in_area, organisation_ids
from coordination.usecases.common import actor_for, member_by_code
from coordination.usecases.dispatch import execute
from tests.conftest import ADMIN, T0
from tests.usecases.test_cycle import case_of, open_and_plan, plan

MAJ = "19341106-7568"  # K-2026-0015 in the example; mar (rehab, region level) has no part in it
GUSTAV = "19380214-2012"  # opened by the health centre's signals: Norrby's area
LATER = T0.add(hours=1)


def count(model) -> int:
    with unit_of_work(read_only=True) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def refusals(code: str) -> list[str]:
    with unit_of_work(read_only=True) as s:
        return [a.action for a in s.exec(select(AuditEvent).where(AuditEvent.actor == code,
                                                                  AuditEvent.action.startswith("refused:")))]


def allowed(code: str, purpose: Purpose, pnr: str, now=LATER) -> bool:
    with unit_of_work(read_only=True) as s:
        return decision(s, member_by_code(s, code).id, purpose, case_of(s, pnr), now=now).allowed


def report(code: str, pnr: str, kind=SignalKind.CONCERN_RAISED, now=LATER) -> int:
    with unit_of_work() as s:
        return execute(s, actor_for(s, code), c.build(c.ReportSignal, personnummer=pnr, kind=kind), now=now)


def test_a_signal_gives_its_reporter_no_access_to_the_record(db_url, example_data):
    open_and_plan(db_url, example_data)
    assert not allowed("mar", Purpose.READ, MAJ) and not allowed("mar", Purpose.PLAN, MAJ)
    report("mar", MAJ)
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=LATER)  # the signal is screened: the open case is flagged again
    for purpose in (Purpose.READ, Purpose.PLAN, Purpose.ACT):
        assert not allowed("mar", purpose, MAJ), purpose
    with unit_of_work(read_only=True) as s:
        number = case_of(s, MAJ).number
        assert member_by_code(s, "mar").id not in relationships(s, case_of(s, MAJ), now=LATER)
    with pytest.raises(AccessDenied) as refused:
        with unit_of_work() as s:
            queries.case_record(s, actor_for(s, "mar"), number, now=LATER)
    assert refused.value.rule == "care_relationship"
    assert refusals("mar") == ["refused:read"]


def test_the_reporter_sees_what_became_of_their_own_signals_and_nothing_more(db_url, example_data):
    open_and_plan(db_url, example_data)
    report("mar", MAJ)
    with unit_of_work(read_only=True) as s:
        [waiting] = identify.my_signals(s, actor_for(s, "mar"))
    assert (waiting.outcome, waiting.case_number) == ("waiting", None)
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=LATER)
    with unit_of_work(read_only=True) as s:
        [added] = identify.my_signals(s, actor_for(s, "mar"))
        number = case_of(s, MAJ).number
        # the health centre's own signals: the one that opened Gustav's case says so
        opened = [o for o in identify.my_signals(s, actor_for(s, "hc-dsk1")) if o.outcome == "opened"]
        assert not identify.my_signals(s, actor_for(s, "mas"))  # another member's signals are not theirs
    assert (added.outcome, added.case_number, added.kind) == ("added", number, "concern_raised")
    assert opened and all(o.case_number.startswith("K-2026-") for o in opened)
    assert set(vars(added)) == {"id", "kind", "occurred_on", "outcome", "case_number"}  # nothing about the person


def test_a_later_signal_does_not_move_a_case_into_the_reporters_area(db_url, example_data):
    open_and_plan(db_url, example_data)
    report("bkl-ssk", GUSTAV, kind=SignalKind.HOSPITAL_DISCHARGE)
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=LATER)
    with unit_of_work(read_only=True) as s:
        def area_of(*codes):
            return {n for n in s.exec(select(CareCase.number).where(in_area(organisation_ids(s, codes))))}
        number = case_of(s, GUSTAV).number
        assert number in area_of("hc-norrby")  # the signals that opened it
        assert number not in area_of("bkl-region")  # reported after it was opened
        assert case_of(s, "20150622-8673").number in area_of("bkl-region")  # Sigge's discharge opened his


def test_the_areas_team_prepares_a_flagged_case_until_its_plan_is_drawn_up(db_url, example_data):
    open_and_plan(db_url, example_data)
    # rehab-at is on the Norrby team and the consent names rehab: she may prepare Gustav's case
    assert allowed("rehab-at", Purpose.READ, GUSTAV) and allowed("rehab-at", Purpose.PLAN, GUSTAV)
    assert not allowed("rehab-at", Purpose.ACT, GUSTAV)  # preparing is not taking part
    assert not allowed("mar", Purpose.READ, GUSTAV)  # on no team: nothing to prepare
    plan(GUSTAV)
    with unit_of_work(read_only=True) as s:
        case = case_of(s, GUSTAV)
        assert not case.flagged_for_meeting
        taking_part = set(relationships(s, case, now=LATER))
    # the plan named the physiotherapist, not her: her preparation ended with the flag
    assert member_id("rehab-ft") in taking_part and member_id("rehab-at") not in taking_part
    assert allowed("rehab-ft", Purpose.ACT, GUSTAV) and not allowed("rehab-at", Purpose.READ, GUSTAV)


def member_id(code: str) -> int:
    with unit_of_work(read_only=True) as s:
        return member_by_code(s, code).id


def test_writing_an_sbar_about_a_case_gives_its_author_nothing(db_url, example_data):
    open_and_plan(db_url, example_data)
    before = count(Assessment)

    def write(code: str) -> None:
        with unit_of_work() as s:
            author = member_by_code(s, code)
            planning.submit_assessment(s, actor_for(s, code), case=case_of(s, MAJ), author=author,
                                       what_matters="x", situation="x", background="x", current_status="x",
                                       recommendation="x", needs={}, professions=[], handling_time="next_day",
                                       now=LATER)

    with pytest.raises(AccessDenied) as refused:
        write("mla")
    assert refused.value.rule == "care_relationship" and count(Assessment) == before
    assert refusals("mla") == ["refused:plan"]
    write("hsv-ssk2")  # the control: a member of the area's team, the case flagged for its meeting
    assert count(Assessment) == before + 1


def test_naming_oneself_in_a_new_plan_grants_nothing(db_url, example_data):
    open_and_plan(db_url, example_data)
    before = count(Sip)
    with pytest.raises(AccessDenied) as refused:
        with unit_of_work() as s:
            mla, nurse = member_by_code(s, "mla"), member_by_code(s, "hsv-ssk2")
            planning.create_sip(s, actor_for(s, "mla"), case=case_of(s, MAJ), coordinator=mla,
                                participants=[mla, nurse], plan_b=None, other_plans=[], what_matters="x",
                                next_follow_up=dt.date(2026, 12, 16), actions=[], assessment_id=None, now=LATER)
    assert refused.value.rule == "care_relationship" and count(Sip) == before
    assert refusals("mla") == ["refused:plan"]


def test_an_inactive_member_reports_nothing_and_learns_nothing_of_the_person(db_url, example_data):
    open_and_plan(db_url, example_data)
    with unit_of_work() as s:
        s.get(Member, member_by_code(s, "hsv-ssk2").id).active = False
    before = count(SignalRecord)
    for pnr in (MAJ, "19121212-1212"):  # known, and a valid number nobody has
        with pytest.raises(AccessDenied) as refused:
            report("hsv-ssk2", pnr)
        assert refused.value.rule == "commission"
    assert count(SignalRecord) == before
    assert refusals("hsv-ssk2") == ["refused:report signal"] * 2
    report("hsv-ssk1", MAJ)  # the control: an active member's signal is recorded
    assert count(SignalRecord) == before + 1


def test_without_a_readable_teams_file_nobody_prepares_and_nothing_breaks(db_url, example_data, monkeypatch,
                                                                          tmp_path):
    open_and_plan(db_url, example_data)
    assert allowed("rehab-at", Purpose.READ, GUSTAV)
    monkeypatch.setenv("COORDINATION_TEAMS_CONFIG", str(tmp_path / "missing.yaml"))
    assert not allowed("rehab-at", Purpose.READ, GUSTAV)  # fails closed
    assert allowed("hc-dsk1", Purpose.READ, GUSTAV)  # the SBAR's author: the other relationships still count


def test_only_a_member_taking_part_adds_someone_to_the_plan_and_the_log_says_who_added_whom(db_url, example_data):
    """An SBAR's author may revise the plan's text, but naming a member in it, themselves
    included, is for those who take part (and whose organisation the consent covers)."""
    from coordination.persistence.models import SipParticipant
    from coordination.usecases import revising

    from coordination.entrypoints.importer import import_data
    from tests.conftest import load_area

    load_area(db_url, example_data)
    with unit_of_work() as s:
        identify.identify(s, ADMIN, now=T0)
    with unit_of_work() as s:  # hsv-ssk2 prepares the flagged case and writes an SBAR about it
        author = member_by_code(s, "hsv-ssk2")
        planning.submit_assessment(s, actor_for(s, "hsv-ssk2"), case=case_of(s, GUSTAV), author=author,
                                   what_matters="x", situation="x", background="x", current_status="x",
                                   recommendation="x", needs={}, professions=[], handling_time="next_day", now=T0)
    with unit_of_work() as s:  # the health centre's SBAR, newer, is the one the plan is drawn from
        import_data(s, ADMIN, example_data, now=T0.add(minutes=1), sections=("assessments",))
    plan(GUSTAV)
    with unit_of_work(read_only=True) as s:
        case = case_of(s, GUSTAV)
        sip = s.exec(select(Sip).where(Sip.case_id == case.id, Sip.current == True)).one()  # noqa: E712
        taking_part = {s.get(Member, m).code for m in s.exec(select(SipParticipant.member_id)
                                                              .where(SipParticipant.sip_id == sip.id))}
        coordinator = s.get(Member, case.coordinator_id).code
    assert "hsv-ssk2" not in taking_part and allowed("hsv-ssk2", Purpose.PLAN, GUSTAV)  # an assessor still

    def revise(code: str, **change) -> None:
        with unit_of_work() as s:
            revising.revise_sip(s, actor_for(s, code), case=case_of(s, GUSTAV), now=LATER.add(hours=1), **change)

    before = count(Sip)
    with pytest.raises(AccessDenied) as refused:
        revise("hsv-ssk2", add=["hsv-ssk2"])
    assert refused.value.rule == "care_relationship" and count(Sip) == before
    assert refusals("hsv-ssk2") == ["refused:act"]
    assert not allowed("hsv-ssk2", Purpose.ACT, GUSTAV)
    revise("hsv-ssk2", what_matters="Att få bo kvar hemma med stöd")  # the text: an assessor may
    revise(coordinator, add=["hsv-ssk2"])  # the control: the coordinator adds her
    assert allowed("hsv-ssk2", Purpose.ACT, GUSTAV)
    with unit_of_work(read_only=True) as s:
        [added] = s.exec(select(AuditEvent).where(AuditEvent.action == "add_participant")).all()
        assert added.actor == coordinator and added.record_id.endswith(" hsv-ssk2")


def test_a_relationship_ends_a_day_after_its_source_does(db_url, example_data):
    """MAS reads the case while the question raised to her is open, and a day after she answered
    it; then no more. An SBAR's author helps plan until a plan is drawn up after the SBAR."""
    from coordination.domain.access import RELATIONSHIP_GRACE
    from coordination.domain.vocabulary import EscalationLevel
    from coordination.usecases import escalations

    open_and_plan(db_url, example_data)
    plan(GUSTAV, now=T0.add(minutes=1))
    with unit_of_work(read_only=True) as s:
        coordinator = s.get(Member, case_of(s, GUSTAV).coordinator_id).code
    assert not allowed("mas", Purpose.READ, GUSTAV)
    with unit_of_work() as s:
        question = escalations.escalate(s, actor_for(s, coordinator), case=case_of(s, GUSTAV), level=EscalationLevel.MAS,
                                        reason="Ödem trots ordination, behöver MAS bedömning", now=LATER)
    assert allowed("mas", Purpose.READ, GUSTAV, now=LATER.add(days=10))  # open: however long it takes
    answered = LATER.add(days=2)
    with unit_of_work() as s:
        escalations.answer_escalation(s, actor_for(s, "mas"), escalation_id=question, answer="Kontakta läkaren i dag",
                                      now=answered)
    assert allowed("mas", Purpose.READ, GUSTAV, now=answered.add(hours=23))
    assert not allowed("mas", Purpose.READ, GUSTAV, now=answered + RELATIONSHIP_GRACE + dt.timedelta(minutes=1))
    # the SBAR's author helps plan until a plan is drawn up after it (a day's grace)
    with unit_of_work(read_only=True) as s:
        case = case_of(s, GUSTAV)
        author = s.exec(select(Assessment.author_id).where(Assessment.case_id == case.id)).first()
        assert Relationship.ASSESSOR in relationships(s, case, now=T0.add(hours=2)).get(author, frozenset())
        assert Relationship.ASSESSOR not in relationships(s, case, now=T0.add(days=3)).get(author, frozenset())


def test_naming_oneself_the_fixed_care_contact_is_for_one_who_takes_part(db_url, example_data):
    open_and_plan(db_url, example_data)

    def name(code: str, contact: str) -> None:
        with unit_of_work() as s:
            planning.name_fixed_contacts(s, actor_for(s, code), case=case_of(s, MAJ),
                                         fixed_care_contact=member_by_code(s, contact), now=LATER)

    assert allowed("hsv-ssk2", Purpose.PLAN, MAJ) and not allowed("hsv-ssk2", Purpose.ACT, MAJ)  # prepares it
    with pytest.raises(AccessDenied) as refused:
        name("hsv-ssk2", "hsv-ssk2")
    assert refused.value.rule == "care_relationship" and refusals("hsv-ssk2") == ["refused:act"]
    with unit_of_work(read_only=True) as s:
        assert case_of(s, MAJ).fixed_care_contact_id is None
    name("hsv-ssk2", "hsv-ssk1")  # the control: she names the colleague who will be the contact
    assert allowed("hsv-ssk1", Purpose.ACT, MAJ)


def test_one_members_relationships_read_alone_are_theirs_in_the_whole_read(db_url, example_data):
    """A list of a member's own cases reads only that member's relationships: for every member
    and case, what that read gives is exactly what the read of everyone's gives them, from every
    source (the plan, actions and their managers, SBARs, a question, an emergency access)."""
    from coordination.domain.vocabulary import EscalationLevel
    from coordination.usecases import emergency, escalations
    from coordination.usecases.access import relationships_for

    open_and_plan(db_url, example_data)
    plan(GUSTAV, now=T0.add(minutes=1))
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        escalations.escalate(s, actor_for(s, s.get(Member, case.coordinator_id).code), case=case,
                             level=EscalationLevel.MAS, reason="Ödem trots ordination", now=LATER)
        emergency.open_emergency_access(s, actor_for(s, "mar"), case=case_of(s, MAJ),
                                        reason="Akut försämring, patienten kan inte tillfrågas", now=LATER)
    with unit_of_work(read_only=True) as s:
        cases = s.exec(select(CareCase)).all()
        whole = relationships_for(s, cases, now=LATER.add(minutes=1), emergency=True)
        kinds = {kind for related in whole.values() for held in related.values() for kind in held}
        assert {Relationship.SIP_PARTICIPANT, Relationship.RESPONSIBLE, Relationship.MANAGER, Relationship.ESCALATED_TO,
                Relationship.EMERGENCY, Relationship.COORDINATOR} <= kinds  # every source is in the test
        for member in s.exec(select(Member)).all():
            alone = relationships_for(s, cases, now=LATER.add(minutes=1), emergency=True, member_id=member.id)
            for case in cases:
                assert alone[case.id].get(member.id) == whole[case.id].get(member.id), (member.code, case.number)


def test_a_case_opened_for_its_reader_has_the_facts_the_policy_reads_for_it(db_url, example_data):
    """The case page opens a case in four statements (`case_for_reader`), not by asking the
    policy's reads in turn. For every member and case, by number and by the case read already,
    it holds what those reads give: the case, the person, the consents (a guardian's, a child's,
    one documented by some parties only), the blocks and the reader's relationships and facts.
    An unknown number is refused as the case lookup refuses it."""
    from coordination.errors import NotFound
    from coordination.persistence.models import Consent, Person
    from coordination.usecases import blocks
    from coordination.usecases.access import case_facts, case_for_reader, member_facts

    open_and_plan(db_url, example_data)
    plan(GUSTAV, now=T0.add(minutes=1))
    with unit_of_work() as s:
        blocks.place_block(s, ADMIN, person=s.get(Person, case_of(s, GUSTAV).person_id), organisation="hc-norrby",
                           now=LATER)
    now = LATER.add(minutes=1)
    with unit_of_work(read_only=True) as s:
        cases = s.exec(select(CareCase)).all()
        members = s.exec(select(Member)).all()
        every = {case.id: case_facts(s, case, now=now) for case in cases}
        assert any(f.blocks for f in every.values()) and any(f.person_is_child for f in every.values())
        assert any(c.given_by == "guardian" for f in every.values() for c in f.consents)
        assert any(c.parties - c.documented_in for f in every.values() for c in f.consents)
        for case in cases:
            consents = s.exec(select(Consent).where(Consent.person_id == case.person_id).order_by(Consent.id)).all()
            for member in [None, *members]:
                member_id = member.id if member else None
                by_number = case_for_reader(s, member_id, now=now, number=case.number)
                read_already = case_for_reader(s, member_id, now=now, case=case)
                for opened in (by_number, read_already):
                    assert opened.case.id == case.id and opened.person.id == case.person_id
                    assert opened.person.personnummer == s.get(Person, case.person_id).personnummer
                    assert opened.facts == case_facts(s, case, now=now, member_id=member_id), (case.number, member_id)
                    assert [(c.id, c.form, c.second_guardian_id) for c in opened.consents] == \
                        [(c.id, c.form, c.second_guardian_id) for c in consents]
                    assert opened.member == (member_facts(s, member_id) if member else None)
        with pytest.raises(NotFound, match="unknown case 'K-2026-9999'"):
            case_for_reader(s, members[0].id, now=now, number="K-2026-9999")
