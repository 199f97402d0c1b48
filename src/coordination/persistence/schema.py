"""Create or upgrade the schema with Alembic: the same migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from coordination.persistence.engine import get_engine, refresh_statistics

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Bring the database to `revision` (the newest by default), keeping its data."""
    engine = get_engine(url)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        refresh_statistics(conn)
    return ScriptDirectory.from_config(cfg).get_current_head() if revision == "head" else revision


def current_revision(url: str | None = None) -> str | None:
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def autogenerate(message: str, url: str) -> None:
    """Developer helper: write a new revision from the difference between models and `url`."""
    cfg = _config()
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
