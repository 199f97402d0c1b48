"""Consents, the organisations they name, the coverage they give, and blocks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import ConsentForm, ConsentGiver
from coordination.persistence.tables._columns import key, enum, utc


class Consent(SQLModel, table=True):
    id: int = key()
    person_id: int = Field(foreign_key="person.id", index=True)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    given_by: ConsentGiver = enum(ConsentGiver)
    guardian_id: int | None = Field(default=None, foreign_key="contact.id")
    # a child's two guardians consent together; or the record says why one guardian's is enough
    second_guardian_id: int | None = Field(default=None, foreign_key="contact.id")
    sole_guardian_reason: str | None = None
    form: ConsentForm = enum(ConsentForm)
    valid_from: dt.date
    valid_until: dt.date | None = None
    withdrawn_at: dt.datetime | None = utc(default=None)
    recorded_by_id: int | None = Field(default=None, foreign_key="member.id")
    recorded_at: dt.datetime = utc()


class ConsentParty(SQLModel, table=True):
    """An organisation the consent names; `documented_at` once its own record holds it."""

    consent_id: int = Field(foreign_key="consent.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    documented_at: dt.datetime | None = utc(default=None)


class ConsentCoverage(SQLModel, table=True):
    """Which organisation a consent lets share, and over which period: derived from the consent
    rules (domain/access.py) whenever a consent changes, so set-based queries (the sweep) can
    join on the same answer the access policy gives one case at a time."""

    __table_args__ = (Index("ix_consentcoverage_person_org", "person_id", "organisation_id"),)
    person_id: int = Field(foreign_key="person.id")
    consent_id: int = Field(foreign_key="consent.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    valid_from: dt.date
    valid_until: dt.date | None = None


class Block(SQLModel, table=True):
    """Spärr: the person has closed one organisation's information to the other organisations."""

    id: int = key()
    person_id: int = Field(foreign_key="person.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    placed_by_id: int | None = Field(default=None, foreign_key="member.id")
    placed_at: dt.datetime = utc()
    lifted_by_id: int | None = Field(default=None, foreign_key="member.id")
    lifted_at: dt.datetime | None = utc(default=None)
