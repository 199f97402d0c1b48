"""access policy: blocks, consent coverage, cancelled notifications, audit recipients, no TRUNCATE

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'block',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('placed_by_id', sa.Integer(), nullable=True),
        sa.Column('placed_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lifted_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['placed_by_id'], ['member.id']),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['member.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_block_person_id', 'block', ['person_id'])
    op.create_table(
        'consentcoverage',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('consent_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.ForeignKeyConstraint(['consent_id'], ['consent.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('consent_id', 'organisation_id'))
    op.create_index('ix_consentcoverage_person_org', 'consentcoverage', ['person_id', 'organisation_id'])
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.String(), nullable=True))
    with op.batch_alter_table('auditevent') as batch_op:
        batch_op.add_column(sa.Column('recipient_id', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Row triggers do not fire on TRUNCATE: refuse it with a statement trigger.
        op.execute("""CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent
                      FOR EACH STATEMENT EXECUTE FUNCTION auditevent_append_only()""")
    _backfill_coverage()


def _backfill_coverage() -> None:
    """Existing consents get their coverage rows by the application's own consent rules (the
    pure domain functions; plain SQL here, so later model changes cannot break this step)."""
    import datetime as dt

    from coordination.domain.access import coverage
    from coordination.domain.consent import ConsentFacts
    from coordination.domain.personnummer import IdentityNumber
    from coordination.domain.vocabulary import ConsentGiver, ConsentScope

    conn = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc)
    orgs = dict(conn.execute(sa.text("SELECT code, id FROM organisation")).all())
    persons = {pid: IdentityNumber(pnr, birth, bool(coord)).is_child(now.date()) for pid, pnr, birth, coord in
               conn.execute(sa.text("SELECT id, personnummer, birth_date, is_coordination_number FROM person"))}
    parties: dict[int, list] = {}
    for consent_id, code, documented in conn.execute(sa.text(
            "SELECT p.consent_id, o.code, p.documented_at FROM consentparty p "
            "JOIN organisation o ON o.id = p.organisation_id")):
        parties.setdefault(consent_id, []).append((code, documented is not None))
    guardians = dict(conn.execute(sa.text("SELECT id, may_be_involved FROM contact")).all())
    by_person: dict[int, list[ConsentFacts]] = {}
    for row in conn.execute(sa.text("SELECT id, person_id, scopes, given_by, guardian_id, valid_from, valid_until, "
                                    "withdrawn_at FROM consent")).mappings():
        scopes = row["scopes"] if isinstance(row["scopes"], list) else __import__("json").loads(row["scopes"])
        day = lambda v: v if isinstance(v, dt.date) or v is None else dt.date.fromisoformat(str(v)[:10])  # noqa: E731
        by_person.setdefault(row["person_id"], []).append(ConsentFacts(
            id=row["id"], scopes=frozenset(ConsentScope(s) for s in scopes), given_by=ConsentGiver(row["given_by"]),
            parties=frozenset(c for c, _ in parties.get(row["id"], [])),
            documented_in=frozenset(c for c, d in parties.get(row["id"], []) if d),
            valid_from=day(row["valid_from"]), valid_until=day(row["valid_until"]),
            withdrawn_at=now if row["withdrawn_at"] is not None else None,
            guardian_may_be_involved=bool(guardians.get(row["guardian_id"], True))))
    for person_id, consents in by_person.items():
        for c in coverage(consents, at=now, person_is_child=persons[person_id]):
            conn.execute(sa.text("INSERT INTO consentcoverage (person_id, consent_id, organisation_id, valid_from, "
                                 "valid_until) VALUES (:p, :c, :o, :f, :u)"),
                         dict(p=person_id, c=c.consent_id, o=orgs[c.organisation], f=c.valid_from, u=c.valid_until))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditevent_no_truncate ON auditevent")
    with op.batch_alter_table('auditevent') as batch_op:
        batch_op.drop_column('recipient_id')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('cancel_reason')
    op.drop_index('ix_consentcoverage_person_org', table_name='consentcoverage')
    op.drop_table('consentcoverage')
    op.drop_index('ix_block_person_id', table_name='block')
    op.drop_table('block')
