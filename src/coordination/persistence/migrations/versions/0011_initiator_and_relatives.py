"""who started coordination (the screening, staff, the person, a relative or a guardian), and the
relatives' need of support and relief in the assessment

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('care_case') as batch_op:
        batch_op.add_column(sa.Column('initiated_by', sa.Enum('identification', 'staff', 'person', 'relative',
                                                              'guardian', name='initiator', native_enum=False,
                                                              length=40), nullable=True))
    with op.batch_alter_table('assessment') as batch_op:
        batch_op.add_column(sa.Column('relatives_support_need', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessment') as batch_op:
        batch_op.drop_column('relatives_support_need')
    with op.batch_alter_table('care_case') as batch_op:
        batch_op.drop_column('initiated_by')
