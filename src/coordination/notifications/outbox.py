"""The transactional outbox.

A notification is a row written in the same transaction as the state change that causes it,
under a unique key derived from the business event. Writing the same event twice is a
no-op, so retried flows never queue a second message."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from coordination.domain.vocabulary import OutboxStatus
from sqlalchemy import select

from coordination.notifications.templates import Draft, Message
from coordination.persistence.models import Member, Outbox


def event_key(*parts: object) -> str:
    return ":".join(str(p) for p in parts)


def _locales(session: Session, member_ids) -> dict[int, str]:
    ids = {m for m in member_ids if m is not None}
    return dict(session.execute(select(Member.id, Member.locale).where(Member.id.in_(ids))).all()) if ids else {}


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


def enqueue_many(session: Session, rows: list[tuple[str, Message | Draft, int | None, str | None]],
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
