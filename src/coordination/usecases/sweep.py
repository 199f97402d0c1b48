"""The follow-up sweep: find what is due soon, due today, overdue and overdue past the grace
period; record deviations; queue one digest per recipient.

Set-based on purpose: a region holds a million open actions, so the database finds what is
due with indexed range queries and writes the notices with INSERT ... SELECT. Each notice
row is unique per business event (item, due date, class, recipient), and the digest goes to
the outbox in the same transaction, so a second sweep sends nothing new."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import String, and_, case, cast, exists, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session

from coordination.config.notifications import SweepPolicy
from coordination.domain.calendar import add_working_days, local_date
from coordination.domain.vocabulary import ActionStatus, CaseStatus
from coordination.notifications import templates
from coordination.notifications.outbox import enqueue_many
from coordination.persistence.models import (
    Action, CareCase, ConsentCoverage, Deviation, Member, Organisation, Sip, SweepNotice,
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
    digest_suffix: str = ""  # what every digest key of this run ends with: finds them without a list
    db_seconds: float = 0.0


def sweep(session: Session, *, now: dt.datetime, policy: SweepPolicy) -> SweepResult:
    today = local_date(now)
    soon_until = add_working_days(today, policy.due_soon_working_days)
    escalate_before = add_working_days(today, -policy.escalation_grace_working_days)
    started = time.perf_counter()  # the database work starts here
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert

    sources, due = item_sources(today, soon_until, escalate_before, now)
    columns = ["item_kind", "item_id", "due_date", "klass", "recipient_id", "case_number", "responsible_role",
               "organisation_id", "created_at", "digest_key"]
    # Each notice names the digest that tells it, so pending digests about a case can be found.
    # The key needs no notice ids: the notices are what make a sweep idempotent, and a run that
    # inserts none queues no digest, so a per-run suffix keeps keys unique.
    suffix = f":{today.isoformat()}:{secrets.token_hex(4)}"
    due_items = union_all(*sources).subquery()
    recipient = list(due_items.c)[4]
    rows = (select(*due_items.c, (literal("digest:") + cast(recipient, String) + literal(suffix)).label("digest_key"))
            .where(recipient != None))  # noqa: E711  (SQLite's INSERT ... SELECT ... ON CONFLICT needs a WHERE)
    # one statement for all four sources: each statement costs a compile on a fresh process
    stmt = (insert(SweepNotice).from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "due_date", "klass", "recipient_id"])
            # the first six columns in DigestItem's order, so a row becomes an item with no lookups
            .returning(SweepNotice.item_kind, SweepNotice.item_id, SweepNotice.case_number, SweepNotice.due_date,
                       SweepNotice.klass, SweepNotice.responsible_role, SweepNotice.id, SweepNotice.recipient_id,
                       SweepNotice.organisation_id))
    new_rows = [tuple(r) for r in session.connection().execute(stmt).fetchall()]  # core path, one fetch

    deviations = _record_deviations(session, insert, due.responsible, due.open_action, due.live_sip,
                                    escalate_before, now,
                                    covered(CareCase.person_id, due.responsible.organisation_id, today))
    result = SweepResult(deviations=len(deviations),
                         escalations_without_manager=sorted({d.case_number for d in deviations
                                                             if d.manager_id is None}))

    per_recipient: dict[int, list] = defaultdict(list)
    for row in new_rows:
        per_recipient[row[7]].append(templates.DigestItem._make(row[:6]))
    digests = [(f"digest:{recipient_id}{suffix}", templates.digest(items), recipient_id, None)
               for recipient_id, items in sorted(per_recipient.items())]
    enqueue_many(session, digests, now=now)

    labels = {o.id: f"{o.code} ({o.unit_type})" for o in session.execute(select(Organisation)).scalars()}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASSES, 0))
    cases: dict[str, set[str]] = defaultdict(set)
    for row in new_rows:
        label = labels.get(row[8], str(row[8]))
        counts[label][row[4]] += 1
        cases[label].add(row[2])
    result.items = len(new_rows)
    result.digests = len(digests)
    result.digest_keys = [d[0] for d in digests]
    result.digest_suffix = suffix
    result.by_organisation = dict(counts)
    result.cases_by_organisation = {k: sorted(v) for k, v in cases.items()}
    result.db_seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class DueTerms:
    responsible: object
    open_action: object
    live_sip: object


def item_sources(today: dt.date, soon_until: dt.date, escalate_before: dt.date, now: dt.datetime,
                 recipient_id: int | None = None) -> tuple[list, DueTerms]:
    """The four selects of what is due (actions and SIP follow-ups, to the responsible member and,
    past the grace period, to their manager), each yielding the notice columns in SweepNotice
    order; only those the access policy lets be told. With `recipient_id`, one member's items:
    the workspace's start page asks the same question as the sweep."""
    responsible, manager = aliased(Member), aliased(Member)
    open_action = and_(Action.status.in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]),
                       Action.due_date != None, Action.due_date <= soon_until)  # noqa: E711
    live_sip = and_(Sip.current == True, CareCase.status.in_([CaseStatus.PLANNED, CaseStatus.ACTIVE]),  # noqa: E712
                    Sip.next_follow_up <= soon_until)

    def klass(due):
        return case((due < today, "overdue"), (due == today, "due_today"), else_="due_soon")

    stamp = literal(now, SweepNotice.created_at.type)

    def only(recipient):
        return [recipient.id == recipient_id] if recipient_id is not None else []

    def told(recipient):
        # the access policy for notifications, set-based: an active member whose organisation a
        # consent covers today (the coverage rows come from the same consent rules)
        return and_(recipient.active == True, covered(CareCase.person_id, recipient.organisation_id, today))  # noqa: E712

    def from_actions(klass_expr, recipient, *where):
        query = (select(literal("action"), Action.id, Action.due_date, klass_expr, recipient.id, CareCase.number,
                        responsible.role, responsible.organisation_id, stamp)
                 .join(CareCase, CareCase.id == Action.case_id)
                 .join(responsible, responsible.id == Action.responsible_id))
        if recipient is manager:
            query = query.join(manager, manager.id == responsible.manager_id)
        return query.where(open_action, told(recipient), *only(recipient), *where)

    def from_sips(klass_expr, recipient, *where):
        query = (select(literal("sip_follow_up"), Sip.id, Sip.next_follow_up, klass_expr, recipient.id,
                        CareCase.number, responsible.role, responsible.organisation_id, stamp)
                 .join(CareCase, CareCase.id == Sip.case_id)
                 .join(responsible, responsible.id == Sip.coordinator_id))
        if recipient is manager:
            query = query.join(manager, manager.id == responsible.manager_id)
        return query.where(live_sip, told(recipient), *only(recipient), *where)

    sources = [  # each yields the notice columns in SweepNotice order
        from_actions(klass(Action.due_date), responsible),
        from_actions(literal("escalated"), manager, Action.due_date < escalate_before),
        from_sips(klass(Sip.next_follow_up), responsible),
        from_sips(literal("escalated"), manager, Sip.next_follow_up < escalate_before),
    ]
    return sources, DueTerms(responsible, open_action, live_sip)


def covered(person_id, organisation_id, today):
    return exists().where(ConsentCoverage.person_id == person_id, ConsentCoverage.organisation_id == organisation_id,
                          ConsentCoverage.valid_from <= today,
                          or_(ConsentCoverage.valid_until == None, ConsentCoverage.valid_until >= today))  # noqa: E711


def _record_deviations(session, insert, responsible, open_action, live_sip, escalate_before, now, in_consent) -> list:
    """An agreed action or follow-up missed past the grace period is a deviation (avvikelse)
    for the responsible member's manager; recorded once per item and due date, and only while
    a consent covers the responsible member's organisation."""
    actions = (select(literal("action"), Action.id, Action.due_date, CareCase.number, responsible.id,
                      responsible.manager_id, literal(now, Deviation.detected_at.type))
               .join(CareCase, CareCase.id == Action.case_id).join(responsible, responsible.id == Action.responsible_id)
               .where(open_action, Action.due_date < escalate_before, in_consent))
    follow_ups = (select(literal("sip_follow_up"), Sip.id, Sip.next_follow_up, CareCase.number, responsible.id,
                         responsible.manager_id, literal(now, Deviation.detected_at.type))
                  .join(CareCase, CareCase.id == Sip.case_id).join(responsible, responsible.id == Sip.coordinator_id)
                  .where(live_sip, Sip.next_follow_up < escalate_before, in_consent))
    stmt = (insert(Deviation).from_select(
        ["item_kind", "item_id", "due_date", "case_number", "responsible_id", "manager_id", "detected_at"],
        union_all(actions, follow_ups))
        .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "due_date"])
        .returning(Deviation.case_number, Deviation.manager_id))
    return session.connection().execute(stmt).all()
