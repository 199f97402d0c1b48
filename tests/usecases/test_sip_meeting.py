"""The SIP meeting with the person (seeds 002, 003): booked with the person, guardians for a child
and relatives only under a consent to involve them; the person's (or for a child a guardian's)
answer is recorded, with the patient contract's four parts when they agree. A refused plan is
never carried out: none of its actions is dispatched until a revised version is agreed."""

from __future__ import annotations

import pendulum
import pytest
from sqlmodel import select

from coordination.domain.vocabulary import ConsentGiver, SipAnswer
from coordination.errors import AccessDenied, InvalidInput, RuleViolation
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Outbox, SipMeeting
from coordination.usecases import acting, queries, sip_meeting
from coordination.usecases.common import actor_for
from tests.cli.test_bad_input import run, snapshot
from tests.conftest import ADMIN, T0, read, refused_and_unchanged
from tests.usecases.test_cycle import case_of, open_and_plan, plan

GUSTAV = "19380214-2012"  # adult; no consent to involve relatives
SIGGE = "20150622-8673"  # a seriously ill child with two guardians
AT = T0.add(days=3)  # the meeting
AFTER = AT.add(hours=2)  # when its outcome is recorded
NEXT_CONTACT = AT.add(days=7)


def book(pnr=GUSTAV, by="hc-dsk1", now=T0, **kw) -> int:
    with unit_of_work() as s:
        return sip_meeting.schedule(s, actor_for(s, by), case=case_of(s, pnr), when=kw.pop("when", AT),
                                    place=kw.pop("place", "Hemma hos Gustav"), now=now, **kw)


def answer(meeting_id, kind=SipAnswer.AGREED, who=ConsentGiver.PERSON, by="hc-dsk1", now=AFTER, **kw):
    defaults = dict(agreement="Hemtjänst och träning enligt planen", agreed_time=NEXT_CONTACT) \
        if kind == SipAnswer.AGREED else dict(reason="Vill inte ha hembesök på kvällar")
    with unit_of_work() as s:
        return sip_meeting.record_outcome(s, actor_for(s, by), meeting_id=meeting_id, answer=kind, answered_by=who,
                                          now=now, **(defaults | kw))


@pytest.fixture
def gustav_planned(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan(GUSTAV)


def test_booking_tells_every_participant_without_saying_where(gustav_planned):
    meeting_id = book()
    with unit_of_work() as s:
        told = s.exec(select(Outbox).where(Outbox.kind == "sip_meeting")).all()
        assert told and all("Hemma hos Gustav" not in (r.subject + r.body) for r in told)
        assert all(f"sip_meeting:{meeting_id}:" in r.key for r in told)


def test_an_agreement_records_the_patient_contracts_four_parts_and_is_shown(gustav_planned):
    meeting_id = book()
    number = answer(meeting_id)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        [shown] = queries.case_record(s, ADMIN, number, now=AFTER)["sip_meetings"]
    assert shown["answer"] == "agreed" and shown["answered_by"] == "person"
    assert shown["agreement"] == "Hemtjänst och träning enligt planen"  # the agreement
    assert shown["fixed_care_contact"]["code"]  # the fixed care contact
    assert shown["version"] == 1  # the coherent plan
    assert shown["agreed_time"] == NEXT_CONTACT  # the agreed time
    assert case.fixed_care_contact_id is not None


def test_a_refused_plan_is_not_carried_out_until_a_revised_version_is_agreed(gustav_planned):
    """Refuse; revise without the person's agreement: still nothing is dispatched, and a new
    action is refused before anything is written; agree to the revised version: dispatched."""
    from coordination.domain.vocabulary import HandlingTime
    from coordination.persistence.models import Action
    from coordination.usecases import revising
    from coordination.usecases.common import member_by_code

    def dispatched():
        return read(lambda s: sorted((a.id, a.status, a.due_date) for a in s.exec(select(Action)).all()))()

    def told():
        return read(lambda s: s.exec(select(Outbox.key).where(Outbox.kind == "action_assigned")).all())()

    def add_action(now=AFTER):
        with unit_of_work() as s:
            return acting.add_action(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV),
                                     responsible=member_by_code(s, "rehab-ft"), description="Hembesök av fysioterapeut",
                                     handling_time=HandlingTime.NEXT_WORKING_DAY, follow_up_date=None, now=now)

    answer(book(), SipAnswer.REFUSED)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        assert case.flagged_for_meeting  # back on the coordination meeting's agenda
        assert s.exec(select(Outbox).where(Outbox.kind == "sip_refused")).all()
    with unit_of_work() as s:
        with pytest.raises(RuleViolation, match="did not agree") as err:
            acting.dispatch_actions(s, ADMIN, case=case_of(s, GUSTAV), now=AFTER)
    assert err.value.field == "agreement"

    with unit_of_work() as s:  # a revision nobody agreed to is the coordinator's proposal, not a yes
        revising.revise_sip(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV), now=AFTER,
                            what_matters="Att få vara hemma utan besök på kvällarna")
    before, messages = dispatched(), told()
    with unit_of_work() as s:
        with pytest.raises(RuleViolation, match="did not agree") as err:
            acting.dispatch_actions(s, ADMIN, case=case_of(s, GUSTAV), now=AFTER)
    assert err.value.field == "agreement"
    refused_and_unchanged(add_action, RuleViolation, "agreement", dispatched)
    assert dispatched() == before and told() == messages

    second = book(when=AFTER.add(days=1), now=AFTER)  # the revised plan, agreed with the person
    answer(second, now=AFTER.add(days=1, hours=1), agreed_time=AFTER.add(days=8))
    with unit_of_work() as s:
        assert acting.dispatch_actions(s, ADMIN, case=case_of(s, GUSTAV), now=AFTER.add(days=1, hours=2)) >= 1
    assert add_action(now=AFTER.add(days=1, hours=2))
    assert len(told()) > len(messages)


def test_only_an_agreement_to_a_later_version_lifts_a_refusal():
    from coordination.domain.sip_meeting import refused_version_waiting

    assert refused_version_waiting({}) is None  # never answered: carried out as before
    assert refused_version_waiting({1: "agreed"}) is None
    assert refused_version_waiting({1: "refused"}) == 1
    assert refused_version_waiting({1: "refused", 2: "refused"}) == 2
    assert refused_version_waiting({1: "agreed", 2: "refused"}) == 2  # an earlier yes does not count
    assert refused_version_waiting({1: "refused", 3: "agreed"}) is None
    assert refused_version_waiting({1: "refused", 2: "agreed", 3: "refused"}) == 3


@pytest.mark.parametrize("kw, error, field", [
    (dict(when=T0.subtract(hours=1)), InvalidInput, "at"),
    (dict(place=" "), InvalidInput, "place"),
    (dict(invite_guardians=True), RuleViolation, "invite_guardians"),  # an adult
    (dict(invite_relatives=True), RuleViolation, "invite_relatives"),  # no consent to involve them
])
def test_a_booking_that_breaks_a_rule_is_refused_and_writes_nothing(gustav_planned, kw, error, field):
    refused_and_unchanged(lambda: book(**kw), error, field, read(lambda s: s.exec(select(SipMeeting)).all()))


def test_relatives_are_invited_under_a_consent_to_involve_them(gustav_planned):
    from coordination.domain.vocabulary import ConsentForm, ConsentScope
    from coordination.usecases import consent
    from coordination.usecases.common import person_by_personnummer

    with unit_of_work() as s:
        consent.record_consent(s, actor_for(s, "hc-dsk1"), person=person_by_personnummer(s, GUSTAV, today=T0.date()),
                               scopes=[ConsentScope.INVOLVE_RELATIVES], given_by=ConsentGiver.PERSON,
                               guardian_name=None, form=ConsentForm.ORAL, organisations=["hc-norrby", "hsv-norrby"],
                               documented_in=["hc-norrby"], valid_from=T0.date(), valid_until=None, now=T0)
    meeting_id = book(invite_relatives=True)
    with unit_of_work() as s:
        assert s.get(SipMeeting, meeting_id).invite_relatives


@pytest.mark.parametrize("kw, error, field", [
    (dict(now=AT.subtract(minutes=5)), RuleViolation, "meeting"),  # not held yet
    (dict(who=ConsentGiver.GUARDIAN), RuleViolation, "answered_by"),  # an adult answers for themselves
    (dict(agreement=" "), InvalidInput, "agreement"),
    (dict(agreed_time=None), InvalidInput, "agreed_time"),
    (dict(kind=SipAnswer.REFUSED, reason=""), InvalidInput, "reason"),
])
def test_an_outcome_that_breaks_a_rule_is_refused_and_writes_nothing(gustav_planned, kw, error, field):
    meeting_id = book()
    refused_and_unchanged(lambda: answer(meeting_id, **kw), error, field,
                          read(lambda s: s.get(SipMeeting, meeting_id).model_dump()))


def test_an_outcome_is_recorded_once(gustav_planned):
    meeting_id = book()
    answer(meeting_id)
    with pytest.raises(RuleViolation, match="already recorded"):
        answer(meeting_id, SipAnswer.REFUSED)


def test_only_those_taking_part_book_and_record(gustav_planned):
    with pytest.raises(AccessDenied):
        book(by="soc-bih")
    meeting_id = book()
    with pytest.raises(AccessDenied):
        answer(meeting_id, by="soc-bih")


def test_a_guardian_answers_for_a_child_and_guardians_are_invited(db_url, example_data):
    open_and_plan(db_url, example_data)
    plan(SIGGE)
    meeting_id = book(SIGGE, by="bkl-ssk", invite_guardians=True, place="Barnkliniken")
    heard = dict(child_informed="Med bilder, i lugn takt", child_heard="Sigge vill sova hemma")
    with pytest.raises(RuleViolation, match="guardian answers"):
        answer(meeting_id, by="bkl-ssk", who=ConsentGiver.PERSON, **heard)
    for missing in ("child_informed", "child_heard"):  # a child is informed and heard (seed 002)
        with pytest.raises(InvalidInput) as err:
            answer(meeting_id, by="bkl-ssk", who=ConsentGiver.GUARDIAN, **(heard | {missing: " "}))
        assert err.value.field == missing
    answer(meeting_id, by="bkl-ssk", who=ConsentGiver.GUARDIAN, **heard)
    with unit_of_work() as s:
        m = s.get(SipMeeting, meeting_id)
        assert m.invite_guardians and m.answered_by == ConsentGiver.GUARDIAN
        assert (m.child_informed, m.child_heard) == ("Med bilder, i lugn takt", "Sigge vill sova hemma")
        [shown] = queries.case_record(s, ADMIN, case_of(s, SIGGE).number, now=AFTER)["sip_meetings"]
    assert shown["child_heard"] == "Sigge vill sova hemma"


@pytest.mark.slow  # runs the command in a subprocess
def test_booking_and_answers_on_the_command_line(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    when = pendulum.now("Europe/Stockholm").add(days=2).format("YYYY-MM-DDTHH:mm")
    booked = run(sqlite_url, "sip", "meeting", number, "--by", "hc-dsk1", "--at", when, "--place", "Hälsocentralen")
    assert booked.returncode == 0 and "SIP meeting 1 booked" in booked.stdout, booked.stderr
    before = snapshot(sqlite_url)
    early = run(sqlite_url, "sip", "agree", "1", "--by", "hc-dsk1", "--answered-by", "person",
                "--agreement", "Enligt planen", "--agreed-time", when)
    assert early.returncode != 0 and "field 'meeting'" in early.stderr  # the meeting has not been held
    bad = run(sqlite_url, "sip", "meeting", number, "--by", "hc-dsk1", "--at", "i morgon", "--place", "x")
    assert bad.returncode != 0 and "field 'at'" in bad.stderr
    assert snapshot(sqlite_url) == before


@pytest.mark.slow  # runs the command in a subprocess
def test_refusal_blocks_dispatch_before_any_write_on_the_command_line(sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    plan(GUSTAV)
    meeting_id = book(now=T0)
    answer(meeting_id, SipAnswer.REFUSED, now=AFTER)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    before = snapshot(sqlite_url)
    result = run(sqlite_url, "action", "add", number, "--by", "hc-dsk1", "--responsible", "hc-dsk1",
                 "--description", "Hembesök", "--handling-time", "next_day")
    assert result.returncode != 0 and "field 'agreement'" in result.stderr
    assert snapshot(sqlite_url) == before

