"""The access policy: may this member, for this purpose, reach this case now?

One policy for every read, action, notification, agenda line and handover. It follows the
order of Inera's national authorisation model:

1. **commission** (medarbetaruppdrag): the member is active in an organisation;
2. **care relationship** with the case, of a kind that the purpose needs;
3. **consent**: a valid consent to share that names the member's organisation and is
   documented in its record (and, for a child, was given by a guardian who may be involved);
4. **block** (spärr): the person has closed one organisation's information to the others.

Pure: the caller gathers the facts (`usecases/access.py`) and this module decides. A refusal
names the rule, says why in a few words and what would allow it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from coordination.domain.consent import ConsentFacts, why_not_valid
from coordination.domain.vocabulary import ConsentGiver, ConsentScope, Role


class Purpose(StrEnum):
    READ = "read"  # the case record
    PLAN = "plan"  # submit an SBAR, draw up the SIP
    ACT = "act"  # add an action, mark one done, record a follow-up
    NOTIFY = "notify"  # be told about the case in a message
    MEETING = "meeting"  # be told about the case at a coordination meeting
    HANDOVER = "handover"  # hand the case over to another organisation
    PERSONS_PLAN = "persons_plan"  # print the person's own SIP to hand to them


class Relationship(StrEnum):
    COORDINATOR = "coordinator"
    FIXED_CARE_CONTACT = "fixed_care_contact"
    SIP_PARTICIPANT = "sip_participant"
    RESPONSIBLE = "responsible"  # for an action of the case
    ASSESSOR = "assessor"  # wrote an SBAR for the case (with PLAN through another relationship)
    # a member of the team of the case's area while the case is flagged for the team's coming
    # meeting: describes the person in SBAR and shares it in the team before the meeting
    PREPARING = "preparing"
    MEETING_TEAM = "meeting_team"  # member of the team whose meeting has the case on its agenda
    MANAGER = "manager"  # unit manager of a responsible member (escalations, deviations)
    ESCALATED_TO = "escalated_to"  # MAS, MAR, MLA or a manager a question about the case was taken to
    # nödåtkomst: opened by the member with a stated reason, for a limited time, reviewed in the
    # log; it lets them read, nothing more, and the consent and any block still apply
    EMERGENCY = "emergency"


# A relationship whose source has finished (an action done, a question answered, a deviation
# closed, an SBAR planned from) ends this long after: the member sees what came of their own
# part, and nothing after. The SIP's roles end when the plan no longer names the member.
RELATIONSHIP_GRACE = dt.timedelta(days=1)

# Those who take part in the case: they act, follow up and hand over.
TAKING_PART = frozenset({Relationship.COORDINATOR, Relationship.FIXED_CARE_CONTACT,
                         Relationship.SIP_PARTICIPANT, Relationship.RESPONSIBLE})
NEEDED: Mapping[Purpose, frozenset[Relationship]] = {
    Purpose.READ: frozenset(Relationship),
    Purpose.PLAN: TAKING_PART | {Relationship.ASSESSOR, Relationship.PREPARING, Relationship.MEETING_TEAM},
    Purpose.ACT: TAKING_PART,
    Purpose.HANDOVER: TAKING_PART,
    # the plan is handed over by someone who takes part in it (seed 000: the person's plan)
    Purpose.PERSONS_PLAN: frozenset({Relationship.COORDINATOR, Relationship.FIXED_CARE_CONTACT,
                                     Relationship.SIP_PARTICIPANT}),
    Purpose.NOTIFY: frozenset(Relationship) - {Relationship.EMERGENCY},
    Purpose.MEETING: frozenset(Relationship) - {Relationship.EMERGENCY},
}


@dataclass(frozen=True)
class MemberFacts:
    id: int
    code: str
    organisation: str  # organisation code
    role: Role
    active: bool


@dataclass(frozen=True)
class BlockFacts:
    id: int
    organisation: str  # whose information the person has closed to the others
    placed_at: dt.datetime
    lifted_at: dt.datetime | None = None

    def in_force(self, at: dt.datetime) -> bool:
        return self.placed_at <= at and (self.lifted_at is None or self.lifted_at > at)


@dataclass(frozen=True)
class CaseFacts:
    number: str
    person_is_child: bool
    relationships: Mapping[int, frozenset[Relationship]] = field(default_factory=dict)  # member id -> kinds
    consents: tuple[ConsentFacts, ...] = ()
    blocks: tuple[BlockFacts, ...] = ()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str  # commission | care_relationship | consent | block, or 'allowed'
    reason: str = ""
    hint: str = ""


ALLOWED = Decision(True, "allowed")


def commission(member: MemberFacts) -> Decision:
    """The first rule alone: the member is active in an organisation. What needs no case (reporting
    a signal) asks this, and nothing more is granted by passing it."""
    if not member.active:
        return Decision(False, "commission", f"{member.code} ({member.role}, {member.organisation}) is not active",
                        "an administrator re-activates the member, or another member acts")
    return ALLOWED


def decide(member: MemberFacts, purpose: Purpose, case: CaseFacts, *, at: dt.datetime, on: dt.date,
           source_organisation: str | None = None, other_organisations: Iterable[str] = (),
           granted: Iterable[Relationship] = ()) -> Decision:
    """The decision, checked in the national model's order.

    `source_organisation`: the organisation whose information is reached (a handover's sender,
    an SBAR's author); a block on it refuses everyone outside it. `other_organisations`: those
    that must be covered too (a handover's receiver). `granted`: relationships the request
    itself creates (the coordinator named in a new SIP)."""
    who = f"{member.code} ({member.role}, {member.organisation})"
    if not member.active:
        return commission(member)
    if purpose == Purpose.HANDOVER and source_organisation not in (None, member.organisation):
        return Decision(False, "commission", f"{who} does not work for {source_organisation}",
                        f"a member of {source_organisation} hands over its own information")
    kinds = case.relationships.get(member.id, frozenset()) | frozenset(granted)
    if not kinds & NEEDED[purpose]:
        needed = ", ".join(sorted(NEEDED[purpose]))
        return Decision(False, "care_relationship", f"{who} has no care relationship with {case.number} "
                        f"that allows '{purpose}'", f"the member must be one of: {needed}")
    organisations = [member.organisation, *other_organisations]
    reason = consent_reason(case.consents, organisations, at=at, on=on, person_is_child=case.person_is_child)
    if reason is not None:
        return Decision(False, "consent", f"no valid consent covers {', '.join(sorted(set(organisations)))} "
                        f"for {case.number} ({reason})",
                        "record a consent that names the organisation and document it in its record "
                        "(`coordination consent record` / `consent document`)")
    if source_organisation and source_organisation != member.organisation and \
            blocked(case.blocks, source_organisation, at=at):
        return Decision(False, "block", f"the person has blocked {source_organisation}'s information "
                        f"from other organisations", "only the person can lift the block "
                        "(`coordination block lift`)")
    return ALLOWED


def consent_reason(consents: Iterable[ConsentFacts], organisations: Iterable[str], *, at: dt.datetime,
                   on: dt.date, person_is_child: bool) -> str | None:
    """None when one consent covers sharing with every organisation, else the closest reason."""
    reasons = []
    for consent in sorted(consents, key=lambda c: c.id, reverse=True):
        reason = why_not_valid(consent, scope=ConsentScope.SHARE_INFORMATION, organisations=organisations,
                               on=on, at=at, person_is_child=person_is_child)
        if reason is None:
            return None
        reasons.append(reason)
    return reasons[0] if reasons else "no consent is recorded"


def shared_consent(consents: Iterable[ConsentFacts], *, at: dt.datetime, on: dt.date,
                   person_is_child: bool) -> bool:
    """A consent to share, valid now and documented by at least two organisations: the marker
    that identification and the meeting agenda show."""
    return any(len(covered_by(c, at=at, on=on, person_is_child=person_is_child)) >= 2 for c in consents)


def covered_by(consent: ConsentFacts, *, at: dt.datetime, on: dt.date, person_is_child: bool) -> frozenset[str]:
    """The organisations this one consent lets share now."""
    if why_not_valid(consent, scope=ConsentScope.SHARE_INFORMATION, organisations=(), on=on, at=at,
                     person_is_child=person_is_child) is not None:
        return frozenset()
    return consent.parties & consent.documented_in


@dataclass(frozen=True)
class Coverage:
    """One organisation covered by one consent over a period: the rows the set-based sweep
    joins on, derived from the same consent rules as `decide`."""

    consent_id: int
    organisation: str
    valid_from: dt.date
    valid_until: dt.date | None


def coverage(consents: Iterable[ConsentFacts], *, at: dt.datetime, person_is_child: bool,
             adult_on: dt.date | None = None) -> list[Coverage]:
    """Every (consent, organisation, period) that lets the organisation share, ignoring the
    period itself (the sweep compares it with its own day). `adult_on`, the person's 18th
    birthday: a guardian's consent covers until the day before it, so coverage follows the
    birthday on the day without anyone recomputing it."""
    rows = []
    for consent in consents:
        day = max(consent.valid_from, at.date())  # check everything but the period
        if consent.valid_until is not None and day > consent.valid_until:
            continue
        until = consent.valid_until
        if consent.given_by == ConsentGiver.GUARDIAN and adult_on is not None:
            last = adult_on - dt.timedelta(days=1)
            until = last if until is None else min(until, last)
            if day > until:
                continue
        for org in sorted(covered_by(consent, at=at, on=day, person_is_child=person_is_child)):
            rows.append(Coverage(consent.id, org, consent.valid_from, until))
    return rows


def blocked(blocks: Iterable[BlockFacts], organisation: str, *, at: dt.datetime) -> bool:
    return any(b.organisation == organisation and b.in_force(at) for b in blocks)


# --- consent records and the log review: who may do them -----------------------------------

def may_record_consent(member: MemberFacts, organisations: Iterable[str]) -> Decision:
    """The member who takes the consent works for one of the organisations it names."""
    if not member.active:
        return Decision(False, "commission", f"{member.code} is not active", "another member records it")
    named = set(organisations)
    if member.organisation not in named:
        return Decision(False, "commission", f"{member.code} works for {member.organisation}, which the consent "
                        f"does not name", "a member of one of the named organisations records the consent")
    return ALLOWED


def may_document_consent(member: MemberFacts, organisation: str) -> Decision:
    """An organisation documents a consent in its own record: only its own members can say so."""
    if not member.active:
        return Decision(False, "commission", f"{member.code} is not active", "another member documents it")
    if member.organisation != organisation:
        return Decision(False, "commission", f"{member.code} works for {member.organisation}, not {organisation}",
                        f"a member of {organisation} documents the consent in its record")
    return ALLOWED


def may_take_request(member: MemberFacts) -> Decision:
    """A withdrawal or a block is the person's wish: any active member takes it down."""
    if not member.active:
        return Decision(False, "commission", f"{member.code} is not active", "another member records it")
    return ALLOWED


@dataclass(frozen=True)
class LogScope:
    """What of the audit log a reviewer may see: everything, or one organisation's members."""

    organisation: str | None  # None: every organisation


def may_review_log(member: MemberFacts) -> tuple[Decision, LogScope | None]:
    """The log review is for a log reviewer, or a unit manager for their own organisation."""
    if not member.active:
        return Decision(False, "commission", f"{member.code} is not active", "another reviewer reviews"), None
    if member.role == Role.LOG_REVIEWER:
        return ALLOWED, LogScope(None)
    if member.role == Role.UNIT_MANAGER:
        return ALLOWED, LogScope(member.organisation)
    return (Decision(False, "commission", f"{member.code} is a {member.role}, not a log reviewer or unit manager",
                     "ask the organisation's log reviewer or unit manager"), None)


def may_system_read(organisation: str, case: CaseFacts, organisation_of: Mapping[int, str], *, at: dt.datetime,
                    on: dt.date) -> Decision:
    """A registered system of `organisation` (the FHIR API) reads a case only when a member of its
    organisation takes part in it, a valid consent covers the organisation, and no block in force
    closes another organisation's information to it (the plan holds every organisation's part).
    `organisation_of`: member id -> organisation code, for the case's relationships."""
    if not any(organisation_of.get(member_id) == organisation and kinds & TAKING_PART
               for member_id, kinds in case.relationships.items()):
        return Decision(False, "care_relationship", f"{organisation} takes no part in {case.number}",
                        "a member of the organisation must take part in the plan")
    reason = consent_reason(case.consents, [organisation], at=at, on=on, person_is_child=case.person_is_child)
    if reason is not None:
        return Decision(False, "consent", f"no valid consent covers {organisation} for {case.number} ({reason})",
                        "the person's consent must name the organisation and be documented in its record")
    closed = sorted({b.organisation for b in case.blocks if b.in_force(at) and b.organisation != organisation})
    if closed:
        return Decision(False, "block", f"the person has blocked {', '.join(closed)}'s information",
                        "only the person can lift the block")
    return ALLOWED
