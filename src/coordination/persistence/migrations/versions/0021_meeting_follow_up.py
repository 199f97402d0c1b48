"""a meeting's short follow-up of an ongoing case (section 4): continue, revise or close

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meetingdecision') as batch_op:
        batch_op.add_column(sa.Column('verdict', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('meetingdecision') as batch_op:
        batch_op.drop_column('verdict')
