"""Signing in and out, and the language a member reads the workspace in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coordination import settings
from coordination.entrypoints.web import render
from coordination.entrypoints.web.deps import (
    PRE_SIGNIN_COOKIE, SESSION_COOKIE, CsrfRefused, FormStaffDep, NowDep, transaction,
)
from coordination.entrypoints.web.render import see_other
from coordination.i18n import Texts
from coordination.usecases import registry, signin

router = APIRouter()


def _secure() -> bool:
    return settings.web_url().startswith("https://")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str = "/") -> HTMLResponse:
    import secrets

    token = request.cookies.get(PRE_SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    response = render.page(request, "signin.html", Texts(None), None, next=signin.safe_next(next), csrf=token,
                           oidc=settings.oidc() is not None)
    response.set_cookie(PRE_SIGNIN_COOKIE, token, httponly=True, samesite="lax", secure=_secure())
    return response


def _pre_signin_checked(request: Request, csrf: str) -> None:
    """The sign-in forms carry the pre-sign-in cookie's token: another site cannot post them."""
    import hmac

    expected = request.cookies.get(PRE_SIGNIN_COOKIE) or ""
    if not csrf or not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        raise CsrfRefused()


@router.post("/signin", response_class=HTMLResponse)
def signin_request(request: Request, now: NowDep, later: BackgroundTasks, code: Annotated[str, Form()] = "",
                   csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> HTMLResponse:
    """Send a one-time link to the member's own channel. The answer is the same, and comes as
    fast, whether or not the code exists: the link is delivered after the answer has gone, and
    a flood from one address or for one member is cut off without saying so."""
    _pre_signin_checked(request, csrf)
    if request.app.state.signin_limiter.allow(request.client.host if request.client else "-"):
        with transaction(later=later) as session:
            signin.send_link(session, code, now=now, next_path=signin.safe_next(next))
    return render.page(request, "signin_sent.html", Texts(None), None)


@router.get("/signin/{token}", response_class=HTMLResponse)
def signin_link(request: Request, token: str, now: NowDep) -> HTMLResponse:
    """The link opens a page that names the member and signs in on a click: a GET never signs in,
    so a mail scanner that follows links spends nothing, and a link planted on someone shows
    whose it is before anything happens."""
    import secrets

    with transaction(read_only=True) as session:
        member = signin.link_holder(session, token, now=now)
    csrf = request.cookies.get(PRE_SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    response = render.page(request, "signin_confirm.html", Texts(member.locale), None, holder=member.name,
                           token=token, csrf=csrf)
    response.set_cookie(PRE_SIGNIN_COOKIE, csrf, httponly=True, samesite="lax", secure=_secure())
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/signin/{token}")
def signin_link_confirmed(request: Request, token: str, now: NowDep,
                          csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    _pre_signin_checked(request, csrf)
    with transaction() as session:
        opened = signin.redeem_link(session, token, now=now)
        response = see_other(opened.next_path)
        response.set_cookie(SESSION_COOKIE, opened.token, httponly=True, samesite="lax", secure=_secure())
        return response


@router.post("/signout")
def signout(request: Request, staff: FormStaffDep) -> RedirectResponse:
    with transaction() as session:
        signin.sign_out(session, request.cookies.get(SESSION_COOKIE), now=staff.now)
        response = see_other("/signin")
        response.delete_cookie(SESSION_COOKIE)
        return response


@router.post("/language")
def language(staff: FormStaffDep, locale: Annotated[str, Form()],
             back: Annotated[str, Form()] = "/") -> RedirectResponse:
    with transaction() as session:
        registry.set_locale(session, staff.who.member_id, locale)
    return see_other(signin.safe_next(back))
