"""deviations reported by members and closed by their managers; escalations to MAS, MAR, MLA or
the managers, with the reason and the answer

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deviation') as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('description', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('reported_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closing_note', sa.String(), nullable=True))
        batch_op.create_foreign_key('fk_deviation_reported_by', 'member', ['reported_by_id'], ['id'])
        batch_op.create_foreign_key('fk_deviation_closed_by', 'member', ['closed_by_id'], ['id'])
    op.create_table(
        'escalation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.Enum('mas', 'mar', 'mla', 'managers', name='escalationlevel', native_enum=False,
                                   length=40), nullable=False),
        sa.Column('reason', sa.String(), nullable=False),
        sa.Column('raised_by_id', sa.Integer(), nullable=False),
        sa.Column('raised_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('answer', sa.String(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['care_case.id']),
        sa.ForeignKeyConstraint(['raised_by_id'], ['member.id']),
        sa.ForeignKeyConstraint(['answered_by_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_escalation_case_id', 'escalation', ['case_id'])
    op.create_table(
        'escalationrecipient',
        sa.Column('escalation_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id']),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('escalation_id', 'member_id'))


def downgrade() -> None:
    op.drop_table('escalationrecipient')
    op.drop_index('ix_escalation_case_id', 'escalation')
    op.drop_table('escalation')
    with op.batch_alter_table('deviation') as batch_op:
        batch_op.drop_constraint('fk_deviation_closed_by', type_='foreignkey')
        batch_op.drop_constraint('fk_deviation_reported_by', type_='foreignkey')
        for column in ('closing_note', 'closed_by_id', 'closed_at', 'reported_by_id', 'description'):
            batch_op.drop_column(column)
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=False)
