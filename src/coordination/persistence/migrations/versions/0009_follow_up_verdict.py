"""the person's verdict at a follow-up: "I get the care and support I need, when I need it and
where I need it" (agree, partly, disagree)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followup') as batch_op:
        batch_op.add_column(sa.Column('person_verdict', sa.Enum('agree', 'partly', 'disagree', name='personverdict',
                                                                native_enum=False, length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('followup') as batch_op:
        batch_op.drop_column('person_verdict')
