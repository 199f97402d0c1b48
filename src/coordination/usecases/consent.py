"""Recording, documenting and withdrawing consent, and the gate every sharing passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, select

from coordination.domain.consent import ConsentFacts, check_new_consent, require_consent
from coordination.domain.vocabulary import CaseStatus, ConsentForm, ConsentGiver, ConsentScope, ContactKind
from coordination.errors import NotFound, RuleViolation
from coordination.notifications import templates
from coordination.notifications.outbox import enqueue, event_key
from coordination.persistence.models import (
    CareCase, Consent, ConsentParty, Contact, Organisation, Person, Sip, SipParticipant,
)
from coordination.usecases.common import Actor, audit, is_child, organisation_by_code, today_of


def record_consent(session: Session, actor: Actor, *, person: Person, scopes: Iterable[ConsentScope],
                   given_by: ConsentGiver, guardian_name: str | None, form: ConsentForm,
                   organisations: Iterable[str], documented_in: Iterable[str], valid_from: dt.date,
                   valid_until: dt.date | None, now: dt.datetime, record: str = "consent") -> int:
    scopes, organisations, documented_in = list(scopes), list(organisations), list(documented_in)
    orgs = {code: organisation_by_code(session, code, field=f"{record}.organisations")
            for code in dict.fromkeys(organisations)}
    guardian = None
    if given_by == ConsentGiver.GUARDIAN:
        guardians = session.exec(select(Contact).where(Contact.person_id == person.id,
                                                       Contact.kind == ContactKind.GUARDIAN)).all()
        guardian = next((g for g in guardians if guardian_name in (None, g.name)), None)
    check_new_consent(given_by=given_by, person_is_child=is_child(person, valid_from),
                      guardian_known=guardian is not None, scopes=scopes, parties=orgs,
                      documented_in=documented_in, valid_from=valid_from, valid_until=valid_until,
                      record=record)
    consent = Consent(person_id=person.id, scopes=[str(ConsentScope(s)) for s in scopes],
                      given_by=given_by, guardian_id=guardian.id if guardian else None, form=form,
                      valid_from=valid_from, valid_until=valid_until, recorded_by_id=actor.member_id,
                      recorded_at=now)
    session.add(consent)
    session.flush()
    documented = set(documented_in)
    for code, org in orgs.items():
        session.add(ConsentParty(consent_id=consent.id, organisation_id=org.id,
                                 documented_at=now if code in documented else None))
    _advance_identified_cases(session, person.id)
    audit(session, actor, "record", "consent", consent.id, now=now, person_id=person.id)
    return consent.id


def document_consent(session: Session, actor: Actor, *, consent_id: int, organisation: str,
                     now: dt.datetime) -> None:
    """The second organisation documents the consent in its own record."""
    consent = _consent(session, consent_id)
    org = organisation_by_code(session, organisation)
    party = session.get(ConsentParty, (consent.id, org.id))
    if party is None:
        raise RuleViolation(f"consent {consent_id} does not name {organisation}", record=f"consent {consent_id}",
                            field="organisation", hint="record a new consent that names this organisation")
    party.documented_at = party.documented_at or now
    session.add(party)
    audit(session, actor, "document", "consent", consent.id, now=now, person_id=consent.person_id)


def withdraw_consent(session: Session, actor: Actor, *, consent_id: int, now: dt.datetime) -> int:
    """From now on nothing more may be shared. Tells the participants of the person's open
    SIPs; returns the number of messages queued."""
    consent = _consent(session, consent_id)
    if consent.withdrawn_at is not None:
        return 0
    consent.withdrawn_at = now
    session.add(consent)
    queued = 0
    cases = session.exec(select(CareCase).where(CareCase.person_id == consent.person_id,
                                                CareCase.status != CaseStatus.CLOSED)).all()
    for case in cases:
        message = templates.consent_withdrawn(case.number)
        for member_id in _current_participants(session, case.id):
            queued += enqueue(session, key=event_key("consent_withdrawn", consent.id, case.id, member_id),
                              message=message, member_id=member_id, case_number=case.number, now=now)
    audit(session, actor, "withdraw", "consent", consent.id, now=now, person_id=consent.person_id)
    return queued


def consent_facts(session: Session, person_id: int) -> list[ConsentFacts]:
    facts = []
    for consent in session.exec(select(Consent).where(Consent.person_id == person_id)):
        rows = session.exec(select(ConsentParty, Organisation.code)
                            .join(Organisation, Organisation.id == ConsentParty.organisation_id)
                            .where(ConsentParty.consent_id == consent.id)).all()
        facts.append(ConsentFacts(
            id=consent.id, scopes=frozenset(ConsentScope(s) for s in consent.scopes),
            given_by=consent.given_by, parties=frozenset(code for _, code in rows),
            documented_in=frozenset(code for party, code in rows if party.documented_at is not None),
            valid_from=consent.valid_from, valid_until=consent.valid_until,
            withdrawn_at=consent.withdrawn_at))
    return facts


def gate(session: Session, *, case: CareCase, scope: ConsentScope, organisations: Iterable[str],
         now: dt.datetime) -> ConsentFacts:
    person = session.get(Person, case.person_id)
    today = today_of(now)
    return require_consent(consent_facts(session, person.id), scope=scope, organisations=organisations,
                           at=now, on=today, person_is_child=is_child(person, today),
                           record=f"case {case.number}")


def _consent(session: Session, consent_id: int) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise NotFound(f"unknown consent {consent_id}", record=f"consent {consent_id}", field="consent",
                       hint="`coordination case show CASE` lists the person's consents")
    return consent


def _current_participants(session: Session, case_id: int) -> list[int]:
    return list(session.exec(select(SipParticipant.member_id).join(Sip, Sip.id == SipParticipant.sip_id)
                             .where(Sip.case_id == case_id, Sip.current == True)).all())  # noqa: E712


def _advance_identified_cases(session: Session, person_id: int) -> None:
    for case in session.exec(select(CareCase).where(CareCase.person_id == person_id,
                                                    CareCase.status == CaseStatus.IDENTIFIED)):
        case.status = CaseStatus.CONSENTED
        session.add(case)
