"""the relatives' support and relief as part of the SIP, carried from the assessment and revisable

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sip') as batch_op:
        batch_op.add_column(sa.Column('relatives_support', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sip') as batch_op:
        batch_op.drop_column('relatives_support')
