"""the rest of Bilaga 2 in the SBAR assessment: the doctor's order, whether the medication list is
current, whether consent was obtained, and the finding that a child is seriously ill

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment') as batch_op:
        batch_op.add_column(sa.Column('doctor_order', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('medication_list_current', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('consent_obtained', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('seriously_ill', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('assessment') as batch_op:
        for column in ('seriously_ill', 'consent_obtained', 'medication_list_current', 'doctor_order'):
            batch_op.drop_column(column)
