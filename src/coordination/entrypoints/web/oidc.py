"""OpenID Connect sign-in (production): the authorisation code flow with PKCE against the
region's identity provider (the one in front of SITHS eID), through Authlib.

The state, nonce and PKCE verifier travel in a short-lived HttpOnly cookie signed with the
workspace secret, so no server-side store is needed before sign-in. The ID token is verified
(signature by the provider's keys, issuer, audience, expiry, nonce) and the configured claim
(for example an HSA-id) names the member."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import KeySet

from coordination import settings
from coordination.entrypoints.web.deps import SESSION_COOKIE, now_of, transaction
from coordination.errors import AccessDenied
from coordination.usecases import signin

router = APIRouter()
FLOW_COOKIE = "coord_oidc"
FLOW_SECONDS = 600


def _refused(reason: str) -> AccessDenied:
    return AccessDenied(reason, rule="commission", purpose="sign in", record="identity provider",
                        hint="sign in again from the start page", actor_label="oidc", actor_id=None, person_id=None)


def _metadata(issuer: str) -> dict:
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
    response.raise_for_status()
    return response.json()


def _seal(secret: bytes, data: dict) -> str:
    body = urlsafe_b64encode(json.dumps(data).encode()).decode()
    return f"{body}.{hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()}"


def _unseal(secret: bytes, value: str | None) -> dict:
    try:
        body, mac = (value or "").rsplit(".", 1)
    except ValueError:
        raise _refused("the sign-in attempt has no state") from None
    if not hmac.compare_digest(mac, hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()):
        raise _refused("the sign-in state was altered")
    data = json.loads(urlsafe_b64decode(body))
    if data["at"] + FLOW_SECONDS < time.time():
        raise _refused("the sign-in attempt took too long")
    return data


def _client(config: dict, **kw) -> OAuth2Session:
    return OAuth2Session(config["client_id"], config["client_secret"], scope="openid profile",
                         redirect_uri=f"{settings.web_url()}/oidc/callback", **kw)


@router.get("/oidc/login")
def login(next: str = "/") -> RedirectResponse:
    config = settings.oidc()
    if config is None:
        return RedirectResponse("/signin", status_code=303)
    meta = _metadata(config["issuer"])
    verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
    url, state = _client(config, code_challenge_method="S256").create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    with transaction() as session:
        secret = signin.workspace_secret(session)
    flow = _seal(secret, {"state": state, "nonce": nonce, "verifier": verifier,
                                                     "next": signin.safe_next(next), "at": time.time()})
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLOW_COOKIE, flow, max_age=FLOW_SECONDS, httponly=True, samesite="lax",
                        secure=settings.web_url().startswith("https://"))
    return response


@router.get("/oidc/callback")
def callback(request: Request, code: str = "", state: str = "") -> RedirectResponse:
    config = settings.oidc()
    if config is None:
        raise _refused("OpenID Connect is not configured")
    with transaction() as session:
        secret = signin.workspace_secret(session)
    flow = _unseal(secret, request.cookies.get(FLOW_COOKIE))
    if not state or not hmac.compare_digest(state, flow["state"]):
        raise _refused("the sign-in state does not match")
    meta = _metadata(config["issuer"])
    token = _client(config, code_challenge_method="S256").fetch_token(
        meta["token_endpoint"], code=code, code_verifier=flow["verifier"])
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    try:
        verified = jwt.decode(token["id_token"], keys)
    except Exception as exc:  # a bad signature or malformed token is a refusal, not a crash
        raise _refused(f"the ID token does not verify ({type(exc).__name__})") from None
    claims = verified.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if claims.get("iss", "").rstrip("/") != config["issuer"] or config["client_id"] not in audiences \
            or claims.get("exp", 0) < time.time() or claims.get("nonce") != flow["nonce"]:
        raise _refused("the ID token is not for this workspace or has expired")
    with transaction() as session:
        member = signin.member_for_claims(session, claims, claim=config["claim"])
        opened = signin.open_session(session, member, now=now_of(request), how="oidc")
    response = RedirectResponse(flow["next"], status_code=303)
    response.set_cookie(SESSION_COOKIE, opened, httponly=True, samesite="lax",
                        secure=settings.web_url().startswith("https://"))
    response.delete_cookie(FLOW_COOKIE)
    return response
