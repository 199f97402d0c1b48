"""who took over a meeting from its scheduled leader, and why

A member takes over as leader only with a stated reason; the scheduled leader is told, and the
meeting page and minutes show who led in whose place.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meeting') as batch_op:
        batch_op.add_column(sa.Column('taken_over_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('take_over_reason', sa.String(), nullable=True))
        batch_op.create_foreign_key('fk_meeting_taken_over_from', 'member', ['taken_over_from_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('meeting') as batch_op:
        batch_op.drop_constraint('fk_meeting_taken_over_from', type_='foreignkey')
        batch_op.drop_column('take_over_reason')
        batch_op.drop_column('taken_over_from_id')
