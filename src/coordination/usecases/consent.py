"""Recording, documenting and withdrawing consent, and the gate every sharing passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from coordination.domain.consent import ConsentFacts, check_new_consent, require_consent
from coordination.domain.vocabulary import CaseStatus, ConsentForm, ConsentGiver, ConsentScope, ContactKind
from coordination.errors import RuleViolation
from coordination.domain.events import ConsentWithdrawn
from coordination.notifications.handlers import publish
from coordination.persistence.models import (
    CareCase, Consent, ConsentParty, Contact, Person, Sip, SipParticipant,
)
from coordination.domain import access as policy
from coordination.usecases.access import consent_facts, member_facts, refresh_coverage, require_verdict
from coordination.usecases.common import Actor, audit, is_child, organisation_by_code, referenced, row_by_id, today_of


def record_consent(session: Session, actor: Actor, *, person: Person, scopes: Iterable[ConsentScope],
                   given_by: ConsentGiver, guardian_name: str | None, form: ConsentForm,
                   organisations: Iterable[str], documented_in: Iterable[str], valid_from: dt.date,
                   valid_until: dt.date | None, now: dt.datetime, record: str = "consent",
                   second_guardian_name: str | None = None, sole_guardian_reason: str | None = None) -> int:
    scopes, organisations, documented_in = list(scopes), list(organisations), list(documented_in)
    orgs = {code: organisation_by_code(session, code, field=f"{record}.organisations")
            for code in dict.fromkeys(organisations)}
    if actor.member_id is not None:
        require_verdict(policy.may_record_consent(member_facts(session, actor.member_id), orgs), actor,
                        "record consent", record=record, person_id=person.id)
    guardian = second = None
    guardians: Sequence[Contact] = []
    if given_by == ConsentGiver.GUARDIAN:
        guardians = session.exec(select(Contact).where(col(Contact.person_id) == person.id,
                                                       col(Contact.kind) == ContactKind.GUARDIAN)).all()
        guardian = next((g for g in guardians if guardian_name in (None, g.name)), None)
        second = next((g for g in guardians if second_guardian_name is not None and g.name == second_guardian_name
                       and g is not guardian), None)
    check_new_consent(given_by=given_by, person_is_child=is_child(person, valid_from),
                      guardian_known=guardian is not None,
                      guardian_may_be_involved=guardian is None or guardian.may_be_involved, scopes=scopes, parties=orgs,
                      documented_in=documented_in, valid_from=valid_from, valid_until=valid_until,
                      record=record, guardians_involved=sum(g.may_be_involved for g in guardians),
                      second_guardian=second_guardian_name,
                      second_guardian_ok=second is not None and second.may_be_involved,
                      sole_guardian_reason=sole_guardian_reason)
    consent = Consent(person_id=person.id, scopes=[str(ConsentScope(s)) for s in scopes],
                      given_by=given_by, guardian_id=guardian.id if guardian else None,
                      second_guardian_id=second.id if second else None,
                      sole_guardian_reason=(sole_guardian_reason or "").strip() or None if second is None else None,
                      form=form,
                      valid_from=valid_from, valid_until=valid_until, recorded_by_id=actor.member_id,
                      recorded_at=now)
    session.add(consent)
    session.flush()
    documented = set(documented_in)
    for code, org in orgs.items():
        session.add(ConsentParty(consent_id=consent.id, organisation_id=org.id,
                                 documented_at=now if code in documented else None))
    session.flush()
    refresh_coverage(session, person.id, now=now)
    _advance_identified_cases(session, person.id)
    audit(session, actor, "record", "consent", consent.id, now=now, person_id=person.id)
    return consent.id


def document_consent(session: Session, actor: Actor, *, consent_id: int, organisation: str,
                     now: dt.datetime) -> None:
    """The second organisation documents the consent in its own record."""
    consent = _consent(session, consent_id)
    org = organisation_by_code(session, organisation)
    if actor.member_id is not None:
        require_verdict(policy.may_document_consent(member_facts(session, actor.member_id), org.code), actor,
                        "document consent", record=f"consent {consent_id}", person_id=consent.person_id)
    party = session.get(ConsentParty, (consent.id, org.id))
    if party is None:
        raise RuleViolation(f"consent {consent_id} does not name {organisation}", record=f"consent {consent_id}",
                            field="organisation", hint="record a new consent that names this organisation")
    party.documented_at = party.documented_at or now
    session.add(party)
    session.flush()
    refresh_coverage(session, consent.person_id, now=now)
    audit(session, actor, "document", "consent", consent.id, now=now, person_id=consent.person_id)


def withdraw_consent(session: Session, actor: Actor, *, consent_id: int, now: dt.datetime) -> int:
    """From now on nothing more may be shared. Pending messages about the person's cases to
    organisations no longer covered are cancelled (status and reason kept); the participants of
    the open SIPs are told once, with the case number only. Returns the number told."""
    consent = _consent(session, consent_id)
    if actor.member_id is not None:
        require_verdict(policy.may_take_request(member_facts(session, actor.member_id)), actor,
                        "withdraw consent", record=f"consent {consent_id}", person_id=consent.person_id)
    if consent.withdrawn_at is not None:
        return 0
    consent.withdrawn_at = now
    session.add(consent)
    session.flush()
    refresh_coverage(session, consent.person_id, now=now)
    cases = session.exec(select(CareCase).where(col(CareCase.person_id) == consent.person_id,
                                                col(CareCase.status) != CaseStatus.CLOSED)).all()
    queued = len(publish(session, ConsentWithdrawn(consent.id, consent.person_id, tuple(
        (case.number, case.id, tuple(_current_participants(session, case.id))) for case in cases)), now=now))
    audit(session, actor, "withdraw", "consent", consent.id, now=now, person_id=consent.person_id)
    return queued


def gate(session: Session, *, case: CareCase, scope: ConsentScope, organisations: Iterable[str],
         now: dt.datetime) -> ConsentFacts:
    person = referenced(session, Person, case.person_id)
    today = today_of(now)
    return require_consent(consent_facts(session, person.id), scope=scope, organisations=organisations,
                           at=now, on=today, person_is_child=is_child(person, today),
                           record=f"case {case.number}")


def _consent(session: Session, consent_id: int) -> Consent:
    return row_by_id(session, Consent, consent_id, name="consent",
                     hint="`coordination case show CASE` lists the person's consents")


def _current_participants(session: Session, case_id: int) -> list[int]:
    return list(session.exec(select(SipParticipant.member_id).join(Sip, col(Sip.id) == SipParticipant.sip_id)
                             .where(col(Sip.case_id) == case_id, col(Sip.current) == True)).all())  # noqa: E712


def _advance_identified_cases(session: Session, person_id: int) -> None:
    for case in session.exec(select(CareCase).where(col(CareCase.person_id) == person_id,
                                                    col(CareCase.status) == CaseStatus.IDENTIFIED)):
        case.status = CaseStatus.CONSENTED
        session.add(case)
