"""indexes for walking "my cases" in order: the open actions by status, date and case, the
current SIPs by follow-up and case, so a unit manager's page is read along an index instead of
ordering every case of the unit; and the cases a member coordinates or is the fixed care contact
of, and the members a manager manages, found without reading every row

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the case id joins each date index, so a walk's "after (date, case)" is one index range
    op.drop_index('ix_action_status_due', table_name='action')
    op.create_index('ix_action_status_due', 'action', ['status', 'due_date', 'case_id'])
    op.drop_index('ix_sip_current_follow_up', table_name='sip')
    op.create_index('ix_sip_current_follow_up', 'sip', ['current', 'next_follow_up', 'case_id'])
    op.create_index('ix_care_case_coordinator_id', 'care_case', ['coordinator_id'])
    op.create_index('ix_care_case_fixed_care_contact_id', 'care_case', ['fixed_care_contact_id'])
    op.create_index('ix_member_manager_id', 'member', ['manager_id'])


def downgrade() -> None:
    op.drop_index('ix_member_manager_id', table_name='member')
    op.drop_index('ix_care_case_fixed_care_contact_id', table_name='care_case')
    op.drop_index('ix_care_case_coordinator_id', table_name='care_case')
    op.drop_index('ix_sip_current_follow_up', table_name='sip')
    op.create_index('ix_sip_current_follow_up', 'sip', ['current', 'next_follow_up'])
    op.drop_index('ix_action_status_due', table_name='action')
    op.create_index('ix_action_status_due', 'action', ['status', 'due_date'])
