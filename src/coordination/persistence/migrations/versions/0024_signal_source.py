"""a signal's source: a journal system's own identifier of what it sent, so the same one sent
again is the same signal

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signal') as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=400), nullable=True))
        batch_op.create_unique_constraint('uq_signal_source', ['source'])


def downgrade() -> None:
    with op.batch_alter_table('signal') as batch_op:
        batch_op.drop_constraint('uq_signal_source', type_='unique')
        batch_op.drop_column('source')
