"""Settings from the environment. Secrets (database passwords, apprise tokens) only ever
come from here, never from files in git."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///coordination.db"


def database_url() -> str:
    return os.environ.get("COORDINATION_DATABASE_URL") or DEFAULT_DATABASE_URL


DEFAULT_WEB_URL = "http://127.0.0.1:8000"


def web_url() -> str:
    """The workspace's public address, for links in notifications (behind a proxy: its https URL)."""
    return (os.environ.get("COORDINATION_WEB_URL") or DEFAULT_WEB_URL).rstrip("/")


def serve_web_at(host: str, port: int) -> None:
    """The workspace is served here: without a public address configured, the links in the
    messages this process and its workers write lead to it, not to the default port."""
    if not os.environ.get("COORDINATION_WEB_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        os.environ["COORDINATION_WEB_URL"] = f"http://{shown}:{port}"


def web_secret() -> str | None:
    """Signs sign-in links; unset in embedded mode, where one is made and kept in the database."""
    return os.environ.get("COORDINATION_WEB_SECRET") or None


def session_idle():
    import datetime as dt

    return dt.timedelta(minutes=int(os.environ.get("COORDINATION_SESSION_IDLE_MINUTES") or 30))


def emergency_access():
    """How long an emergency access lasts (COORDINATION_EMERGENCY_ACCESS_MINUTES, 120)."""
    import datetime as dt

    return dt.timedelta(minutes=int(os.environ.get("COORDINATION_EMERGENCY_ACCESS_MINUTES") or 120))


def session_lifetime():
    """However active, a session ends this long after sign-in (COORDINATION_SESSION_HOURS, 12)."""
    import datetime as dt

    return dt.timedelta(hours=int(os.environ.get("COORDINATION_SESSION_HOURS") or 12))


def oidc() -> dict | None:
    """OpenID Connect sign-in (production): the issuer, the client, and the claim naming the member."""
    issuer = os.environ.get("COORDINATION_OIDC_ISSUER")
    if not issuer:
        return None
    return {"issuer": issuer.rstrip("/"), "client_id": os.environ.get("COORDINATION_OIDC_CLIENT_ID", ""),
            "client_secret": os.environ.get("COORDINATION_OIDC_CLIENT_SECRET", ""),
            "claim": os.environ.get("COORDINATION_OIDC_MEMBER_CLAIM") or "sub"}
