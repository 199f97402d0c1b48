"""the SIP meeting with the person: the person's or a guardian's answer to the plan, the
patient contract's four parts, and how a child was informed and heard; a child's second
guardian's consent, or why one guardian's is enough

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sip_meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('sip_id', sa.Integer(), nullable=False),
        sa.Column('scheduled_for', UTCDateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(), nullable=False),
        sa.Column('invite_guardians', sa.Boolean(), nullable=False),
        sa.Column('invite_relatives', sa.Boolean(), nullable=False),
        sa.Column('scheduled_by_id', sa.Integer(), nullable=True),
        sa.Column('scheduled_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('answer', sa.Enum('agreed', 'refused', name='sipanswer', native_enum=False, length=40),
                  nullable=True),
        sa.Column('answered_by', sa.Enum('person', 'guardian', name='consentgiver', native_enum=False, length=40),
                  nullable=True),
        sa.Column('refusal_reason', sa.String(), nullable=True),
        sa.Column('agreement', sa.String(), nullable=True),
        sa.Column('fixed_care_contact_id', sa.Integer(), nullable=True),
        sa.Column('agreed_time', UTCDateTime(timezone=True), nullable=True),
        sa.Column('child_informed', sa.String(), nullable=True),
        sa.Column('child_heard', sa.String(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['care_case.id']),
        sa.ForeignKeyConstraint(['sip_id'], ['sip.id']),
        sa.ForeignKeyConstraint(['scheduled_by_id'], ['member.id']),
        sa.ForeignKeyConstraint(['fixed_care_contact_id'], ['member.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_sip_meeting_case_id', 'sip_meeting', ['case_id'])
    op.create_index('ix_sip_meeting_sip_id', 'sip_meeting', ['sip_id'])
    with op.batch_alter_table('consent') as batch_op:
        batch_op.add_column(sa.Column('second_guardian_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sole_guardian_reason', sa.String(), nullable=True))
        batch_op.create_foreign_key('fk_consent_second_guardian', 'contact', ['second_guardian_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('consent') as batch_op:
        batch_op.drop_constraint('fk_consent_second_guardian', type_='foreignkey')
        batch_op.drop_column('sole_guardian_reason')
        batch_op.drop_column('second_guardian_id')
    op.drop_index('ix_sip_meeting_sip_id', 'sip_meeting')
    op.drop_index('ix_sip_meeting_case_id', 'sip_meeting')
    op.drop_table('sip_meeting')
