"""Rendering pages: Jinja2 templates with the member's language, dates in Swedish conventions
and the CSRF token every form carries."""

from __future__ import annotations

import secrets
from importlib import resources

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from coordination.i18n import LOCALES, Texts
from coordination.i18n.terms import CLASS_NAMES, HANDLING_TIMES, role_name, term

templates = Jinja2Templates(directory=str(resources.files("coordination.entrypoints.web") / "templates"))
# Starlette's loader escapes .html templates by default: what staff typed is never markup


# Nothing runs in the workspace's pages and nothing loads from elsewhere: styles from our own
# stylesheet, or an inline one that carries the response's nonce (the person's printable plan).
CSP = ("default-src 'none'; style-src 'self'{nonce}; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def page(request: Request, name: str, texts: Texts, staff, *, status_code: int = 200, **context) -> HTMLResponse:
    t = texts
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, name, {
        "csp_nonce": nonce,
        "_": t.gettext, "t": t, "lang": t.locale, "staff": staff, "locales": LOCALES,
        "csrf": staff.who.csrf if staff else context.pop("csrf", ""),
        "class_name": lambda k: t.gettext(CLASS_NAMES[k]),
        "handling_time": lambda k: t.gettext(HANDLING_TIMES.get(k) or str(k)) if k else "",
        "role": lambda r: role_name(t, r),
        "term": lambda kind, value: term(t, kind, value),
        "weekday": lambda n: term(t, "weekday", str(n)),
        "measure": lambda key: term(t, "measure", key),
        "member": lambda m: f"{m['name']} ({role_name(t, m['role'])})" if m else "",
        **context}, status_code=status_code)
    # pages hold personal data: never cached, never framed
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = CSP.format(nonce=f" 'nonce-{nonce}'")
    return response


def pdf(html: str) -> bytes:
    """A page as PDF (WeasyPrint; imported here, so only printing needs its system libraries)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def see_other(path: str) -> RedirectResponse:
    """After a form: back to a page with GET (post/redirect/get), so a reload sends nothing twice."""
    return RedirectResponse(path, status_code=303)
