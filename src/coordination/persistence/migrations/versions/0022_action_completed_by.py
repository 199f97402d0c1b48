"""who marked an action done (any member taking part may; the case page says who)

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('action') as batch_op:
        batch_op.add_column(sa.Column('completed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_action_completed_by_member', 'member', ['completed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('action') as batch_op:
        batch_op.drop_constraint('fk_action_completed_by_member', type_='foreignkey')
        batch_op.drop_column('completed_by_id')
