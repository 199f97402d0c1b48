"""The log review that Swedish patient-data law requires (Patientdatalagen 4 kap. 3 §):
who did what to which record, and when, by person, member or period. Audit rows are
append-only; the database refuses to change or delete them."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordination.domain.access import may_review_log
from coordination.persistence.models import AuditEvent, Member, Organisation, Person
from coordination.usecases.access import member_facts, require_verdict
from coordination.usecases.common import Actor, audit


def list_events(session: Session, actor: Actor, *, person: Person | None, member_id: int | None,
                since: dt.datetime | None, until: dt.datetime | None, now: dt.datetime,
                limit: int = 10_000, to_review: bool = False) -> list[tuple]:
    """Open to a log reviewer, or to a unit manager for their own organisation's members.
    `to_review`: only what a reviewer looks at first, the emergency accesses and the refusals."""
    scope = None
    if actor.member_id is not None:
        verdict, scope = may_review_log(member_facts(session, actor.member_id))
        require_verdict(verdict, actor, "review log", record="audit log",
                        person_id=person.id if person else None)
    query = select(AuditEvent, Person.personnummer).join(Person, col(Person.id) == AuditEvent.person_id, isouter=True)
    if scope is not None and scope.organisation is not None:
        own = select(Member.id).join(Organisation).where(col(Organisation.code) == scope.organisation)
        query = query.where(col(AuditEvent.actor_id).in_(own))
    if person is not None:
        query = query.where(col(AuditEvent.person_id) == person.id)
    if member_id is not None:
        query = query.where(col(AuditEvent.actor_id) == member_id)
    if to_review:
        query = query.where((col(AuditEvent.action) == "emergency_access") | col(AuditEvent.action).startswith("refused:"))
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    rows = session.exec(query.order_by(col(AuditEvent.at), col(AuditEvent.id)).limit(limit)).all()
    # reviewing the log is itself a read of personal data
    audit(session, actor, "review", "audit_log", person.personnummer if person else "all", now=now,
          person_id=person.id if person else None)
    return [(e.at, e.actor, e.action, e.record_type, e.record_id, pnr) for e, pnr in rows]
