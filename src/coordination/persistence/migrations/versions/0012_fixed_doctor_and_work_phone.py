"""a seriously ill child's named fixed doctor, and the work number a person reaches a member on

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('care_case') as batch_op:
        batch_op.add_column(sa.Column('fixed_doctor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_care_case_fixed_doctor', 'member', ['fixed_doctor_id'], ['id'])
    with op.batch_alter_table('member') as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('member') as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('care_case') as batch_op:
        batch_op.drop_constraint('fk_care_case_fixed_doctor', type_='foreignkey')
        batch_op.drop_column('fixed_doctor_id')
