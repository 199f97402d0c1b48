"""The access policy's facts, gathered from the database, and the one way use cases ask it.

`domain/access.py` decides; this module only reads what it needs and turns a refusal into
`AccessDenied`. Every use case that reads or shares a case calls `require` (or `decision`
where a refusal filters rather than stops, as on the agenda and in notifications)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, select

from coordination.domain import access
from coordination.domain.access import Purpose, Relationship
from coordination.domain.calendar import local_date
from coordination.domain.consent import ConsentFacts
from coordination.domain.vocabulary import ConsentScope
from coordination.errors import AccessDenied
from coordination.persistence.models import (
    Action, Assessment, Block, CareCase, Consent, ConsentCoverage, ConsentParty, Contact, Member, Organisation, Person, SignalRecord, Sip,
    SipParticipant,
)
from coordination.usecases.common import Actor, is_child


def consent_facts(session: Session, person_id: int) -> list[ConsentFacts]:
    return consent_facts_for(session, [person_id])[person_id]


def consent_facts_for(session: Session, person_ids) -> dict[int, list[ConsentFacts]]:
    """The consents of many persons in three queries (an agenda lists thousands of cases)."""
    person_ids = list(person_ids)
    # plain columns, not entities: loading entities costs more than the queries themselves
    consents = session.execute(select(Consent.id, Consent.person_id, Consent.scopes, Consent.given_by,
                                      Consent.valid_from, Consent.valid_until, Consent.withdrawn_at,
                                      Consent.guardian_id)
                               .where(Consent.person_id.in_(person_ids)).order_by(Consent.id)).all()
    parties: dict[int, list] = {}
    for consent_id, documented_at, code in session.execute(
            select(ConsentParty.consent_id, ConsentParty.documented_at, Organisation.code)
            .join(Organisation, Organisation.id == ConsentParty.organisation_id)
            .where(ConsentParty.consent_id.in_(select(Consent.id).where(Consent.person_id.in_(person_ids))))):
        parties.setdefault(consent_id, []).append((documented_at, code))
    guardian_ids = {c.guardian_id for c in consents if c.guardian_id}
    involved = dict(session.execute(select(Contact.id, Contact.may_be_involved)
                                    .where(Contact.id.in_(guardian_ids))).all()) if guardian_ids else {}
    facts: dict[int, list[ConsentFacts]] = {pid: [] for pid in person_ids}
    for consent in consents:
        rows = parties.get(consent.id, [])
        facts[consent.person_id].append(ConsentFacts(
            id=consent.id, scopes=frozenset(ConsentScope(s) for s in consent.scopes),
            given_by=consent.given_by, parties=frozenset(code for _, code in rows),
            documented_in=frozenset(code for documented_at, code in rows if documented_at is not None),
            valid_from=consent.valid_from, valid_until=consent.valid_until,
            withdrawn_at=consent.withdrawn_at,
            # a guardian who may not be involved cannot give the child's consent
            guardian_may_be_involved=involved.get(consent.guardian_id, True) if consent.guardian_id else True))
    return facts


def member_facts(session: Session, member_id: int) -> access.MemberFacts:
    member, org = session.exec(select(Member, Organisation.code).join(Organisation)
                               .where(Member.id == member_id)).one()
    return access.MemberFacts(member.id, member.code, org, member.role, member.active)


def block_facts(session: Session, person_id: int) -> tuple[access.BlockFacts, ...]:
    rows = session.exec(select(Block, Organisation.code).join(Organisation)
                        .where(Block.person_id == person_id).order_by(Block.id)).all()
    return tuple(access.BlockFacts(b.id, code, b.placed_at, b.lifted_at) for b, code in rows)


def relationships(session: Session, case: CareCase) -> dict[int, frozenset[Relationship]]:
    """Who has which care relationship with the case, from the coordination record."""
    found: dict[int, set[Relationship]] = {}

    def add(kind: Relationship, ids: Iterable[int | None]) -> None:
        for member_id in ids:
            if member_id is not None:
                found.setdefault(member_id, set()).add(kind)

    add(Relationship.COORDINATOR, [case.coordinator_id])
    add(Relationship.FIXED_CARE_CONTACT, [case.fixed_care_contact_id])
    add(Relationship.SIP_PARTICIPANT, session.exec(
        select(SipParticipant.member_id).join(Sip, Sip.id == SipParticipant.sip_id)
        .where(Sip.case_id == case.id, Sip.current == True)))  # noqa: E712
    responsible = session.exec(select(Action.responsible_id).where(Action.case_id == case.id).distinct()).all()
    add(Relationship.RESPONSIBLE, responsible)
    add(Relationship.ASSESSOR, session.exec(select(Assessment.author_id).where(Assessment.case_id == case.id)))
    add(Relationship.REPORTER, session.exec(select(SignalRecord.reported_by_id)
                                            .where(SignalRecord.person_id == case.person_id)))
    if responsible:
        add(Relationship.MANAGER, session.exec(select(Member.manager_id).where(Member.id.in_(responsible))))
    return {k: frozenset(v) for k, v in found.items()}


def case_facts(session: Session, case: CareCase, *, now: dt.datetime,
               team_member_ids: Iterable[int] = ()) -> access.CaseFacts:
    """`team_member_ids`: the members of the team whose meeting has the case on its agenda,
    when the question is asked in that meeting's context."""
    person = session.get(Person, case.person_id)
    related = relationships(session, case)
    for member_id in team_member_ids:
        related[member_id] = related.get(member_id, frozenset()) | {Relationship.MEETING_TEAM}
    return access.CaseFacts(case.number, is_child(person, local_date(now)), related,
                            tuple(consent_facts(session, person.id)), block_facts(session, person.id))


def decision(session: Session, member_id: int, purpose: Purpose, case: CareCase, *, now: dt.datetime,
             facts: access.CaseFacts | None = None, **options) -> access.Decision:
    facts = facts or case_facts(session, case, now=now)
    return access.decide(member_facts(session, member_id), purpose, facts, at=now, on=local_date(now), **options)


def require(session: Session, actor: Actor, purpose: Purpose, case: CareCase, *, now: dt.datetime,
            facts: access.CaseFacts | None = None, **options) -> None:
    """Go on only if the acting member may; system entry points (flows, the importer) act for
    the organisations and are checked where they share: at every recipient."""
    if actor.member_id is None:
        return
    verdict = decision(session, actor.member_id, purpose, case, now=now, facts=facts, **options)
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
    person = session.get(Person, person_id)
    rows = access.coverage(consent_facts(session, person_id), at=now, person_is_child=is_child(person, local_date(now)))
    org_ids = dict(session.exec(select(Organisation.code, Organisation.id)
                                .where(Organisation.code.in_({r.organisation for r in rows}))).all())
    session.execute(delete(ConsentCoverage).where(ConsentCoverage.person_id == person_id))
    for row in rows:
        session.add(ConsentCoverage(person_id=person_id, consent_id=row.consent_id,
                                    organisation_id=org_ids[row.organisation], valid_from=row.valid_from,
                                    valid_until=row.valid_until))
    session.flush()
