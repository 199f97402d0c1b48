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
import typing
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select as sqlmodel_select

from coordination.config.notifications import SweepPolicy
from coordination.domain.calendar import add_working_days, local_date
from coordination.domain.vocabulary import ActionStatus, CaseStatus, NoticeClass, OutboxStatus
from coordination.notifications import templates
from coordination.notifications.outbox import enqueue_many
from coordination.persistence.types import UTCDateTime
from coordination.persistence.models import (
    Action, CareCase, ConsentCoverage, Deviation, Member, Organisation, Outbox, Sip, SweepNotice,
)

CLASSES = tuple(NoticeClass)


MAX_LISTED = 200  # case numbers listed per organisation in a result: its size must not grow with the items
DIGESTS_PER_WRITE = 200  # digests written at a time while the notices stream past
ITEMS_PER_WRITE = 20_000  # or fewer, when they hold this many items: with 2,000 items a recipient,
# 200 digests held 400k items and their text at once, and the sweep's memory grew with what was due
# (a digest now keeps only the items it lists, so this bounds the digests' lines)


@dataclass
class SweepResult:
    items: int = 0
    digests: int = 0
    deviations: int = 0
    escalations_without_manager: list[str] = field(default_factory=list)  # case numbers, at most MAX_LISTED
    # organisation label -> class -> count
    by_organisation: dict[str, dict[str, int]] = field(default_factory=dict)
    # organisation label -> {"count": cases told, "listed": the first MAX_LISTED case numbers}
    cases_by_organisation: dict[str, dict] = field(default_factory=dict)
    digest_suffix: str = ""  # what every digest key of this run ends with: finds them without a list
    db_seconds: float = 0.0


def sweep(session: Session, *, now: dt.datetime, policy: SweepPolicy, suffix: str | None = None) -> SweepResult:
    """`suffix` is for tests that compare two databases; a run draws its own."""
    today = local_date(now)
    soon_until = add_working_days(today, policy.due_soon_working_days)
    escalate_before = add_working_days(today, -policy.escalation_grace_working_days)
    started = time.perf_counter()  # the database work starts here
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    connection = session.connection()

    sources, due = item_sources(today, soon_until, escalate_before, now)
    columns = ["item_kind", "item_id", "due_date", "klass", "recipient_id", "case_number", "responsible_role",
               "organisation_id", "created_at", "digest_key"]
    # Each notice names the digest that tells it, so pending digests about a case can be found.
    # The key needs no notice ids: the notices are what make a sweep idempotent, and a run that
    # inserts none queues no digest, so a per-run suffix keeps keys unique.
    suffix = suffix or f":{today.isoformat()}:{secrets.token_hex(4)}"
    due_items = union_all(*sources).subquery()
    c = list(due_items.c)
    # "Told before?" is the unique index's own probe (ON CONFLICT DO NOTHING), one per due item,
    # whatever the statistics say. A NOT EXISTS anti-join here let PostgreSQL plan a nested loop
    # over a sequential scan of the very table this INSERT fills when the table was empty and
    # vacuumed (a new region's first sweep, or after a purge): quadratic, 189 s at 100k due.
    rows = (select(*c, (literal("digest:") + cast(c[4], String) + literal(suffix)).label("digest_key"))
            .where(c[4] != None))  # noqa: E711  (a WHERE also keeps SQLite's parser from reading ON CONFLICT as a join's)
    stmt = (insert(SweepNotice).from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "due_date", "klass", "recipient_id"]))
    connection.execute(stmt)

    deviations, without_manager = _record_deviations(session, insert, due.responsible, due.open_action,
                                                     due.live_sip, escalate_before, now,
                                                     covered(col(CareCase.person_id), due.responsible.organisation_id,
                                                             today))
    result = SweepResult(deviations=deviations, escalations_without_manager=without_manager, digest_suffix=suffix)
    this_run = and_(col(SweepNotice.created_at) == now, col(SweepNotice.digest_key).endswith(suffix))
    result.items, result.digests = _queue_digests(session, this_run, suffix, now)
    result.by_organisation, result.cases_by_organisation = _counts(session, this_run)
    result.db_seconds = time.perf_counter() - started
    return result


def _queue_digests(session: Session, this_run, suffix: str, now: dt.datetime) -> tuple[int, int]:
    """One digest per recipient, built while this run's notices stream past in recipient order:
    memory holds the items a digest lists (templates.DigestItems) and the digests not yet written
    (at most DIGESTS_PER_WRITE, and no more items than ITEMS_PER_WRITE), however many are due."""
    stmt = (select(col(SweepNotice.item_kind), col(SweepNotice.item_id), col(SweepNotice.case_number), col(SweepNotice.due_date),
                   col(SweepNotice.klass), col(SweepNotice.responsible_role), col(SweepNotice.recipient_id))
            .where(this_run).order_by(col(SweepNotice.recipient_id), col(SweepNotice.id)))
    items = digests = held = 0
    batch: list = []
    current: int | None = None
    lines = templates.DigestItems()

    def close_digest() -> None:
        nonlocal digests, held
        if lines.total:
            batch.append((f"digest:{current}{suffix}", templates.digest(lines), current, None))
            digests, held = digests + 1, held + min(lines.total, templates.DIGEST_LINES)

    # a server-side cursor on PostgreSQL; the digests are written on the same connection meanwhile
    stream = session.connection().execute(stmt.execution_options(stream_results=True, yield_per=2000))
    for row in stream:
        if row[6] != current:
            close_digest()
            if len(batch) >= DIGESTS_PER_WRITE or held >= ITEMS_PER_WRITE:
                enqueue_many(session, batch, now=now)
                batch, held = [], 0
            current, lines = row[6], templates.DigestItems()
        lines.add(templates.DigestItem._make(row[:6]))
        items += 1
    close_digest()
    enqueue_many(session, batch, now=now)
    return items, digests


def _counts(session: Session, this_run) -> tuple[dict, dict]:
    labels = {o.id: f"{o.code} ({o.unit_type})" for o in session.exec(sqlmodel_select(Organisation))}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASSES, 0))
    # the rows' column types, as Result.tuples() gave them before SQLAlchemy 2.1 deprecated it
    by_class = typing.cast("Iterable[tuple[int, str, int]]", session.execute(
        select(col(SweepNotice.organisation_id), col(SweepNotice.klass), func.count()).where(this_run)
        .group_by(col(SweepNotice.organisation_id), col(SweepNotice.klass))))
    for organisation_id, klass, n in by_class:
        counts[labels.get(organisation_id, str(organisation_id))][klass] = n
    cases: dict[str, dict] = {}
    by_organisation = typing.cast("Iterable[tuple[int, int]]", session.execute(
        select(col(SweepNotice.organisation_id), func.count(col(SweepNotice.case_number).distinct())).where(this_run)
        .group_by(col(SweepNotice.organisation_id))))
    for organisation_id, n in by_organisation:
        listed: Sequence[str] = session.execute(select(col(SweepNotice.case_number)).distinct()
                                                .where(this_run, col(SweepNotice.organisation_id) == organisation_id)
                                                .order_by(col(SweepNotice.case_number)).limit(MAX_LISTED)
                                                ).scalars().all()
        cases[labels.get(organisation_id, str(organisation_id))] = {"count": n, "listed": listed}
    return dict(counts), cases


@dataclass(frozen=True)
class DueTerms:
    responsible: type[Member]  # aliased(Member): the responsible member, beside the manager
    open_action: object
    live_sip: object


def item_sources(today: Any, soon_until: Any, escalate_before: Any, now: Any,
                 recipient_id: Any = None) -> tuple[list, DueTerms]:
    """The four selects of what is due (actions and SIP follow-ups, to the responsible member and,
    past the grace period, to their manager), each yielding the notice columns in SweepNotice
    order; only those the access policy lets be told. With `recipient_id`, one member's items:
    the workspace's start page asks the same question as the sweep. Each value may be a
    `bindparam` instead, so a statement built once serves every request."""
    responsible, manager = aliased(Member), aliased(Member)
    open_action = and_(col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]),
                       col(Action.due_date) != None, col(Action.due_date) <= soon_until)  # noqa: E711
    live_sip = and_(col(Sip.current) == True, col(CareCase.status).in_([CaseStatus.PLANNED, CaseStatus.ACTIVE]),  # noqa: E712
                    col(Sip.next_follow_up) <= soon_until)

    def klass(due):
        return case((due < today, "overdue"), (due == today, "due_today"), else_="due_soon")

    stamp = now if isinstance(now, BindParameter) else literal(now, UTCDateTime())

    def only(recipient):
        return [recipient.id == recipient_id] if recipient_id is not None else []

    def told(recipient):
        # the access policy for notifications, set-based: an active member whose organisation a
        # consent covers today (the coverage rows come from the same consent rules)
        return and_(recipient.active == True, covered(col(CareCase.person_id), recipient.organisation_id, today))  # noqa: E712

    def from_actions(klass_expr, recipient, *where):
        query = (select(literal("action"), col(Action.id), col(Action.due_date), klass_expr, recipient.id, col(CareCase.number),
                        responsible.role, responsible.organisation_id, stamp)
                 .join(CareCase, col(CareCase.id) == col(Action.case_id))
                 .join(responsible, responsible.id == col(Action.responsible_id)))
        if recipient is manager:
            query = query.join(manager, manager.id == responsible.manager_id)
        return query.where(open_action, told(recipient), *only(recipient), *where)

    def from_sips(klass_expr, recipient, *where):
        query = (select(literal("sip_follow_up"), col(Sip.id), col(Sip.next_follow_up), klass_expr, recipient.id,
                        col(CareCase.number), responsible.role, responsible.organisation_id, stamp)
                 .join(CareCase, col(CareCase.id) == col(Sip.case_id))
                 .join(responsible, responsible.id == col(Sip.coordinator_id)))
        if recipient is manager:
            query = query.join(manager, manager.id == responsible.manager_id)
        return query.where(live_sip, told(recipient), *only(recipient), *where)

    sources = [  # each yields the notice columns in SweepNotice order
        from_actions(klass(col(Action.due_date)), responsible),
        from_actions(literal("escalated"), manager, col(Action.due_date) < escalate_before),
        from_sips(klass(col(Sip.next_follow_up)), responsible),
        from_sips(literal("escalated"), manager, col(Sip.next_follow_up) < escalate_before),
    ]
    return sources, DueTerms(responsible, open_action, live_sip)


def covered(person_id, organisation_id, today):
    return exists().where(col(ConsentCoverage.person_id) == person_id, col(ConsentCoverage.organisation_id) == organisation_id,
                          col(ConsentCoverage.valid_from) <= today,
                          or_(col(ConsentCoverage.valid_until) == None, col(ConsentCoverage.valid_until) >= today))  # noqa: E711


NO_MANAGER = "the responsible member has no manager: set `manager` in the import file"


def _record_deviations(session, insert, responsible, open_action, live_sip, escalate_before, now,
                       in_consent) -> tuple[int, list[str]]:
    """An agreed action or follow-up missed past the grace period is a deviation (avvikelse)
    for the responsible member's manager; recorded once per item and due date, and only while
    a consent covers the responsible member's organisation. Returns how many were new, and the
    first case numbers among them whose responsible member has no manager."""
    actions = (select(literal("action"), col(Action.id), col(Action.due_date), col(CareCase.number), responsible.id,
                      responsible.manager_id, literal(now, UTCDateTime()))
               .join(CareCase, col(CareCase.id) == col(Action.case_id)).join(responsible, responsible.id == col(Action.responsible_id))
               .where(open_action, col(Action.due_date) < escalate_before, in_consent))
    follow_ups = (select(literal("sip_follow_up"), col(Sip.id), col(Sip.next_follow_up), col(CareCase.number), responsible.id,
                         responsible.manager_id, literal(now, UTCDateTime()))
                  .join(CareCase, col(CareCase.id) == col(Sip.case_id)).join(responsible, responsible.id == col(Sip.coordinator_id))
                  .where(live_sip, col(Sip.next_follow_up) < escalate_before, in_consent))
    found = union_all(actions, follow_ups).subquery()
    c = list(found.c)
    # recorded before? the unique index's probe, as for the notices (no anti-join to misplan)
    stmt = (insert(Deviation).from_select(
        ["item_kind", "item_id", "due_date", "case_number", "responsible_id", "manager_id", "detected_at"],
        select(*c).where(c[1] != None))  # noqa: E711  (always true: the WHERE is for SQLite's parser)
        .on_conflict_do_nothing(index_elements=["item_kind", "item_id", "due_date"]).returning(col(Deviation.id)))
    new = sum(1 for _ in session.connection().execute(stmt))  # counted as they pass: rowcount is -1 on SQLite
    if not new:
        return 0, []
    # an escalation promises the responsible member's manager: without one nobody would hear of it,
    # so each such deviation is kept as an unroutable message, shown to operators
    orphan = and_(col(Deviation.detected_at) == now, col(Deviation.manager_id) == None)  # noqa: E711
    stamp = literal(now, UTCDateTime())
    session.connection().execute(insert(Outbox).from_select(
        ["key", "kind", "member_id", "case_number", "subject", "body", "status", "attempts", "cancel_reason",
         "created_at", "next_attempt_at"],
        # keyed by what the deviation is about (its unique item and due date), as the sweep's notices are
        select(literal("deviation:") + col(Deviation.item_kind) + literal(":") + cast(col(Deviation.item_id), String)
               + literal(":") + cast(col(Deviation.due_date), String) + literal(":no_manager"), literal("deviation"),
               col(Deviation.responsible_id), col(Deviation.case_number), literal("deviation"), literal(""),
               literal(str(OutboxStatus.UNROUTABLE)), literal(0), literal(NO_MANAGER), stamp, stamp).where(orphan))
        .on_conflict_do_nothing(index_elements=["key"]))
    without_manager = session.execute(select(col(Deviation.case_number)).distinct().where(orphan)
                                      .order_by(col(Deviation.case_number)).limit(MAX_LISTED)).scalars().all()
    return new, list(without_manager)
