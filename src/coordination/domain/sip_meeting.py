"""Rules for the SIP meeting: the meeting with the person where the plan is agreed (seeds 002,
003). The person is always invited; guardians for a child; relatives only under a consent that
allows involving them. The answer is the person's, or a guardian's for a child, who is also
informed and heard according to age and maturity (seed 002); a refusal gives
its reason; an agreement records the patient contract's four parts (seed 002: agreement, fixed
care contact, coherent plan, agreed time)."""

from __future__ import annotations

import datetime as dt

from coordination.domain.vocabulary import ConsentGiver, SipAnswer
from coordination.errors import N_, InvalidInput, RuleViolation


def check_schedule(*, when: dt.datetime, now: dt.datetime, child: bool, invite_guardians: bool,
                   invite_relatives: bool, relatives_consented: bool, place: str, record: str) -> None:
    if when <= now:
        raise InvalidInput(f"{when:%Y-%m-%d %H:%M} is not in the future", record=record, field="at",
                           hint="give the meeting's date and time, after now",
                           why=N_("Book the meeting for a time after now."))
    if not place.strip():
        raise InvalidInput("is empty", record=record, field="place",
                           hint="say where the meeting is held, e.g. at home or the health centre, or digitally",
                           why=N_("Say where the meeting is held: at home, at the health centre or digitally."))
    if invite_guardians and not child:
        raise RuleViolation("guardians are invited for a child only", record=record, field="invite_guardians",
                            hint="an adult person decides who comes; invite relatives under their consent",
                            why=N_("Guardians are invited for a child only: an adult decides who comes."))
    if invite_relatives and not relatives_consented:
        raise RuleViolation("no valid consent allows involving the person's relatives", record=record,
                            field="invite_relatives",
                            hint="record a consent with the scope involve_relatives first, or do not invite them",
                            why=N_("No consent allows involving the relatives: record one first, or do not invite them."))


def check_outcome(*, scheduled_for: dt.datetime, now: dt.datetime, answer: SipAnswer, answered_by: ConsentGiver,
                  child: bool, refusal_reason: str | None, agreement: str | None, agreed_time: dt.datetime | None,
                  has_fixed_care_contact: bool, recorded: bool, record: str, child_informed: str | None = None,
                  child_heard: str | None = None) -> None:
    if recorded:
        raise RuleViolation("the meeting's outcome is already recorded", record=record, field="meeting",
                            hint="schedule a new SIP meeting for the revised plan",
                            why=N_("The meeting's outcome is already recorded: book a new SIP meeting for the revised plan."))
    if scheduled_for > now:
        raise RuleViolation(f"the meeting is not held until {scheduled_for:%Y-%m-%d %H:%M}", record=record,
                            field="meeting", hint="record the outcome after the meeting",
                            why=N_("The meeting is not held until %(time)s: record the answer after it."),
                            why_values={"time": scheduled_for})
    if child and answered_by != ConsentGiver.GUARDIAN:
        raise RuleViolation("a guardian answers for a child", record=record, field="answered_by",
                            hint="record the guardian's answer; the child's own views are recorded as heard",
                            why=N_("A guardian answers for a child: record the guardian's answer."))
    if child and not (child_informed or "").strip():
        raise InvalidInput("is empty", record=record, field="child_informed",
                           hint="say how the child was told about the plan, adapted to age and maturity",
                           why=N_("Say how the child was told about the plan, adapted to age and maturity."))
    if child and not (child_heard or "").strip():
        raise InvalidInput("is empty", record=record, field="child_heard",
                           hint="record the child's own views and how they were heard, or why they could not be",
                           why=N_("Record the child's own views and how they were heard, or why they could not be."))
    if not child and answered_by != ConsentGiver.PERSON:
        raise RuleViolation("an adult person answers for themselves", record=record, field="answered_by",
                            hint="record the person's own answer",
                            why=N_("An adult answers for themselves: record the person's own answer."))
    if answer == SipAnswer.REFUSED:
        if not (refusal_reason or "").strip():
            raise InvalidInput("is empty", record=record, field="reason",
                               hint="say what the person does not agree to, so the plan can be revised",
                               why=N_("Say what the person does not agree to, so the plan can be revised."))
        return
    if not (agreement or "").strip():
        raise InvalidInput("is empty", record=record, field="agreement",
                           hint="write what was agreed with the person (the patient contract's agreement)",
                           why=N_("Write what was agreed with the person."))
    if agreed_time is None or agreed_time <= now:
        raise InvalidInput("is missing or not in the future", record=record, field="agreed_time",
                           hint="give the time agreed with the person for the next contact",
                           why=N_("Give the time agreed with the person for the next contact, after now."))
    if not has_fixed_care_contact:
        raise RuleViolation("the patient contract names a fixed care contact", record=record,
                            field="fixed_care_contact",
                            hint="name one (`coordination case contacts --fixed-care-contact`)",
                            why=N_("The patient contract names a fixed care contact: name one on the case first."))


def refused_version_waiting(answers: dict[int, str]) -> int | None:
    """The refused SIP version whose actions must still wait, or None when the plan may be carried
    out. `answers`: each answered version's latest answer at a SIP meeting. Once the person has
    refused a version, nothing is dispatched until a later version is agreed (seed 003: never
    against the person's will): a revision alone is the coordinator's proposal, not the person's
    yes. A case whose plan has never been answered is carried out as before."""
    refused = [version for version, answer in answers.items() if answer == SipAnswer.REFUSED]
    if not refused:
        return None
    last_refused = max(refused)
    if any(version > last_refused and answer == SipAnswer.AGREED for version, answer in answers.items()):
        return None
    return last_refused
