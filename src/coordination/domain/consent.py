"""The consent gate.

Information about a person is shared between organisations, and a SIP is drawn up, only
under a consent that (1) covers the scope, (2) names the organisations involved, (3) is
documented in every one of those organisations' records (Västerbotten: "dokumentera
samtycket i båda organisationers journalsystem"), (4) is in its validity period and not
withdrawn, and (5) for a child, was given by a guardian.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from coordination.domain.vocabulary import ConsentGiver, ConsentScope
from coordination.errors import ConsentMissing, RuleViolation


@dataclass(frozen=True)
class ConsentFacts:
    id: int
    scopes: frozenset[ConsentScope]
    given_by: ConsentGiver
    parties: frozenset[str]  # organisation codes the consent allows sharing between
    documented_in: frozenset[str]  # organisation codes whose records hold it
    valid_from: dt.date
    valid_until: dt.date | None
    withdrawn_at: dt.datetime | None
    guardian_may_be_involved: bool = True  # False for a guardian a placed child's care excludes


def why_not_valid(consent: ConsentFacts, *, scope: ConsentScope, organisations: Iterable[str],
                  on: dt.date, at: dt.datetime, person_is_child: bool) -> str | None:
    """None when the consent covers the request, else the reason in a few words."""
    orgs = set(organisations)
    if consent.withdrawn_at is not None and consent.withdrawn_at <= at:
        return f"consent {consent.id} was withdrawn"
    if on < consent.valid_from:
        return f"consent {consent.id} is not valid until {consent.valid_from}"
    if consent.valid_until is not None and on > consent.valid_until:
        return f"consent {consent.id} expired on {consent.valid_until}"
    if scope not in consent.scopes:
        return f"consent {consent.id} does not cover '{scope}'"
    if missing := orgs - consent.parties:
        return f"consent {consent.id} does not name {', '.join(sorted(missing))}"
    if undocumented := orgs - consent.documented_in:
        return f"consent {consent.id} is not documented in the records of {', '.join(sorted(undocumented))}"
    if person_is_child and consent.given_by != ConsentGiver.GUARDIAN:
        return f"consent {consent.id} for a child was not given by a guardian"
    if not person_is_child and consent.given_by == ConsentGiver.GUARDIAN:
        # custody ends at 18: from then on the person consents for themselves
        return f"consent {consent.id} was given by a guardian, and the person has come of age"
    if consent.given_by == ConsentGiver.GUARDIAN and not consent.guardian_may_be_involved:
        return f"consent {consent.id} was given by a guardian who may not be involved"
    return None


def require_consent(consents: Iterable[ConsentFacts], *, scope: ConsentScope,
                    organisations: Iterable[str], at: dt.datetime, on: dt.date,
                    person_is_child: bool, record: str) -> ConsentFacts:
    """The consent that covers the request; otherwise ConsentMissing with the closest reason."""
    orgs = sorted(set(organisations))
    reasons = []
    for consent in sorted(consents, key=lambda c: c.id, reverse=True):
        reason = why_not_valid(consent, scope=scope, organisations=orgs, on=on, at=at,
                               person_is_child=person_is_child)
        if reason is None:
            return consent
        reasons.append(reason)
    detail = reasons[0] if reasons else "no consent is recorded"
    raise ConsentMissing(
        f"no valid consent for '{scope}' between {', '.join(orgs) or 'the organisations'} ({detail})",
        record=record, field="consent",
        hint="record a consent with `coordination consent record` that names these organisations "
             "and is documented in each of their records")


def check_new_consent(*, given_by: ConsentGiver, person_is_child: bool, guardian_known: bool,
                      guardian_may_be_involved: bool = True, scopes: Iterable[ConsentScope], parties: Iterable[str],
                      documented_in: Iterable[str], valid_from: dt.date,
                      valid_until: dt.date | None, record: str, guardians_involved: int = 1,
                      second_guardian: str | None = None, second_guardian_ok: bool = True,
                      sole_guardian_reason: str | None = None) -> None:
    """Rules for recording a consent, before anything is written. A child with two guardians who
    may be involved needs both guardians' consent (they decide together), unless the record says
    why one is enough."""
    if not list(scopes):
        raise RuleViolation("a consent needs at least one scope", record=record, field="scopes",
                            hint="use share_information, sip and/or involve_relatives")
    if person_is_child and given_by != ConsentGiver.GUARDIAN:
        raise RuleViolation("a child's consent must be given by a guardian", record=record,
                            field="given_by", hint="set given_by to guardian and name the guardian")
    if given_by == ConsentGiver.GUARDIAN and not guardian_known:
        raise RuleViolation("the consent is given by a guardian who is not registered for the person",
                            record=record, field="guardian",
                            hint="register the guardian as a contact of kind 'guardian' first")
    if given_by == ConsentGiver.GUARDIAN and not guardian_may_be_involved:
        raise RuleViolation("the guardian may not be involved in the child's care (placed child)",
                            record=record, field="guardian",
                            hint="the consent is given by a guardian who may be involved, e.g. a specially "
                                 "appointed guardian (särskilt förordnad vårdnadshavare)")
    if given_by == ConsentGiver.GUARDIAN and person_is_child:
        if second_guardian is not None and not second_guardian_ok:
            raise RuleViolation(f"'{second_guardian}' is not the child's other guardian who may be involved",
                                record=record, field="second_guardian",
                                hint="name the other registered guardian, who may be involved in the child's care")
        if guardians_involved >= 2 and second_guardian is None and not (sole_guardian_reason or "").strip():
            raise RuleViolation("the child has two guardians: both consent", record=record, field="second_guardian",
                                hint="record the other guardian's consent too (second_guardian), or say why one "
                                     "guardian's consent is enough (sole_guardian_reason)")
    parties = set(parties)
    if len(parties) < 2:
        raise RuleViolation("a consent to share names at least two organisations", record=record,
                            field="organisations", hint="name every organisation that will share information")
    if extra := set(documented_in) - parties:
        raise RuleViolation(f"documented in {', '.join(sorted(extra))}, which the consent does not name",
                            record=record, field="documented_in",
                            hint="documented_in lists organisations among those the consent names")
    if valid_until is not None and valid_until < valid_from:
        raise RuleViolation("valid_until is before valid_from", record=record, field="valid_until",
                            hint="give an end date on or after the start date")


def sip_parties(consents: Iterable[ConsentFacts], *, on: dt.date, at: dt.datetime, person_is_child: bool) -> set[str]:
    """The organisations a SIP may bring in: those a consent valid for the SIP both names and has
    documented in its own record."""
    parties: set[str] = set()
    for consent in consents:
        if why_not_valid(consent, scope=ConsentScope.SIP, organisations=(), on=on, at=at,
                         person_is_child=person_is_child) is None:
            parties |= consent.parties & consent.documented_in
    return parties
