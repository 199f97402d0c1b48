"""the log review's marks: an audit event looked at by a reviewer, with a note

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'auditreview',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('auditevent.id'), nullable=False, unique=True),
        sa.Column('reviewer_id', sa.Integer(), sa.ForeignKey('member.id'), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('note', sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('auditreview')
