"""coordination meetings held from the workspace: meetings, attendance, decisions, minutes;
actions decided before a SIP exists

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('action') as batch_op:
        batch_op.alter_column('sip_id', existing_type=sa.Integer(), nullable=True)
    op.create_table(
        'meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.String(), nullable=False),
        sa.Column('series_id', sa.String(), nullable=False),
        sa.Column('regular_date', sa.Date(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('starts_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(), nullable=False),
        sa.Column('summary', sa.String(), nullable=False),
        sa.Column('opened_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('closed_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['leader_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('series_id', 'regular_date', name='uq_meeting_occurrence'))
    op.create_index('ix_meeting_series_id', 'meeting', ['series_id'])
    op.create_table(
        'meetingattendance',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('attendance', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('meeting_id', 'member_id'))
    op.create_table(
        'meetingdecision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('case_number', sa.String(), nullable=False),
        sa.Column('kind', sa.String(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('coordinator_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.String(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['action_id'], ['action.id']),
        sa.ForeignKeyConstraint(['coordinator_id'], ['member.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_meetingdecision_meeting_id', 'meetingdecision', ['meeting_id'])
    op.create_index('ix_meetingdecision_case_number', 'meetingdecision', ['case_number'])
    op.create_table(
        'meetingminutes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=False),
        sa.Column('closed_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['closed_by_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'version', name='uq_minutes_version'))
    op.create_index('ix_meetingminutes_meeting_id', 'meetingminutes', ['meeting_id'])


def downgrade() -> None:
    op.drop_index('ix_meetingminutes_meeting_id', table_name='meetingminutes')
    op.drop_table('meetingminutes')
    op.drop_index('ix_meetingdecision_case_number', table_name='meetingdecision')
    op.drop_index('ix_meetingdecision_meeting_id', table_name='meetingdecision')
    op.drop_table('meetingdecision')
    op.drop_table('meetingattendance')
    op.drop_index('ix_meeting_series_id', table_name='meeting')
    op.drop_table('meeting')
    with op.batch_alter_table('action') as batch_op:
        batch_op.alter_column('sip_id', existing_type=sa.Integer(), nullable=False)
