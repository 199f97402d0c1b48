"""Who may call the FHIR API: systems registered by an administrator for one organisation, each
proving itself as SMART Backend Services has it (OAuth 2 client credentials with a
`private_key_jwt` assertion, verified with joserfc, the JOSE library of the Authlib project).
The access token is short-lived and kept as a hash; an assertion is used once."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session, col, select

from coordination.errors import AccessDenied, InvalidInput, RuleViolation
from coordination.persistence.models import FhirClient, FhirToken, Organisation
from coordination.usecases.common import Actor, audit

TOKEN_LIFETIME = dt.timedelta(minutes=5)
ASSERTION_MAX_LIFETIME = dt.timedelta(minutes=5)  # SMART: an assertion expires within five minutes
ALGORITHMS = ["RS384", "ES384", "RS256", "ES256"]  # SMART asks for RS384 and ES384


@dataclass(frozen=True)
class Caller:
    """A client system as the API sees it: its organisation decides what it may read."""
    id: int
    client_id: str
    organisation: str  # the organisation's code
    organisation_id: int

    @property
    def actor(self) -> Actor:
        # audited as the organisation's system; the log review shows it by this label
        return Actor(f"system:fhir:{self.client_id}", None)


def register_client(session: Session, actor: Actor, *, client_id: str, organisation: str, jwks: dict,
                    now: dt.datetime) -> int:
    """An administrator registers a system for one organisation with its public key set."""
    org = session.exec(select(Organisation).where(col(Organisation.code) == organisation)).first()
    if org is None:
        raise InvalidInput(f"'{organisation}' is not a known organisation", record="fhir client", field="organisation",
                           hint="give the code of an imported organisation (`coordination members` shows them)")
    try:
        keys = KeySet.import_key_set(cast(Any, jwks))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"is not a JSON Web Key Set ({type(exc).__name__})", record="fhir client", field="jwks",
                           hint="give the client's public keys as a JWKS file: {\"keys\": [...]}") from None
    if any(k.is_private for k in keys.keys):
        raise InvalidInput("holds a private key", record="fhir client", field="jwks",
                           hint="register the public keys only; the private key stays with the client")
    if session.exec(select(FhirClient).where(col(FhirClient.client_id) == client_id)).first():
        raise RuleViolation(f"'{client_id}' is already registered", record="fhir client", field="client_id",
                            hint="choose another client id, or deactivate the old one")
    client = FhirClient(client_id=client_id, organisation_id=org.id, jwks=dict(keys.as_dict(private=False)),
                        registered_at=now)
    session.add(client)
    session.flush()
    audit(session, actor, "register", "fhir_client", client_id, now=now)
    return client.id


def _refused(reason: str) -> AccessDenied:
    # the same answer for every bad assertion: it tells a prober nothing about which part failed
    return AccessDenied(reason, rule="client", purpose="fhir token", record="fhir client", hint="",
                        actor_label="anonymous", actor_id=None, person_id=None)


def issue_token(session: Session, *, assertion: str, token_url: str, now: dt.datetime) -> tuple[str, int]:
    """An access token for a valid client assertion (RFC 7523, SMART Backend Services): signed by
    a registered, active client's key, `iss` and `sub` its client id, `aud` this token endpoint,
    expiring within five minutes, its `jti` never seen before. Returns the token and its lifetime."""
    try:
        header_claims = _peek(assertion)
    except (ValueError, UnicodeError):
        raise _refused("the client assertion is not a JWT") from None
    client = session.exec(select(FhirClient).where(col(FhirClient.client_id) == header_claims.get("iss"))).first()
    if client is None or not client.active:
        raise _refused("no active client is registered for the assertion's issuer")
    try:
        verified = jwt.decode(assertion, KeySet.import_key_set(cast(Any, client.jwks)), algorithms=ALGORITHMS)
    except (JoseError, ValueError):
        raise _refused("the assertion's signature does not verify with the client's keys") from None
    claims = verified.claims
    stamp = now.timestamp()
    if claims.get("sub") != client.client_id or claims.get("aud") not in (token_url, [token_url]) \
            or not isinstance(claims.get("exp"), (int, float)) or not stamp < claims["exp"] \
            <= stamp + ASSERTION_MAX_LIFETIME.total_seconds() or not claims.get("jti"):
        raise _refused("the assertion's claims are not valid for this endpoint now")
    if session.exec(select(FhirToken.id).where(col(FhirToken.jti) == str(claims["jti"]))).first():
        raise _refused("the assertion was used before")
    token = secrets.token_urlsafe(32)
    session.add(FhirToken(token_hash=_digest(token), client_id=client.id, jti=str(claims["jti"]), issued_at=now,
                          expires_at=now + TOKEN_LIFETIME))
    audit(session, Actor(f"system:fhir:{client.client_id}", None), "token", "fhir_client", client.client_id, now=now)
    return token, int(TOKEN_LIFETIME.total_seconds())


def caller_for(session: Session, token: str | None, *, now: dt.datetime) -> Caller | None:
    """The client a bearer token was issued to, while it is valid and the client active."""
    if not token:
        return None
    row = session.exec(select(FhirToken, FhirClient, Organisation.code)
                       .join(FhirClient, col(FhirClient.id) == FhirToken.client_id)
                       .join(Organisation, col(Organisation.id) == FhirClient.organisation_id)
                       .where(col(FhirToken.token_hash) == _digest(token))).first()
    if row is None:
        return None
    issued, client, organisation = row
    if issued.expires_at <= now or not client.active:
        return None
    return Caller(client.id, client.client_id, organisation, client.organisation_id)


def _peek(assertion: str) -> dict:
    """The claims of a compact JWS before it is verified: only to find whose keys verify it."""
    import base64
    import json

    parts = assertion.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(body))
    if not isinstance(claims, dict):
        raise ValueError("the claims are not an object")
    return claims


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
