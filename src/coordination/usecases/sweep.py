"""The follow-up sweep: find what is due soon, due today, overdue and overdue past the grace
period; record deviations; queue one digest per recipient.

Set-based on purpose: a region holds a million open actions, so the database finds what is
due with indexed range queries and writes the notices with INSERT ... SELECT. Each notice
row is unique per business event (item, due date, class, recipient), and the digest goes to
the outbox in the same transaction, so a second sweep sends nothing new."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, case, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session

from coordination.config import SweepPolicy
from coordination.domain.calendar import add_working_days, local_date
from coordination.domain.vocabulary import ActionStatus, CaseStatus
from coordination.notifications import templates
from coordination.notifications.outbox import enqueue_many
from coordination.persistence.models import (
    Action, CareCase, Deviation, Member, Organisation, Sip, SweepNotice,
)

CLASSES = ("due_soon", "due_today", "overdue", "escalated")


@dataclass
class SweepResult:
    items: int = 0
    digests: int = 0
    deviations: int = 0
    escalations_without_manager: list[str] = field(default_factory=list)  # case numbers
    # organisation label -> class -> count, and the case numbers involved
    by_organisation: dict[str, dict[str, int]] = field(default_factory=dict)
    cases_by_organisation: dict[str, list[str]] = field(default_factory=dict)
    digest_keys: list[str] = field(default_factory=list)
    db_seconds: float = 0.0


def sweep(session: Session, *, now: dt.datetime, policy: SweepPolicy) -> SweepResult:
    started = time.perf_counter()
    today = local_date(now)
    soon_until = add_working_days(today, policy.due_soon_working_days)
    escalate_before = add_working_days(today, -policy.escalation_grace_working_days)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert

    responsible = aliased(Member)
    open_action = and_(Action.status.in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]),
                       Action.due_date != None, Action.due_date <= soon_until)  # noqa: E711
    live_sip = and_(Sip.current == True, CareCase.status.in_([CaseStatus.PLANNED, CaseStatus.ACTIVE]),  # noqa: E712
                    Sip.next_follow_up <= soon_until)

    def klass(due):
        return case((due < today, "overdue"), (due == today, "due_today"), else_="due_soon")

    # (item kind, source query); each yields the notice columns in SweepNotice order
    sources = [
        select(literal("action"), Action.id, Action.due_date, klass(Action.due_date), responsible.id,
               CareCase.number, responsible.role, responsible.organisation_id, literal(now, SweepNotice.created_at.type))
        .join(CareCase, CareCase.id == Action.case_id).join(responsible, responsible.id == Action.responsible_id)
        .where(open_action),
        select(literal("action"), Action.id, Action.due_date, literal("escalated"), responsible.manager_id,
               CareCase.number, responsible.role, responsible.organisation_id, literal(now, SweepNotice.created_at.type))
        .join(CareCase, CareCase.id == Action.case_id).join(responsible, responsible.id == Action.responsible_id)
        .where(open_action, Action.due_date < escalate_before, responsible.manager_id != None),  # noqa: E711
        select(literal("sip_follow_up"), Sip.id, Sip.next_follow_up, klass(Sip.next_follow_up), responsible.id,
               CareCase.number, responsible.role, responsible.organisation_id, literal(now, SweepNotice.created_at.type))
        .join(CareCase, CareCase.id == Sip.case_id).join(responsible, responsible.id == Sip.coordinator_id)
        .where(live_sip),
        select(literal("sip_follow_up"), Sip.id, Sip.next_follow_up, literal("escalated"), responsible.manager_id,
               CareCase.number, responsible.role, responsible.organisation_id, literal(now, SweepNotice.created_at.type))
        .join(CareCase, CareCase.id == Sip.case_id).join(responsible, responsible.id == Sip.coordinator_id)
        .where(live_sip, Sip.next_follow_up < escalate_before, responsible.manager_id != None),  # noqa: E711
    ]
    columns = ["item_kind", "item_id", "due_date", "klass", "recipient_id", "case_number", "responsible_role",
               "organisation_id", "created_at"]
    new_rows = []
    for source in sources:
        stmt = (insert(SweepNotice).from_select(columns, source)
                .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "due_date", "klass", "recipient_id"])
                .returning(SweepNotice.id, SweepNotice.item_kind, SweepNotice.item_id, SweepNotice.due_date,
                           SweepNotice.klass, SweepNotice.recipient_id, SweepNotice.case_number,
                           SweepNotice.responsible_role, SweepNotice.organisation_id))
        new_rows += session.execute(stmt).all()

    result = SweepResult(deviations=_record_deviations(session, insert, responsible, open_action, live_sip,
                                                       escalate_before, now))
    result.escalations_without_manager = sorted(set(session.execute(
        select(Deviation.case_number).where(Deviation.manager_id == None,  # noqa: E711
                                            Deviation.detected_at == now)).scalars()))

    per_recipient: dict[int, list] = defaultdict(list)
    for row in new_rows:
        per_recipient[row.recipient_id].append(row)
    digests = []
    for recipient_id, rows in sorted(per_recipient.items()):
        items = [templates.DigestItem(r.item_kind, r.item_id, r.case_number, r.due_date, r.klass,
                                      r.responsible_role) for r in rows]
        key = f"digest:{recipient_id}:{today.isoformat()}:{min(r.id for r in rows)}"
        digests.append((key, templates.digest(items), recipient_id, None))
    enqueue_many(session, digests, now=now)

    labels = {o.id: f"{o.code} ({o.unit_type})" for o in session.execute(select(Organisation)).scalars()}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASSES, 0))
    cases: dict[str, set[str]] = defaultdict(set)
    for row in new_rows:
        label = labels.get(row.organisation_id, str(row.organisation_id))
        counts[label][row.klass] += 1
        cases[label].add(row.case_number)
    result.items = len(new_rows)
    result.digests = len(digests)
    result.digest_keys = [d[0] for d in digests]
    result.by_organisation = dict(counts)
    result.cases_by_organisation = {k: sorted(v) for k, v in cases.items()}
    result.db_seconds = time.perf_counter() - started
    return result


def _record_deviations(session, insert, responsible, open_action, live_sip, escalate_before, now) -> int:
    """An agreed action or follow-up missed past the grace period is a deviation (avvikelse)
    for the responsible member's manager; recorded once per item and due date."""
    total = 0
    for source in (
        select(literal("action"), Action.id, Action.due_date, CareCase.number, responsible.id,
               responsible.manager_id, literal(now, Deviation.detected_at.type))
        .join(CareCase, CareCase.id == Action.case_id).join(responsible, responsible.id == Action.responsible_id)
        .where(open_action, Action.due_date < escalate_before),
        select(literal("sip_follow_up"), Sip.id, Sip.next_follow_up, CareCase.number, responsible.id,
               responsible.manager_id, literal(now, Deviation.detected_at.type))
        .join(CareCase, CareCase.id == Sip.case_id).join(responsible, responsible.id == Sip.coordinator_id)
        .where(live_sip, Sip.next_follow_up < escalate_before),
    ):
        stmt = (insert(Deviation).from_select(
            ["item_kind", "item_id", "due_date", "case_number", "responsible_id", "manager_id", "detected_at"], source)
            .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "due_date"]).returning(Deviation.id))
        total += len(session.execute(stmt).all())
    return total
