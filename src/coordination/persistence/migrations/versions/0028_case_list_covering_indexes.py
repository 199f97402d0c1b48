"""indexes that hold what a member's case list orders by, so its thousands of per-case probes
read the index alone: each case's status and nearest open action date beside its id, and the
current SIP's follow-up beside its case

A nurse with 2,200 open cases probed the case table and the SIP table once per case on every
start page; reading both rows from the heap was most of the statement (PostgreSQL at 1M actions:
about 9 ms, 6 ms with these).

Revision ID: 0028
Revises: 0027
"""
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_care_case_id_status_due', 'care_case', ['id', 'status', 'next_action_due'])
    op.create_index('ix_sip_case_current_follow_up', 'sip', ['case_id', 'current', 'next_follow_up'])


def downgrade() -> None:
    op.drop_index('ix_sip_case_current_follow_up', table_name='sip')
    op.drop_index('ix_care_case_id_status_due', table_name='care_case')
