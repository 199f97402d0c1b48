"""The FHIR API's callers: systems, not people. A registered client belongs to one organisation
and proves itself with a key (SMART Backend Services); its short-lived access tokens are kept as
hashes only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from coordination.persistence.tables._columns import key, utc


class FhirClient(SQLModel, table=True):
    __tablename__ = "fhir_client"
    id: int = key()
    client_id: str = Field(index=True, unique=True, max_length=128)
    organisation_id: int = Field(foreign_key="organisation.id")
    jwks: dict = Field(sa_type=JSON)  # the client's public keys: it signs its assertions with the private ones
    active: bool = True
    registered_at: dt.datetime = utc()


class FhirToken(SQLModel, table=True):
    """An access token issued for a client assertion. The assertion's `jti` is kept, unique, so
    an assertion can be used once."""

    __tablename__ = "fhir_token"
    id: int = key()
    token_hash: str = Field(index=True, unique=True)
    client_id: int = Field(foreign_key="fhir_client.id")
    jti: str = Field(unique=True, max_length=256)
    issued_at: dt.datetime = utc()
    expires_at: dt.datetime = utc()
