"""Organisations, their members (staff), and the persons in coordination with their contacts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from coordination.domain.vocabulary import ContactKind, Organiser, Placement, PlacementLaw, Role, UnitType
from coordination.persistence.tables._columns import key, enum


class OrganisationBase(SQLModel):
    code: str = Field(index=True, unique=True, min_length=1, max_length=64)
    name: str = Field(min_length=1)
    organiser: Organiser = enum(Organiser)
    unit_type: UnitType = enum(UnitType)


class Organisation(OrganisationBase, table=True):
    id: int = key()


class MemberBase(SQLModel):
    code: str = Field(index=True, unique=True, min_length=1, max_length=64)
    name: str = Field(min_length=1)
    role: Role = enum(Role)
    active: bool = True
    # apprise URLs, `env:VARIABLE` references to them, or `tag:NAME`; secrets stay in the env
    notify: list[str] = Field(default_factory=list, sa_type=JSON)
    locale: str = Field(default="sv", max_length=8)  # the language of the member's pages and messages
    # what the identity provider asserts about the member (e.g. an HSA-id), for OpenID Connect sign-in
    identity: str | None = Field(default=None, unique=True, max_length=128)
    # the number the person calls to reach the member (a work number): printed on the person's SIP
    phone: str | None = Field(default=None, max_length=40)


class Member(MemberBase, table=True):
    id: int = key()
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="member.id", index=True)  # a unit's members


class Person(SQLModel, table=True):
    id: int = key()
    personnummer: str = Field(index=True, unique=True)  # canonical YYYYMMDD-NNNN
    is_coordination_number: bool = False
    birth_date: dt.date
    given_name: str
    family_name: str
    address: str | None = None
    phone: str | None = None
    protected_identity: bool = False  # skyddade personuppgifter
    placement: Placement | None = enum(Placement, default=None)
    placement_law: PlacementLaw | None = enum(PlacementLaw, default=None)
    residence_hidden_from_guardians: bool = False


class Contact(SQLModel, table=True):
    """Guardians, relatives, the social secretary and carers of a person."""

    id: int = key()
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: ContactKind = enum(ContactKind)
    name: str
    phone: str | None = None
    email: str | None = None
    personnummer: str | None = None
    may_be_involved: bool = True  # how guardians may be involved (placed children)
