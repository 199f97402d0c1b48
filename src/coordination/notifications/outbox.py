"""The transactional outbox.

A notification is a row written in the same transaction as the state change that causes it,
under a unique key derived from the business event. Writing the same event twice is a
no-op, so retried flows never queue a second message."""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Iterable, Sequence, Set

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from coordination.domain.calendar import local_date
from coordination.domain.vocabulary import OutboxStatus
from coordination.notifications import templates
from coordination.notifications.templates import Draft, Message
from coordination.persistence.models import CareCase, ConsentCoverage, Member, Outbox, SweepNotice

WAITING = (OutboxStatus.PENDING, OutboxStatus.NO_TARGET, OutboxStatus.FAILED)  # not sent, may still be
# Messages about a case that go out whatever the consent says: the participants are told that a
# consent was withdrawn (that is why it no longer covers them), and a manager is told that a
# deviation concerns their unit (the case number only, so the unit can act on its own part).
TOLD_WITHOUT_CONSENT = frozenset({"consent_withdrawn", "deviation_unit"})
_SIGNIN = re.compile(r"(/signin/)[^\s<>\"']+")


def event_key(*parts: object) -> str:
    return ":".join(str(p) for p in parts)


def _locales(session: Session, member_ids) -> dict[int, str]:
    ids = {m for m in member_ids if m is not None}
    return dict(session.execute(select(Member.id, Member.locale).where(col(Member.id).in_(ids))).all()) if ids else {}


def _in_language(message: Message | Draft, locale: str | None) -> Message:
    return message.message(locale) if isinstance(message, Draft) else message


def enqueue(session: Session, *, key: str, message: Message | Draft, member_id: int | None,
            case_number: str | None, now: dt.datetime, target: str | None = None) -> bool:
    """Queue one message for a member (or, with `target`, for a channel such as
    'tag:operations'); True if it is new, False if this event was already queued. A draft
    is written in the member's language."""
    message = _in_language(message, _locales(session, [member_id]).get(member_id))
    values = dict(key=key, kind=message.kind, member_id=member_id, target=target, case_number=case_number,
                  subject=message.subject, body=message.body, attachment_name=message.attachment_name,
                  attachment=message.attachment, status=OutboxStatus.PENDING, attempts=0,
                  created_at=now, next_attempt_at=now)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=["key"])
            .returning(Outbox.id))  # rowcount is not reliable here across drivers
    return session.execute(stmt).scalar_one_or_none() is not None


def enqueue_many(session: Session, rows: Sequence[tuple[str, Message | Draft, int | None, str | None]],
                 *, now: dt.datetime) -> None:
    """Queue many messages (key, message, member id, case number) in one statement; drafts in
    each member's language."""
    if not rows:
        return
    locales = _locales(session, [r[2] for r in rows])
    rows = [(key, _in_language(m, locales.get(member_id)), member_id, case) for key, m, member_id, case in rows]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [dict(key=key, kind=m.kind, member_id=member_id, case_number=case_number, subject=m.subject,
                   body=m.body, attachment_name=m.attachment_name, attachment=m.attachment,
                   status=OutboxStatus.PENDING, attempts=0, created_at=now, next_attempt_at=now)
              for key, m, member_id, case_number in rows]
    # executemany of one compiled statement: a multi-row VALUES clause would be compiled anew
    # for every batch size, which costs more than the insert itself
    session.execute(insert(Outbox).on_conflict_do_nothing(index_elements=["key"]), values)


def without_links(body: str) -> str:
    """A sign-in message with its one-time link taken out: what stays at rest holds no secret."""
    return _SIGNIN.sub(lambda m: m.group(1) + "…", body)


def covered_organisations(session: Session, person_ids, *, on: dt.date) -> dict[int, set[int]]:
    """Per person, the organisations a consent lets share on `on` (the derived coverage rows)."""
    covered: dict[int, set[int]] = {person_id: set() for person_id in person_ids}
    for person_id, org_id in session.execute(select(ConsentCoverage.person_id, ConsentCoverage.organisation_id).where(
            col(ConsentCoverage.person_id).in_(set(person_ids)), col(ConsentCoverage.valid_from) <= on,
            or_(col(ConsentCoverage.valid_until) == None, col(ConsentCoverage.valid_until) >= on))):  # noqa: E711
        covered[person_id].add(org_id)
    return covered


CONSENT_GONE = "the consent no longer covers the recipient's organisation when the message was to be sent"


def uncovered(session: Session, rows: list[Outbox], *, now: dt.datetime) -> dict[int, set[str]]:
    """Which queued messages may no longer go to their member now, in a few queries for a whole
    batch: row id -> the case numbers it tells about that the consent no longer covers for the
    member's organisation (expired, withdrawn, or a guardian's consent after the 18th birthday).
    A digest about other cases too loses only those lines; any other such message is cancelled."""
    asked = [r for r in rows if r.member_id is not None and r.kind not in TOLD_WITHOUT_CONSENT]
    numbers: dict[int, set[str]] = {r.id: {r.case_number} for r in asked if r.kind != "digest" and r.case_number}
    digests = {r.key: r.id for r in asked if r.kind == "digest"}
    if digests:
        for key, number in session.execute(select(SweepNotice.digest_key, SweepNotice.case_number)
                                           .where(col(SweepNotice.digest_key).in_(digests))):
            numbers.setdefault(digests[key], set()).add(number)
    if not numbers:
        return {}
    everything = set().union(*numbers.values())
    persons = dict(session.execute(select(CareCase.number, CareCase.person_id)
                                   .where(col(CareCase.number).in_(everything))).all())
    covered = covered_organisations(session, set(persons.values()), on=local_date(now))
    member_ids = {r.member_id for r in asked}
    orgs = dict(session.execute(select(Member.id, Member.organisation_id).where(col(Member.id).in_(member_ids))).all())
    by_id = {r.id: r for r in asked}
    lost = {}
    for row_id, told in numbers.items():
        org = orgs[by_id[row_id].member_id]
        if gone := {n for n in told if n in persons and org not in covered[persons[n]]}:
            lost[row_id] = gone
    return lost


def trim_digest(session: Session, digest: Outbox, numbers: set[str], *, reason: str) -> None:
    """A digest not yet sent loses its lines about `numbers`, or is cancelled with `reason` when
    nothing else is left."""
    rest = session.execute(select(SweepNotice).where(col(SweepNotice.digest_key) == digest.key,
                                                     col(SweepNotice.case_number).not_in(numbers))
                           .order_by(col(SweepNotice.id))).scalars().all()
    if rest:
        locale = session.get(Member, digest.member_id).locale
        message = templates.digest([templates.DigestItem(n.item_kind, n.item_id, n.case_number, n.due_date,
                                                         n.klass, n.responsible_role) for n in rest]).message(locale)
        digest.subject, digest.body = message.subject, message.body
    else:
        digest.status, digest.cancel_reason = OutboxStatus.CANCELLED, reason
    # a notice names the digest that tells it: the lines taken out are told by none, so neither the
    # audit of who was told (written when the digest is sent) nor a later trim counts them
    session.execute(update(SweepNotice).where(col(SweepNotice.digest_key) == digest.key,
                                              col(SweepNotice.case_number).in_(numbers)).values(digest_key=None))
    session.add(digest)


def cancel(session: Session, row_id: int, *, reason: str, token: str | None = None) -> bool:
    """Cancel a message not yet sent (fenced by a delivery's claim `token` when given)."""
    stmt = update(Outbox).where(col(Outbox.id) == row_id, col(Outbox.status) != OutboxStatus.SENT)
    if token is not None:
        stmt = stmt.where(col(Outbox.claim_token) == token)
    return session.execute(stmt.values(status=OutboxStatus.CANCELLED, cancel_reason=reason, claim_token=None)
                           .returning(Outbox.id)).first() is not None


def expire_signin_messages(session: Session, *, now: dt.datetime) -> int:
    """Sign-in messages not delivered while their link was valid are cancelled, and the link is
    taken out of the stored body: no live secret stays at rest."""
    rows = session.execute(select(Outbox).where(
        col(Outbox.kind) == "signin_link", col(Outbox.status).in_(WAITING),
        col(Outbox.created_at) <= now - templates.SIGNIN_LINK_LIFETIME)).scalars().all()
    for row in rows:
        row.status, row.cancel_reason = OutboxStatus.CANCELLED, "the sign-in link expired before it was delivered"
        row.body = without_links(row.body)
        session.add(row)
    return len(rows)


def record_unroutable(session: Session, *, key: str, kind: str, case_number: str | None, reason: str,
                      now: dt.datetime, member_id: int | None = None) -> bool:
    """An event that promises to tell someone found no one it may tell: kept (with the reason, and
    no message text) so that `coordination outbox` and the operations alert show it, never sent."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(Outbox).values(key=key, kind=kind, member_id=member_id, case_number=case_number, subject=kind,
                                  body="", status=OutboxStatus.UNROUTABLE, attempts=0, cancel_reason=reason,
                                  created_at=now, next_attempt_at=now)
            .on_conflict_do_nothing(index_elements=["key"]).returning(Outbox.id))
    return session.execute(stmt).scalar_one_or_none() is not None


NOBODY_COVERED = "the consent covers none of the organisations of those to be told"


def tell_members(session: Session, recipients: list[tuple[int, bool]], *, key: tuple, message: Message | Draft,
                 case_number: str, now: dt.datetime) -> int:
    """Queue `message` for each (member id, may be told) recipient that may be told; when none
    may, the event is recorded as unroutable rather than lost in silence. Returns how many."""
    told = 0
    for member_id, allowed in recipients:
        if allowed:
            told += enqueue(session, key=event_key(*key, member_id), message=message, member_id=member_id,
                            case_number=case_number, now=now)
    if recipients and not any(allowed for _, allowed in recipients):
        record_unroutable(session, key=event_key(*key, "nobody"), kind=message.kind, case_number=case_number,
                          reason=NOBODY_COVERED, now=now)
    return told


def alert_unroutable(session: Session, *, target: str, now: dt.datetime) -> int:
    """Tell operations, once, about the events recorded as unroutable since the last alert: their
    kinds and counts, never a case number. Returns how many rows the alert covers."""
    rows = session.execute(select(Outbox.id, Outbox.kind).where(
        col(Outbox.status) == OutboxStatus.UNROUTABLE, col(Outbox.attempts) == 0).order_by(col(Outbox.id))).all()
    if not rows:
        return 0
    kinds: dict[str, int] = {}
    for _, kind in rows:
        kinds[kind] = kinds.get(kind, 0) + 1
    ids = [row_id for row_id, _ in rows]
    listed = ", ".join(f"{kind} x{n}" for kind, n in sorted(kinds.items()))
    enqueue(session, key=f"ops:unroutable:{ids[0]}:{ids[-1]}", member_id=None, target=target, case_number=None,
            now=now, message=Message("operations_alert", f"{len(ids)} notification(s) could not be routed",
                                     f"{len(ids)} event(s) that promise to tell someone found no one they may tell "
                                     f"({listed}). `coordination outbox --status unroutable` lists them with the "
                                     "reason; fix the reason (a manager, a consent) and the next events reach "
                                     "their recipients."))
    session.execute(update(Outbox).where(col(Outbox.id).in_(ids)).values(attempts=1))
    return len(ids)


def cancel_uncovered(session: Session, person_id: int, *, now: dt.datetime, reason: str) -> int:
    """Withdrawal takes effect at once: pending messages about the person's cases to members
    whose organisation no consent covers any more are cancelled, and pending digests lose those
    cases' lines (or are cancelled when nothing else is left). Returns the rows changed."""
    numbers = set(session.scalars(select(col(CareCase.number)).where(col(CareCase.person_id) == person_id)).all())
    if not numbers:
        return 0
    covered = covered_organisations(session, [person_id], on=local_date(now))[person_id]
    changed = 0
    # the rows' column types, as Result.tuples() gave them before SQLAlchemy 2.1 deprecated it
    waiting = typing.cast("Iterable[tuple[Outbox, int]]", session.execute(
        select(Outbox, col(Member.organisation_id)).join(Member, col(Member.id) == Outbox.member_id)
        .where(col(Outbox.case_number).in_(numbers), col(Outbox.status).in_(WAITING),
               col(Outbox.kind).not_in(TOLD_WITHOUT_CONSENT))))
    for row, org_id in waiting:
        if org_id not in covered:
            row.status, row.cancel_reason = OutboxStatus.CANCELLED, reason
            session.add(row)
            changed += 1
    for digest in pending_digests_about(session, numbers, excluding_organisations=covered):
        trim_digest(session, digest, numbers, reason=reason)
        changed += 1
    return changed


def pending_digests_about(session: Session, case_numbers: set[str], *,
                          excluding_organisations: Set[int] = frozenset()) -> list[Outbox]:
    """The digests not yet sent that tell about any of these cases (each notice names its
    digest), optionally only those to members outside the given organisations."""
    keys = (select(col(SweepNotice.digest_key)).join(Member, col(Member.id) == SweepNotice.recipient_id)
            .where(col(SweepNotice.case_number).in_(case_numbers),
                   col(Member.organisation_id).not_in(excluding_organisations or {-1})))
    return list(session.scalars(select(Outbox).where(col(Outbox.key).in_(keys), col(Outbox.status).in_(WAITING))
                             .order_by(col(Outbox.id))).all())
