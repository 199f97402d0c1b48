"""emergency access (nödåtkomst): a member opens a record outside their relationships, with a
stated reason, for a limited time; each opening is kept for the log review

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'emergencyaccess',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('member.id'), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('care_case.id'), nullable=False),
        sa.Column('reason', sa.String(), nullable=False),
        sa.Column('started_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('ends_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_emergencyaccess_case_ends', 'emergencyaccess', ['case_id', 'ends_at'])


def downgrade() -> None:
    op.drop_index('ix_emergencyaccess_case_ends', table_name='emergencyaccess')
    op.drop_table('emergencyaccess')
