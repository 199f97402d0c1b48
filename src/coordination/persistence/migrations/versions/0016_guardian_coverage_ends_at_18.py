"""a guardian's consent covers a child only until the day before the 18th birthday

Coverage rows written before this revision kept a guardian's consent open after the child came
of age, until the next consent change. They end now on the day before the 18th birthday, as the
rows written from here on do (domain/access.py `coverage`).

Revision ID: 0016
Revises: 0015
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _adult_on(birth: dt.date) -> dt.date:
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:  # 29 February
        return dt.date(birth.year + 18, 3, 1)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT cc.consent_id, cc.organisation_id, cc.valid_until, p.birth_date FROM consentcoverage cc "
        "JOIN consent c ON c.id = cc.consent_id JOIN person p ON p.id = cc.person_id "
        "WHERE c.given_by = 'guardian'")).all()
    for consent_id, org_id, until, birth in rows:
        birth = birth if isinstance(birth, dt.date) else dt.date.fromisoformat(str(birth)[:10])
        until = until if until is None or isinstance(until, dt.date) else dt.date.fromisoformat(str(until)[:10])
        last = _adult_on(birth) - dt.timedelta(days=1)
        if until is None or until > last:
            conn.execute(sa.text("UPDATE consentcoverage SET valid_until = :u WHERE consent_id = :c "
                                 "AND organisation_id = :o"), dict(u=last, c=consent_id, o=org_id))


def downgrade() -> None:
    pass  # the rows stay correct under the older code too: it only read them
