"""staff workspace: sessions, sign-in links, member locale and identity, return reports

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('member') as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=False, server_default='sv'))
        batch_op.add_column(sa.Column('identity', sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint('uq_member_identity', ['identity'])
    with op.batch_alter_table('action') as batch_op:
        batch_op.add_column(sa.Column('completion_note', sa.String(), nullable=True))
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('attachment_name', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('attachment', sa.String(), nullable=True))
    op.create_table(
        'returnreport',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=False),
        sa.Column('reporter_name', sa.String(), nullable=False),
        sa.Column('profession', sa.String(), nullable=False),
        sa.Column('text', sa.String(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['care_case.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_returnreport_case_id', 'returnreport', ['case_id'])
    op.create_table(
        'signinlink',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('next_path', sa.String(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'))
    op.create_index('ix_signinlink_member_id', 'signinlink', ['member_id'])
    op.create_table(
        'staffsession',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('csrf', sa.String(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_staffsession_member_id', 'staffsession', ['member_id'])
    op.create_table(
        'outboxsend',
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('target_key', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(), nullable=False),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id']),
        sa.PrimaryKeyConstraint('outbox_id', 'target_key'))
    # A sent message is a fact: its row can no longer change (nor can its send log).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION outbox_sent_is_final() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'a sent notification cannot be changed';
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER outbox_sent_is_final BEFORE UPDATE OR DELETE ON outbox
                      FOR EACH ROW WHEN (OLD.status = 'sent') EXECUTE FUNCTION outbox_sent_is_final()""")
        op.execute("""CREATE TRIGGER outboxsend_append_only BEFORE UPDATE OR DELETE ON outboxsend
                      FOR EACH ROW EXECUTE FUNCTION outbox_sent_is_final()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER outbox_sent_no_{event.lower()} BEFORE {event} ON outbox
                           WHEN OLD.status = 'sent'
                           BEGIN SELECT RAISE(ABORT, 'a sent notification cannot be changed'); END""")
            op.execute(f"""CREATE TRIGGER outboxsend_no_{event.lower()} BEFORE {event} ON outboxsend
                           BEGIN SELECT RAISE(ABORT, 'a sent notification cannot be changed'); END""")
    op.create_table(
        'appsecret',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('value', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('name'))


def downgrade() -> None:
    op.drop_table('appsecret')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outboxsend_append_only ON outboxsend")
        op.execute("DROP TRIGGER IF EXISTS outbox_sent_is_final ON outbox")
        op.execute("DROP FUNCTION IF EXISTS outbox_sent_is_final()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS outbox_sent_no_{event}")
            op.execute(f"DROP TRIGGER IF EXISTS outboxsend_no_{event}")
    op.drop_table('outboxsend')
    op.drop_index('ix_staffsession_member_id', table_name='staffsession')
    op.drop_table('staffsession')
    op.drop_index('ix_signinlink_member_id', table_name='signinlink')
    op.drop_table('signinlink')
    op.drop_index('ix_returnreport_case_id', table_name='returnreport')
    op.drop_table('returnreport')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('attachment')
        batch_op.drop_column('attachment_name')
    with op.batch_alter_table('action') as batch_op:
        batch_op.drop_column('completion_note')
    with op.batch_alter_table('member') as batch_op:
        batch_op.drop_constraint('uq_member_identity', type_='unique')
        batch_op.drop_column('identity')
        batch_op.drop_column('locale')
