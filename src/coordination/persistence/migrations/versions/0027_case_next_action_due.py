"""each case's nearest open action date, kept by the database: a member's case list is ordered
by it instead of grouping every open action of every case of theirs on each request (a nurse
with 2,000 open actions grouped 22,000 rows for one start page)

A member's open actions' index also holds their cases, so "which cases are hers" is read from
the index alone (it was a fifth of the ordering at 2,000 open actions).

The column is derived: triggers on `action` keep it equal to the earliest due date of the
case's planned or assigned actions, whoever writes (the application, an import, a bulk COPY).
The application never writes it.

SQLite: a migration that recreates `action` (a batch ALTER) drops these triggers with the old
table and must create them again.

Revision ID: 0027
Revises: 0026
"""
from alembic import op
import sqlalchemy as sa

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

OPEN = "('planned', 'assigned')"
EARLIEST = f"(SELECT min(a.due_date) FROM action a WHERE a.case_id = care_case.id AND a.status IN {OPEN})"

# PostgreSQL: one statement-level trigger per event, over the rows the statement changed (its
# transition tables): a COPY or a many-row INSERT costs one grouped UPDATE, not one per row
POSTGRESQL = [
    f"""CREATE FUNCTION action_added_next_due() RETURNS trigger AS $$
        BEGIN
            -- an added open action can only bring the date nearer
            UPDATE care_case c SET next_action_due = added.due
            FROM (SELECT case_id, min(due_date) AS due FROM added_rows
                  WHERE status IN {OPEN} AND due_date IS NOT NULL GROUP BY case_id) added
            WHERE c.id = added.case_id AND (c.next_action_due IS NULL OR c.next_action_due > added.due);
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    f"""CREATE FUNCTION action_changed_next_due() RETURNS trigger AS $$
        BEGIN
            -- the cases of the actions whose case, status or date changed, each counted again
            UPDATE care_case SET next_action_due = {EARLIEST}
            WHERE care_case.id IN (
                SELECT o.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE (o.case_id, o.status, o.due_date) IS DISTINCT FROM (n.case_id, n.status, n.due_date)
                UNION
                SELECT n.case_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE (o.case_id, o.status, o.due_date) IS DISTINCT FROM (n.case_id, n.status, n.due_date))
              AND care_case.next_action_due IS DISTINCT FROM {EARLIEST};
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    f"""CREATE FUNCTION action_removed_next_due() RETURNS trigger AS $$
        BEGIN
            UPDATE care_case SET next_action_due = {EARLIEST}
            WHERE care_case.id IN (SELECT case_id FROM removed_rows)
              AND care_case.next_action_due IS DISTINCT FROM {EARLIEST};
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER action_added_next_due AFTER INSERT ON action REFERENCING NEW TABLE AS added_rows
       FOR EACH STATEMENT EXECUTE FUNCTION action_added_next_due()""",
    """CREATE TRIGGER action_changed_next_due AFTER UPDATE ON action
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION action_changed_next_due()""",
    """CREATE TRIGGER action_removed_next_due AFTER DELETE ON action REFERENCING OLD TABLE AS removed_rows
       FOR EACH STATEMENT EXECUTE FUNCTION action_removed_next_due()""",
]

# SQLite has row triggers only
SQLITE = [
    f"""CREATE TRIGGER action_added_next_due AFTER INSERT ON action
        WHEN NEW.status IN {OPEN} AND NEW.due_date IS NOT NULL
        BEGIN
            UPDATE care_case SET next_action_due = NEW.due_date
            WHERE id = NEW.case_id AND (next_action_due IS NULL OR next_action_due > NEW.due_date);
        END""",
    f"""CREATE TRIGGER action_changed_next_due AFTER UPDATE OF case_id, status, due_date ON action
        BEGIN
            UPDATE care_case SET next_action_due = {EARLIEST}
            WHERE id IN (OLD.case_id, NEW.case_id) AND next_action_due IS NOT {EARLIEST};
        END""",
    f"""CREATE TRIGGER action_removed_next_due AFTER DELETE ON action
        BEGIN
            UPDATE care_case SET next_action_due = {EARLIEST}
            WHERE id = OLD.case_id AND next_action_due IS NOT {EARLIEST};
        END""",
]

TRIGGERS = ("action_added_next_due", "action_changed_next_due", "action_removed_next_due")


def upgrade() -> None:
    op.add_column('care_case', sa.Column('next_action_due', sa.Date(), nullable=True))
    op.execute(f"UPDATE care_case SET next_action_due = {EARLIEST}")
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.drop_index('ix_action_responsible_status', table_name='action')
    op.create_index('ix_action_responsible_status', 'action', ['responsible_id', 'status', 'case_id'])


def downgrade() -> None:
    op.drop_index('ix_action_responsible_status', table_name='action')
    op.create_index('ix_action_responsible_status', 'action', ['responsible_id', 'status'])
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON action" if postgresql else f"DROP TRIGGER IF EXISTS {name}")
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    with op.batch_alter_table('care_case', schema=None) as batch_op:
        batch_op.drop_column('next_action_due')
