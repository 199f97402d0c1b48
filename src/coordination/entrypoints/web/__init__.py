"""The staff workspace: a FastAPI application with server-rendered pages (`coordination web`).

Forms work without JavaScript. Every page and form asks the access policy through the use
cases; errors become pages in the member's language, and refusals are audited."""

from __future__ import annotations

import gc
import logging
import re
from typing import TYPE_CHECKING
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from coordination import settings
from coordination.errors import AccessDenied, CoordinationError, NotFound

if TYPE_CHECKING:
    from coordination.entrypoints.web.deps import Clock

log = logging.getLogger("coordination.web")


# A served worker's collector: a young generation of 10,000 objects rather than 700, and what the
# worker imported frozen out of every collection. A page allocates tens of thousands of short-lived
# objects (rows, entities, template output), so the default collector ran many times a request
# and now and then walked the whole heap of modules, classes and SQLAlchemy's caches. Counted in
# instructions over six requests for a nurse's start page: 109 million a request with the default
# collector, 90 million with this one.
COLLECTOR_THRESHOLD = (10_000, 20, 20)


def serve(clock: Clock | None = None) -> FastAPI:
    """The workspace as a server's worker runs it (`coordination web`): `create_app`, then the
    collector tuned for a long-lived process. Tests make many apps in one process and leave the
    collector alone."""
    app = create_app(clock)
    gc.freeze()  # after the imports and the app: nothing of them is garbage
    gc.set_threshold(*COLLECTOR_THRESHOLD)
    return app


def create_app(clock: Clock | None = None) -> FastAPI:
    """The workspace. `clock` gives each request its moment (aware UTC); the wall clock unless a
    test gives a fixed one."""
    from coordination.entrypoints.web import (
        case_pages, fhir_pages, log_pages, oidc, render, report_pages, signin_pages, team_meeting_pages,
    )
    from coordination.entrypoints.web.deps import CsrfRefused, SignInRequired
    from coordination.entrypoints.web.throttle import SlidingWindow
    from coordination.i18n import Texts

    from coordination.domain.calendar import now_utc

    app = FastAPI(title="Samordning", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.clock = clock or now_utc
    # sign-in requests per client address: 10 in 15 minutes (a member gets at most 3 links anyway)
    app.state.signin_limiter = SlidingWindow(limit=10, seconds=15 * 60)
    app.mount("/static", StaticFiles(directory=str(resources.files("coordination.entrypoints.web") / "static")),
              name="static")
    # one router a feature; every route is thin: its session and member from `deps`, one use case
    # (or one command through the dispatcher), one template
    for feature in (signin_pages, case_pages, report_pages, team_meeting_pages, log_pages, fhir_pages, oidc):
        app.include_router(feature.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        """Every answer, a page, a redirect, the PDF or a stylesheet: never sniffed into another
        type, never framed, and a policy that lets nothing run (a page sets its own, with its nonce)."""
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Content-Security-Policy", render.CSP.format(nonce=""))
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if settings.web_url().startswith("https://"):  # served over TLS: browsers never fall back to http
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/signin?next={exc.next_path}", status_code=303)

    # sync handlers: they read the session from the database, in a worker thread
    @app.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, exc: CsrfRefused):
        log.warning("form refused: missing or wrong CSRF token on %s", request.url.path)
        return _error(request, 403, "csrf")

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError):
        # an id, version or field FastAPI could not read: the Swedish error page, never JSON
        where = next((str(e["loc"][-1]) for e in exc.errors() if e.get("loc")), "")
        log.info("bad request on %s: field=%s", request.url.path, where)
        return _error(request, 400, f"field:{where}")

    @app.exception_handler(CoordinationError)
    def domain_error(request: Request, exc: CoordinationError):
        # logs carry the rule and the field, never the message (it may name a case's details)
        log.info("%s on %s: field=%s", type(exc).__name__, request.url.path, exc.field)
        if isinstance(exc, AccessDenied):
            return _error(request, 403, f"rule:{exc.rule}")
        if isinstance(exc, NotFound):
            return _error(request, 404, "not_found")
        return _error(request, 400, f"field:{exc.field or ''}", refused=exc)

    def _error(request: Request, status: int, kind: str, refused: CoordinationError | None = None) -> HTMLResponse:
        from coordination.entrypoints.web.deps import SESSION_COOKIE, now_of
        from coordination.persistence.engine import unit_of_work
        from coordination.usecases import signin

        now = now_of(request)
        with unit_of_work() as session:
            who = signin.current(session, request.cookies.get(SESSION_COOKIE), now=now)
        from coordination.entrypoints.web.deps import Staff
        staff = Staff(who, now) if who else None
        texts = staff.texts if staff else Texts(None)
        from coordination.entrypoints.web import form_errors

        given = getattr(request.state, "command_form", None)
        if refused is not None and staff is not None and given is not None:  # the form back, with why
            command, typed, from_path = given
            back = request.headers.get("referer", "")
            back = back if back.startswith(str(request.base_url)) else "/"
            return render.page(request, "form_error.html", texts, staff, status_code=status, action=request.url.path,
                               fields=form_errors.fields_of(texts, command, typed, from_path, refused),
                               why=form_errors.reason(texts, refused), back=back)
        # a refused case page offers emergency access (its own form, with the warning)
        case_page = re.fullmatch(r"/cases/(K-\d{4}-\d{4,})", request.url.path) if request.method == "GET" else None
        return render.page(request, "error.html", texts, staff, status_code=status, kind=kind,
                           why=form_errors.page_reason(texts, kind.removeprefix("field:"), refused)
                           if kind.startswith("field:") else "",
                           emergency_case=case_page.group(1) if case_page and staff else None)

    return app
