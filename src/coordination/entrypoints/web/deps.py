"""What every route is given: its unit of work, the signed-in member, the language and the CSRF
check (in the style of full-stack-fastapi-template's `api/deps.py`). No route decides access
itself: the use cases ask the access policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import BackgroundTasks, Depends, Form, Path, Query, Request
from sqlmodel import Session

from coordination.i18n import Texts
from coordination.config.notifications import load_notifications
from coordination.notifications.delivery import deliver_pending
from coordination.notifications.handlers import queued
from coordination.persistence.engine import unit_of_work
from coordination.usecases import commands, signin
from coordination.usecases.common import Actor
from coordination.usecases.dispatch import execute

C = TypeVar("C", bound=commands.Command)

SESSION_COOKIE = "coord_session"
PRE_SIGNIN_COOKIE = "coord_csrf"  # double-submit token for the sign-in form, before any session


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


class CsrfRefused(Exception):
    pass


@contextmanager
def transaction(*, read_only: bool = False, later: BackgroundTasks | None = None,
                told: list[bool] | None = None) -> Iterator[Session]:
    """The route's unit of work, opened inside the route's own thread: `with transaction() as
    session:`. (A generator dependency would hold the transaction, and on SQLite the write lock,
    while its exit waits for a free worker thread; under load every thread then waits.)

    The one place the workspace starts delivery: once the work is committed, the messages its
    events queued are sent at once, since the people they name are waiting for them (a sign-in
    link, an assigned action, a deviation the page says was reported). What fails stays pending
    for the scheduled delivery, with its backoff. With `later` (the route's background tasks)
    they are sent once the answer has gone, where its timing must tell nothing (sign-in). `told`
    gets whether every message was delivered, so a page never says "told" of one still on its way."""
    with unit_of_work(read_only=read_only, interactive=True) as session:
        notes = session.info  # kept past the session's close, which comes after the commit
        yield session
    keys, moment = queued(notes)
    if keys and moment is not None:
        send = partial(deliver_pending, now=moment, keys=keys, tags=load_notifications().tags)
        if later is None:
            report = send()
            if told is not None:
                told.append(report.sent >= len(keys))
        else:
            later.add_task(send)


Clock = Callable[[], dt.datetime]


# An id or version in a path or query: out of range it is refused like any bad field (the error
# page, 400), before it reaches a database that would overflow on it
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int, Query(ge=1, le=2**31 - 1)]
LatestOrVersion = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def now_of(request: Request) -> dt.datetime:
    """The request's moment, from the clock the app was made with (`create_app(clock=...)`): the
    wall clock in production, a fixed one in tests. Nothing in a request can move it."""
    return request.app.state.clock()


NowDep = Annotated[dt.datetime, Depends(now_of)]


class Staff:
    """The signed-in member as routes see them, and the moment of the request."""

    def __init__(self, who: signin.SignedIn, now: dt.datetime):
        self.who = who
        self.now = now
        self.actor = Actor(who.code, who.member_id)
        self.texts = Texts(who.locale)
        self.told: list[bool] = []  # per act: were its messages delivered in the request?


def get_staff(request: Request) -> Staff:
    token, now = request.cookies.get(SESSION_COOKIE), now_of(request)
    with unit_of_work(read_only=True) as session:  # most requests only read their session
        who = signin.current(session, token, now=now, write=False)
    if who is signin.NEEDS_WRITE:  # an idle session to revoke, or a last-seen time to move
        with unit_of_work() as session:
            who = signin.current(session, token, now=now)
    if who is None:
        raise SignInRequired(signin.safe_next(request.url.path))
    return Staff(who, now)


StaffDep = Annotated[Staff, Depends(get_staff)]


def checked_form(staff: StaffDep, csrf: Annotated[str, Form()] = "") -> Staff:
    """Every form carries the session's CSRF token; a form without it is refused."""
    import hmac

    if not csrf or not hmac.compare_digest(csrf, staff.who.csrf):
        raise CsrfRefused()
    return staff


FormStaffDep = Annotated[Staff, Depends(checked_form)]


def form_command(command: type[C], **from_path: str) -> Any:
    """The route's command, built from its form and the path's parameters (`case="number"`: the
    command's field `case` is the path's `{number}`), validated once: a bad field is the same
    `InvalidInput` the command line gives. Declared after the staff dependency, so a member who
    is not signed in, or a form without its CSRF token, is refused before any field is read."""
    async def build(request: Request) -> C:
        form = await request.form()
        # what was typed, for the form given back if it is refused (`form_errors`): no more of a
        # field than a field may hold, so an oversized one cannot make the page megabytes
        request.state.command_form = (command, {k: [str(v)[:commands.TEXT_LIMIT] for v in form.getlist(k)][:50]
                                                for k in list(form.keys())[:50] if k != "csrf"}, set(from_path))
        several = commands.list_fields(command)
        # a list the form does not send is empty: no box of it was checked
        raw: dict[str, Any] = {key: [v for v in form.getlist(key) if v] for key in several}
        raw |= {key: form[key] for key in form.keys() if key in command.model_fields and key not in several}
        raw |= {field: request.path_params[param] for field, param in from_path.items()}
        return commands.build(command, **raw)
    return Depends(build)


def carry_out(staff: Staff, command: commands.Command) -> Any:
    """A route's one act: the command, carried out as the signed-in member in one unit of work
    (whose messages are delivered once it is committed). Returns what its use case returned."""
    with transaction(told=staff.told) as session:
        return execute(session, staff.actor, command, now=staff.now)


def told_or_not(staff: Staff, path: str) -> str:
    """The page to go back to, marked when a message the act queued is not delivered yet: the
    page then says it is on its way instead of "told" (`told=0`)."""
    if all(staff.told):
        return path
    where, _, anchor = path.partition("#")
    return f"{where}{'&' if '?' in where else '?'}told=0" + (f"#{anchor}" if anchor else "")
