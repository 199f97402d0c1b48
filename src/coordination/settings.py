"""Settings from the environment. Secrets (database passwords, apprise tokens) only ever
come from here, never from files in git."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///coordination.db"


def database_url() -> str:
    return os.environ.get("COORDINATION_DATABASE_URL") or DEFAULT_DATABASE_URL
