"""fenced delivery claims, per-target outcomes, digests linked to their notices

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('target_fingerprint', sa.String(length=64), nullable=True))
    with op.batch_alter_table('outboxsend') as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=False, server_default='sent'))
    with op.batch_alter_table('sweepnotice') as batch_op:
        batch_op.add_column(sa.Column('digest_key', sa.String(), nullable=True))
    op.create_index('ix_sweepnotice_digest_key', 'sweepnotice', ['digest_key'])


def downgrade() -> None:
    op.drop_index('ix_sweepnotice_digest_key', table_name='sweepnotice')
    with op.batch_alter_table('sweepnotice') as batch_op:
        batch_op.drop_column('digest_key')
    with op.batch_alter_table('outboxsend') as batch_op:
        batch_op.drop_column('outcome')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('target_fingerprint')
        batch_op.drop_column('claim_token')
