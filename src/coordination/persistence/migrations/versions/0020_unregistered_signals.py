"""signals about a personnummer no registered person has: kept until the person is registered,
so that reporting one never tells whether a person is in coordination

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unregistered_signal',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('personnummer', sa.String(), nullable=False),
        sa.Column('kind', sa.Enum('emergency_visit', 'health_centre_visit', 'readmission', 'hospital_discharge',
                                  'senior_alert_risk', 'multimorbidity', 'palliative', 'lasting_impairment',
                                  'concern_raised', 'school_absence', 'missed_appointment', 'many_care_providers',
                                  'extensive_disability', 'failing_parental_ability', 'somatic_psychiatric_comorbidity',
                                  name='signalkind', native_enum=False, length=40), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=True),
        sa.Column('reported_by_id', sa.Integer(), sa.ForeignKey('member.id'), nullable=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'), nullable=True),
        sa.Column('reported_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('screened_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('source', sa.String(length=400), nullable=True, unique=True),
    )
    op.create_index('ix_unregistered_signal_personnummer', 'unregistered_signal', ['personnummer'])
    op.create_index('ix_unregistered_signal_reported_by_id', 'unregistered_signal', ['reported_by_id'])


def downgrade() -> None:
    op.drop_table('unregistered_signal')
