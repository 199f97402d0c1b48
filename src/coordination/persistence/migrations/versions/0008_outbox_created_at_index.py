"""an index on outbox.created_at: a sweep's report finds its own digests by their time, not by
scanning its notices

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outbox_created_at', 'outbox', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_outbox_created_at', table_name='outbox')
