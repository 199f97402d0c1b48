"""indexes for "my cases": a member's open actions, and the SIPs a member takes part in, found
without reading every action and every SIP (a unit manager's start page at region scale)

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_action_responsible_status', 'action', ['responsible_id', 'status'])
    op.create_index('ix_sipparticipant_member', 'sipparticipant', ['member_id', 'sip_id'])


def downgrade() -> None:
    op.drop_index('ix_sipparticipant_member', table_name='sipparticipant')
    op.drop_index('ix_action_responsible_status', table_name='action')
