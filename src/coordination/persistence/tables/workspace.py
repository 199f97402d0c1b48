"""The staff workspace's sign-in links, sessions and secret."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from coordination.persistence.tables._columns import key, utc


class SignInLink(SQLModel, table=True):
    """A one-time sign-in link; only the SHA-256 of its secret part is kept."""

    id: int = key()
    token_hash: str = Field(unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    next_path: str = "/"
    created_at: dt.datetime = utc()
    expires_at: dt.datetime = utc()
    used_at: dt.datetime | None = utc(default=None)


class StaffSession(SQLModel, table=True):
    """A signed-in member's session, server-side so that it can be revoked; the id is the
    SHA-256 of the cookie's value."""

    id: str = Field(primary_key=True, max_length=64)
    member_id: int = Field(foreign_key="member.id", index=True)
    csrf: str
    created_at: dt.datetime = utc()
    last_seen_at: dt.datetime = utc()
    revoked_at: dt.datetime | None = utc(default=None)


class AppSecret(SQLModel, table=True):
    """Secrets the installation makes for itself in embedded mode (the workspace's signing key)."""

    name: str = Field(primary_key=True, max_length=32)
    value: str
