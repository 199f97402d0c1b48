"""Alembic environment: the engine comes from the caller (see persistence.schema)."""

from alembic import context
from sqlmodel import SQLModel

import coordination.persistence.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=target_metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
