"""Signing staff in to the workspace: one-time links (embedded mode), OpenID Connect claims
(production), and server-side sessions that can be revoked.

Tokens are random; the database keeps only their SHA-256, so a copy of the database opens no
session. A sign-in link is also signed (HMAC with the workspace secret), usable once and valid
for 15 minutes; it reaches the member through their own notification channel."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from coordination import settings
from coordination.domain.vocabulary import OutboxStatus
from coordination.errors import AccessDenied, NotFound
from coordination.notifications import templates
from coordination.domain.events import SignInLinkRequested
from coordination.notifications.handlers import publish
from coordination.persistence.models import AppSecret, Member, SignInLink, StaffSession
from coordination.usecases.common import Actor, audit, member_by_code, referenced

LINK_LIFETIME = templates.SIGNIN_LINK_LIFETIME
SEEN_GRANULARITY = dt.timedelta(seconds=30)  # how precisely the idle timeout is kept
# a member gets at most this many links in a window: a flood of requests cannot fill their
# mailbox nor hand out a stock of live links
LINKS_PER_WINDOW, LINK_WINDOW = 3, dt.timedelta(minutes=15)
SESSIONS_PER_MEMBER = 5  # signing in on a sixth device ends the longest-unused session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def workspace_secret(session: Session) -> bytes:
    """COORDINATION_WEB_SECRET, or one made once for this installation and kept in its database."""
    if configured := settings.web_secret():
        return configured.encode()
    row = session.get(AppSecret, "web")
    if row is None:
        row = AppSecret(name="web", value=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return row.value.encode()


def _sign(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:32]


def create_link(session: Session, member: Member, *, now: dt.datetime, next_path: str = "/") -> str:
    """A one-time sign-in URL for the member. The caller decides how it reaches them."""
    if not member.active:
        raise AccessDenied(f"{member.code} is not active", rule="commission", purpose="sign in",
                           record=f"member {member.code}", hint="an administrator re-activates the member",
                           actor_label=member.code, actor_id=member.id, person_id=None)
    # a new link replaces the member's older unused ones: only the latest can be spent
    for older in session.exec(select(SignInLink).where(col(SignInLink.member_id) == member.id,
                                                       col(SignInLink.used_at) == None,  # noqa: E711
                                                       col(SignInLink.expires_at) > now)):
        older.expires_at = now
        session.add(older)
    nonce = secrets.token_urlsafe(24)
    link = SignInLink(token_hash=_digest(nonce), member_id=member.id, created_at=now,
                      expires_at=now + LINK_LIFETIME, next_path=safe_next(next_path))
    session.add(link)
    session.flush()
    token = f"{link.id}.{nonce}.{_sign(workspace_secret(session), f'{link.id}.{nonce}')}"
    return f"{settings.web_url()}/signin/{token}"


def send_link(session: Session, code: str, *, now: dt.datetime, next_path: str = "/") -> str | None:
    """Queue a sign-in link to the member's own channel; returns the outbox key, or None for an
    unknown or inactive code (the page says the same either way, so codes cannot be probed)."""
    try:
        member = member_by_code(session, code.strip())
    except NotFound:
        return None
    if not member.active:
        return None
    recent = session.exec(select(func.count()).select_from(SignInLink).where(
        col(SignInLink.member_id) == member.id, col(SignInLink.created_at) > now - LINK_WINDOW)).one()
    if recent >= LINKS_PER_WINDOW:  # the links already sent still work; the page says the same
        audit(session, Actor(member.code, member.id), "sign_in:throttled", "member", member.code, now=now)
        return None
    url = create_link(session, member, now=now, next_path=next_path)
    link_id = url.rsplit("/", 1)[1].split(".", 1)[0]
    return publish(session, SignInLinkRequested(link_id, member.id, url), now=now)[0]


@dataclass(frozen=True)
class Opened:
    token: str  # the session cookie's value
    member_id: int
    next_path: str


def link_holder(session: Session, token: str, *, now: dt.datetime) -> Member:
    """Whom a valid link would sign in, without spending it: the page a link opens names them
    and asks for the click that signs in (a link scanner's GET spends nothing)."""
    return _valid_link(session, token, now=now)[1]


def _valid_link(session: Session, token: str, *, now: dt.datetime) -> tuple[SignInLink, Member]:
    refused = AccessDenied("the sign-in link is not valid, already used or expired", rule="sign_in_link",
                           purpose="sign in", record="sign-in link", hint="ask for a new link on the sign-in page",
                           actor_label="anonymous", actor_id=None, person_id=None)
    try:
        link_id, nonce, signature = token.split(".")
        link = session.get(SignInLink, int(link_id)) if 0 < int(link_id) < 2**63 else None
    except (ValueError, UnicodeError):
        raise refused from None
    if link is None or not hmac.compare_digest(signature.encode(), _sign(workspace_secret(session),
                                                                         f"{link_id}.{nonce}").encode()) \
            or not hmac.compare_digest(link.token_hash, _digest(nonce)) or link.used_at is not None \
            or link.expires_at <= now:
        raise refused
    member = referenced(session, Member, link.member_id)
    if not member.active:
        raise refused
    return link, member


def redeem_link(session: Session, token: str, *, now: dt.datetime) -> Opened:
    """Exchange a valid, unused, unexpired link for a new session; the link is spent."""
    link, member = _valid_link(session, token, now=now)
    link.used_at = now
    session.add(link)
    opened = open_session(session, member, now=now, how="link")
    return Opened(opened, member.id, link.next_path or "/")


def open_session(session: Session, member: Member, *, now: dt.datetime, how: str) -> str:
    live = session.exec(select(StaffSession).where(col(StaffSession.member_id) == member.id,
                                                   col(StaffSession.revoked_at) == None)  # noqa: E711
                        .order_by(col(StaffSession.last_seen_at))).all()
    for stale in live[:max(0, len(live) - SESSIONS_PER_MEMBER + 1)]:
        stale.revoked_at = now
        session.add(stale)
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(id=_digest(token), member_id=member.id, csrf=secrets.token_urlsafe(24),
                             created_at=now, last_seen_at=now))
    audit(session, Actor(member.code, member.id), f"sign_in:{how}", "member", member.code, now=now)
    return token


@dataclass(frozen=True)
class SignedIn:
    member_id: int
    code: str
    locale: str
    csrf: str
    session_id: str
    name: str = ""  # shown in the page's header: whose session this is
    role: str = ""  # which menu entries the page offers (the use cases decide what is allowed)


NEEDS_WRITE = object()  # `current(write=False)` found something to write: ask again with write=True


def current(session: Session, token: str | None, *, now: dt.datetime, write: bool = True):
    """The signed-in member for a session cookie; None when absent, revoked, idle too long or
    the member was deactivated. Each use moves the idle deadline (at most every 30 s). With
    `write=False` nothing is written: NEEDS_WRITE says a writing call is due."""
    if not token:
        return None
    # the session with its member, in one statement: every request asks
    found = session.exec(select(StaffSession, Member).join(Member, col(Member.id) == StaffSession.member_id)
                         .where(col(StaffSession.id) == _digest(token))).first()
    if found is None:
        return None
    row, member = found
    if row.revoked_at is not None:
        return None
    # idle too long, or older than a working day however busy: a stolen cookie does not live on
    idle = now - row.last_seen_at > settings.session_idle() or now - row.created_at > settings.session_lifetime()
    stale = now - row.last_seen_at > SEEN_GRANULARITY
    if not write and (idle or stale):
        return NEEDS_WRITE
    if idle:
        row.revoked_at = now
        session.add(row)
        return None
    if not member.active:
        return None
    if stale:  # most requests then write nothing for the session
        row.last_seen_at = now
        session.add(row)
    return SignedIn(member.id, member.code, member.locale, row.csrf, row.id, member.name, str(member.role))


def sign_out(session: Session, token: str | None, *, now: dt.datetime) -> None:
    row = session.get(StaffSession, _digest(token)) if token else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


def revoke_member_sessions(session: Session, code: str, *, now: dt.datetime) -> int:
    """An administrator ends every session of a member (lost card, left the job)."""
    member = member_by_code(session, code)
    rows = session.exec(select(StaffSession).where(col(StaffSession.member_id) == member.id,
                                                   col(StaffSession.revoked_at) == None)).all()  # noqa: E711
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def member_for_claims(session: Session, claims: dict, *, claim: str) -> Member:
    """The member whose configured identity (for example an HSA-id) the identity provider
    asserts in `claim`."""
    value = claims.get(claim)
    member = session.exec(select(Member).where(col(Member.identity) == str(value))).first() if value else None
    if member is None or not member.active:
        raise AccessDenied(f"no active member has the identity in claim '{claim}'", rule="commission",
                           purpose="sign in", record="identity provider", actor_label="oidc", actor_id=None,
                           person_id=None, hint="an administrator sets the member's identity (import field "
                                                "'identity') to the value the identity provider sends")
    return member


def safe_next(path: str | None) -> str:
    """Only local paths: a sign-in link never sends anyone to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def sent(session: Session, key: str) -> bool:
    from coordination.persistence.models import Outbox
    row = session.exec(select(Outbox).where(col(Outbox.key) == key)).first()
    return row is not None and row.status == OutboxStatus.SENT
