"""The access policy's facts, gathered from the database, and the one way use cases ask it.

`domain/access.py` decides; this module only reads what it needs and turns a refusal into
`AccessDenied`. Every use case that reads or shares a case calls `require` (or `decision`
where a refusal filters rather than stops, as on the agenda and in notifications)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select as select_rows, union
from sqlmodel import Session, col, select

from coordination.domain import access
from coordination.domain.access import Purpose, Relationship
from coordination.domain.calendar import local_date
from coordination.domain.consent import ConsentFacts
from coordination.domain.personnummer import adult_on
from coordination.domain.vocabulary import ActionStatus, ConsentScope
from coordination.errors import AccessDenied
from coordination.persistence.models import (
    Action, Assessment, Block, CareCase, Consent, ConsentCoverage, ConsentParty, Contact, Deviation, EmergencyAccess,
    Escalation, EscalationRecipient, Member, Organisation, Person, Sip, SipParticipant,
)
from coordination.persistence.sql import among_parameter, rows_of
from coordination.usecases.areas import preparing_members
from coordination.usecases.common import Actor, is_child, referenced, unknown_case


_RELATIONSHIPS = {kind.value: kind for kind in Relationship}  # a dict's lookup, not the Enum's call per row


def _kind(kind: Relationship, case_id: Any, member_id: Any) -> Any:
    """One source's (kind, case, member) rows: the kind is a constant of the statement."""
    return select_rows(literal_column(f"'{kind.value}'").label("kind"), case_id.label("case_id"),
                       member_id.label("member_id"))


@lru_cache(maxsize=4)
def _facts_statements(dialect: str) -> dict[str, Any]:
    """The statements the policy's facts are read with, built once per dialect with the ids and
    moments as parameters (`persons`, `cases`, `numbers`, `members`, `member`, `ended_before`,
    `now`): every page asks the policy, and building a dozen statements anew cost a request as
    much as running them."""
    persons = (lambda c: among_parameter(dialect, c, "persons"))
    consent = (col(Consent.id), col(Consent.person_id), col(Consent.scopes), col(Consent.given_by),
               col(Consent.valid_from), col(Consent.valid_until), col(Consent.withdrawn_at), col(Consent.guardian_id))
    # whether any block was ever placed on the person, so the blocks are read only for those
    # persons (a block is rare, and reading none cost every page a round trip)
    has_blocks = select_rows(col(Block.id)).where(col(Block.person_id) == Person.id).exists().label("has_blocks")
    whole_person = Person.__table__.c  # type: ignore[attr-defined]
    return {
        # plain columns, not entities: loading entities costs more than the queries themselves
        "consents": select_rows(*consent).where(persons(col(Consent.person_id))).order_by(col(Consent.id)),
        # one person's consents with their parties, a row per party: a case page asks for one
        # person, and a second round trip cost it more than the rows. Not for many persons: each
        # row parses its consent's scopes again, ten times a page of fifty
        # (every column of the consent: the case record shows the rows the policy reads)
        "consents_with_parties": select_rows(*Consent.__table__.c,  # type: ignore[attr-defined]
                                             col(ConsentParty.documented_at).is_not(None).label("documented"),
                                             col(Organisation.code).label("code"))
        .outerjoin(ConsentParty, col(ConsentParty.consent_id) == Consent.id)
        .outerjoin(Organisation, col(Organisation.id) == ConsentParty.organisation_id)
        .where(persons(col(Consent.person_id))).order_by(col(Consent.id)),
        # whether each party documented the consent, not when: the policy asks no more, and a page
        # of 50 cases read 500 moments to throw away
        "parties": select_rows(col(ConsentParty.consent_id), col(ConsentParty.documented_at).is_not(None),
                               col(Organisation.code))
        .join(Organisation, col(Organisation.id) == ConsentParty.organisation_id)
        .where(col(ConsentParty.consent_id).in_(select_rows(col(Consent.id)).where(persons(col(Consent.person_id))))),
        "blocks": select_rows(Block, col(Organisation.code)).join(Organisation)
        .where(persons(col(Block.person_id))).order_by(col(Block.id)),
        # the identity columns the policy asks (is the person a child?), not the person's entity,
        # and the blocks flag
        "persons": select_rows(col(Person.id), col(Person.personnummer), col(Person.birth_date),
                               col(Person.is_coordination_number), has_blocks).where(persons(col(Person.id))),
        # one case as its reader's page opens it: the case, and its person's every column (the
        # record shows them) with the blocks flag, in one round trip where three cost a page
        # about a millisecond (issue 22)
        "case_and_person": select_rows(CareCase, *whole_person, has_blocks)
        .join(Person, col(Person.id) == CareCase.person_id).where(col(CareCase.number) == bindparam("number")),
        "person": select_rows(*whole_person, has_blocks).where(col(Person.id) == bindparam("person")),
        # every relationship that comes from a source, in one statement: a page asks the policy for
        # one case, and a statement per kind cost it more than the record's own rows. UNION, not
        # UNION ALL: each (kind, case, member) once, where a case's ten actions by one nurse gave
        # twenty rows (hers and her manager's), and reading those cost a page of cases more than
        # the query
        "relationships": union(*(branch for branch, _ in _relationship_sources(dialect))),
        # one member's only: a list of that member's cases asks no more, and a case's ten actions
        # by ten members gave it ten times the rows
        "relationships_of_member": union(*(branch.where(member == bindparam("member"))
                                           for branch, member in _relationship_sources(dialect))),
    }


def _relationship_sources(dialect: str) -> list[tuple[Any, Any]]:
    """Each source of a relationship as its select of (kind, case, member), beside its member
    column (to narrow it to one member)."""
    cases = (lambda c: among_parameter(dialect, c, "cases"))
    open_or_recent = col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]) \
        | ((col(Action.status) == ActionStatus.DONE) & (col(Action.completed_at) > bindparam("ended_before")))
    # an SBAR's author helps plan until a plan is drawn up (or revised) after it
    planned_after = select_rows(col(Sip.id)).where(col(Sip.case_id) == Assessment.case_id,
                                                   col(Sip.created_at) >= Assessment.submitted_at,
                                                   col(Sip.created_at) <= bindparam("ended_before"))
    return [
        (_kind(Relationship.SIP_PARTICIPANT, col(Sip.case_id), col(SipParticipant.member_id))
         .join(Sip, col(Sip.id) == SipParticipant.sip_id).where(cases(col(Sip.case_id)), col(Sip.current) == True),  # noqa: E712
         col(SipParticipant.member_id)),
        (_kind(Relationship.RESPONSIBLE, col(Action.case_id), col(Action.responsible_id))
         .where(cases(col(Action.case_id)), open_or_recent), col(Action.responsible_id)),
        (_kind(Relationship.ASSESSOR, col(Assessment.case_id), col(Assessment.author_id))
         .where(cases(col(Assessment.case_id)), ~planned_after.exists()), col(Assessment.author_id)),
        # the manager a deviation of the case went to reads it to close the deviation
        (_kind(Relationship.MANAGER, col(CareCase.id), col(Deviation.manager_id))
         .join(CareCase, col(CareCase.number) == Deviation.case_number).where(
            cases(col(CareCase.id)),
            col(Deviation.closed_at).is_(None) | (col(Deviation.closed_at) > bindparam("ended_before"))),
         col(Deviation.manager_id)),
        # the manager of a member responsible for an action, while that lasts
        (_kind(Relationship.MANAGER, col(Action.case_id), col(Member.manager_id))
         .join(Member, col(Member.id) == Action.responsible_id).where(cases(col(Action.case_id)), open_or_recent),
         col(Member.manager_id)),
        (_kind(Relationship.ESCALATED_TO, col(Escalation.case_id), col(EscalationRecipient.member_id))
         .join(Escalation, col(Escalation.id) == EscalationRecipient.escalation_id).where(
            cases(col(Escalation.case_id)),
            col(Escalation.answered_at).is_(None) | (col(Escalation.answered_at) > bindparam("ended_before"))),
         col(EscalationRecipient.member_id)),
        (_kind(Relationship.EMERGENCY, col(EmergencyAccess.case_id), col(EmergencyAccess.member_id)).where(
            cases(col(EmergencyAccess.case_id)), col(EmergencyAccess.started_at) <= bindparam("now"),
            col(EmergencyAccess.ends_at) > bindparam("now")), col(EmergencyAccess.member_id)),
    ]


def _statements(session: Session) -> dict[str, Any]:
    return _facts_statements(session.get_bind().dialect.name)


def consent_facts(session: Session, person_id: int) -> list[ConsentFacts]:
    return consent_facts_for(session, [person_id])[person_id]


def consent_facts_for(session: Session, person_ids) -> dict[int, list[ConsentFacts]]:
    """The consents of many persons in two queries (an agenda lists thousands of cases), of one
    person in one; and one more where a guardian gave a consent (may they be involved?)."""
    person_ids = list(person_ids)
    if len(person_ids) == 1:
        return {person_ids[0]: person_consents(session, person_ids[0])[1]}
    statements = _statements(session)
    parties: dict[int, list] = {}
    consents = rows_of(session, statements["consents"], {"persons": person_ids})
    for consent_id, documented, code in rows_of(session, statements["parties"], {"persons": person_ids}):
        parties.setdefault(consent_id, []).append((documented, code))
    return _consent_facts(session, person_ids, consents, parties)


def person_consents(session: Session, person_id: int) -> tuple[list[Any], list[ConsentFacts]]:
    """One person's consents with their parties, in one statement: their rows (every column,
    oldest first: what a case record shows) and the policy's facts of them."""
    consents: list[Any] = []
    parties: dict[int, list] = {}
    for row in rows_of(session, _statements(session)["consents_with_parties"], {"persons": [person_id]}):
        if not consents or consents[-1].id != row.id:
            consents.append(row)
        if row.code is not None:
            parties.setdefault(row.id, []).append((row.documented, row.code))
    return consents, _consent_facts(session, [person_id], consents, parties)[person_id]


def _consent_facts(session: Session, person_ids: list[int], consents: list[Any],
                   parties: dict[int, list]) -> dict[int, list[ConsentFacts]]:
    """The policy's facts of consent rows and their parties ((documented?, organisation) by
    consent id), asking whether each consenting guardian may be involved."""
    guardian_ids = {c.guardian_id for c in consents if c.guardian_id}
    involved = dict(session.execute(select(Contact.id, Contact.may_be_involved)
                                    .where(col(Contact.id).in_(guardian_ids))).all()) if guardian_ids else {}
    facts: dict[int, list[ConsentFacts]] = {pid: [] for pid in person_ids}
    for consent in consents:
        named = parties.get(consent.id, [])
        facts[consent.person_id].append(ConsentFacts(
            id=consent.id, scopes=frozenset(ConsentScope(s) for s in consent.scopes),
            given_by=consent.given_by, parties=frozenset(code for _, code in named),
            documented_in=frozenset(code for documented, code in named if documented),
            valid_from=consent.valid_from, valid_until=consent.valid_until,
            withdrawn_at=consent.withdrawn_at,
            # a guardian who may not be involved cannot give the child's consent
            guardian_may_be_involved=involved.get(consent.guardian_id, True) if consent.guardian_id else True))
    return facts


# the columns the policy asks of a member, built once: every request asks them
_MEMBER_FACTS = select_rows(col(Member.id), col(Member.code), col(Organisation.code), col(Member.role),
                            col(Member.active)).join(Organisation, col(Organisation.id) == Member.organisation_id) \
    .where(col(Member.id) == bindparam("member"))


def member_facts(session: Session, member_id: int) -> access.MemberFacts:
    row: Any = session.execute(_MEMBER_FACTS, {"member": member_id}).one()  # id, code, organisation, role, active
    return access.MemberFacts(*row)


def block_facts(session: Session, person_id: int) -> tuple[access.BlockFacts, ...]:
    return blocks_for(session, [person_id])[person_id]


def blocks_for(session: Session, person_ids) -> dict[int, tuple[access.BlockFacts, ...]]:
    found: dict[int, list[access.BlockFacts]] = {pid: [] for pid in person_ids}
    for block, code in rows_of(session, _statements(session)["blocks"], {"persons": list(found)}):
        found[block.person_id].append(access.BlockFacts(block.id, code, block.placed_at, block.lifted_at))
    return {pid: tuple(blocks) for pid, blocks in found.items()}


def relationships(session: Session, case: CareCase, *, now: dt.datetime) -> dict[int, frozenset[Relationship]]:
    """Who has which care relationship with the case at `now`, from the coordination record."""
    return relationships_for(session, [case], now=now)[case.id]


def relationships_for(session: Session, cases: Sequence[CareCase], *, now: dt.datetime, emergency: bool = False,
                      member_id: int | None = None) -> dict[int, dict[int, frozenset[Relationship]]]:
    """The care relationships of many cases at `now` (case id -> member id -> kinds), in one
    query. Each comes from a source and ends with it (`RELATIONSHIP_GRACE` after it finished): the
    SIP's roles while the current plan names the member, an action while open, a question while
    unanswered, a deviation while open, an SBAR until a plan is drawn up after it. `emergency`:
    with the emergency access open at `now` (it lets a member read, and is no care relationship).
    `member_id`: that member's relationships only (what a list of their own cases asks)."""
    found: dict[int, dict[int, set[Relationship]]] = {case.id: {} for case in cases}

    def add(kind: Relationship, pairs) -> None:
        for case_id, member_id in pairs:
            if member_id is not None:
                found[case_id].setdefault(member_id, set()).add(kind)

    add(Relationship.COORDINATOR, [(c.id, c.coordinator_id) for c in cases])
    add(Relationship.FIXED_CARE_CONTACT, [(c.id, c.fixed_care_contact_id) for c in cases])
    # no relationship comes from reporting a signal: the reporter's own act gives no access
    add(Relationship.PREPARING, [(case_id, member_id) for case_id, members in preparing_members(session, cases).items()
                                 for member_id in members])
    # a source finished before `ended_before` gives nothing
    asked = {"cases": list(found), "ended_before": now - access.RELATIONSHIP_GRACE, "now": now, "member": member_id}
    statement = _statements(session)["relationships" if member_id is None else "relationships_of_member"]
    for kind, case_id, related_id in rows_of(session, statement, asked):
        if related_id is not None and (emergency or kind != Relationship.EMERGENCY):
            found[case_id].setdefault(related_id, set()).add(_RELATIONSHIPS[kind])
    return {case_id: {k: frozenset(v) for k, v in related.items()} for case_id, related in found.items()}


def case_facts(session: Session, case: CareCase, *, now: dt.datetime,
               team_member_ids: Iterable[int] = (), member_id: int | None = None) -> access.CaseFacts:
    """`team_member_ids`: the members of the team whose meeting has the case on its agenda,
    when the question is asked in that meeting's context. `member_id`: facts for deciding for
    that member only (a page that asks the policy for its reader alone)."""
    return case_facts_for(session, [case], now=now, team_member_ids=team_member_ids, member_id=member_id)[case.id]


def case_facts_for(session: Session, cases: Sequence[CareCase], *, now: dt.datetime,
                   team_member_ids: Iterable[int] = (), member_id: int | None = None,
                   persons: Mapping[int, Any] | None = None,
                   consents: Mapping[int, list[ConsentFacts]] | None = None) -> dict[int, access.CaseFacts]:
    """The policy's facts for many cases in a few queries, not a few per case: an agenda or a
    meeting lists thousands. Keyed by case id. `member_id`: facts for deciding for that member
    only (their relationships, not everyone's): a list of one member's cases. `persons` (rows
    with the identity columns and `has_blocks`) and `consents`, by person id: what the caller
    read already."""
    team_member_ids = tuple(team_member_ids)
    person_ids = list({case.person_id for case in cases})
    if persons is None:
        persons = {p.id: p for p in rows_of(session, _statements(session)["persons"], {"persons": person_ids})}
    if consents is None:
        consents = consent_facts_for(session, person_ids)
    blocked = [p.id for p in persons.values() if p.has_blocks]
    blocks = blocks_for(session, blocked) if blocked else {}
    related = relationships_for(session, cases, now=now, emergency=True, member_id=member_id)
    today = local_date(now)
    facts = {}
    for case in cases:
        relations = related[case.id]
        for teammate in team_member_ids:
            relations[teammate] = relations.get(teammate, frozenset()) | {Relationship.MEETING_TEAM}
        facts[case.id] = access.CaseFacts(case.number, is_child(persons[case.person_id], today), relations,
                                          tuple(consents[case.person_id]), blocks.get(case.person_id, ()))
    return facts


@dataclass(frozen=True)
class ReadersCase:
    """One case as a member's page opens it: what the policy asks before the page may show
    anything, with the rows the page shows that the policy read on the way."""
    case: CareCase
    person: Any  # the person's row: every column, and has_blocks
    consents: list[Any]  # the person's consent rows, oldest first
    facts: access.CaseFacts  # for this reader alone (or everyone, for a system reader)
    member: access.MemberFacts | None  # the reader's facts (None: a system reader)


def case_for_reader(session: Session, member_id: int | None, *, now: dt.datetime, number: str | None = None,
                    case: CareCase | None = None) -> ReadersCase:
    """The case by `number` (or the `case` read already) and what deciding for `member_id`
    asks, in four statements where asking each in turn took seven: the case with its person,
    the consents with their parties, the reader's relationships and the reader (issue 22).
    Decides nothing: the caller asks `require` with these facts."""
    statements = _statements(session)
    if case is None:
        found = session.execute(statements["case_and_person"], {"number": number}).first()
        if found is None:
            raise unknown_case(str(number))
        case, person = found[0], found
    else:
        person = session.execute(statements["person"], {"person": case.person_id}).one()
    consent_rows, consents = person_consents(session, case.person_id)
    facts = case_facts_for(session, [case], now=now, member_id=member_id, persons={case.person_id: person},
                           consents={case.person_id: consents})[case.id]
    return ReadersCase(case, person, consent_rows, facts, member_facts(session, member_id) if member_id else None)


def decision(session: Session, member_id: int, purpose: Purpose, case: CareCase, *, now: dt.datetime,
             facts: access.CaseFacts | None = None, member: access.MemberFacts | None = None,
             **options) -> access.Decision:
    """`facts`, `member`: the case's and the member's facts, when the caller read them already."""
    facts = facts or case_facts(session, case, now=now)
    member = member if member is not None and member.id == member_id else member_facts(session, member_id)
    return access.decide(member, purpose, facts, at=now, on=local_date(now), **options)


def require(session: Session, actor: Actor, purpose: Purpose, case: CareCase, *, now: dt.datetime,
            facts: access.CaseFacts | None = None, member: access.MemberFacts | None = None, **options) -> None:
    """Go on only if the acting member may; system entry points (flows, the importer) act for
    the organisations and are checked where they share: at every recipient."""
    if actor.member_id is None:
        return
    verdict = decision(session, actor.member_id, purpose, case, now=now, facts=facts, member=member, **options)
    if not verdict.allowed:
        raise denied(actor, purpose, verdict, case_number=f"case {case.number}", person_id=case.person_id)


def require_member(session: Session, member_id: int, purpose: Purpose, case: CareCase, *, now: dt.datetime,
                   actor: Actor, facts: access.CaseFacts | None = None, **options) -> None:
    """Another member, not the actor, must be allowed: the responsible of an action, a
    participant of a SIP. Refused in the actor's name."""
    verdict = decision(session, member_id, purpose, case, now=now, facts=facts, **options)
    if not verdict.allowed:
        raise denied(actor, purpose, verdict, case_number=f"case {case.number}", person_id=case.person_id)


def require_verdict(verdict: access.Decision, actor: Actor, purpose: str, *, record: str,
                    person_id: int | None = None) -> None:
    if not verdict.allowed:
        raise denied(actor, purpose, verdict, case_number=record, person_id=person_id)


RULE_FIELD = {"commission": "by", "care_relationship": "by", "consent": "consent", "block": "organisation"}


def denied(actor: Actor, purpose: str, verdict: access.Decision, *, case_number: str,
           person_id: int | None) -> AccessDenied:
    return AccessDenied(verdict.reason, rule=verdict.rule, purpose=str(purpose), record=case_number,
                        field=RULE_FIELD.get(verdict.rule), hint=verdict.hint, actor_label=actor.label, actor_id=actor.member_id,
                        person_id=person_id)


def refresh_coverage(session: Session, person_id: int, *, now: dt.datetime) -> None:
    """Rewrite the person's consent coverage rows from the consent rules, in the same
    transaction as the consent change: the set-based sweep joins on them."""
    person = referenced(session, Person, person_id)
    rows = access.coverage(consent_facts(session, person_id), at=now, person_is_child=is_child(person, local_date(now)),
                           adult_on=adult_on(person.birth_date))
    org_ids = dict(session.exec(select(Organisation.code, Organisation.id)
                                .where(col(Organisation.code).in_({r.organisation for r in rows}))).all())
    session.execute(delete(ConsentCoverage).where(col(ConsentCoverage.person_id) == person_id))
    for row in rows:
        session.add(ConsentCoverage(person_id=person_id, consent_id=row.consent_id,
                                    organisation_id=org_ids[row.organisation], valid_from=row.valid_from,
                                    valid_until=row.valid_until))
    session.flush()
