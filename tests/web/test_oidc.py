"""OpenID Connect sign-in against a real provider on loopback (oidc-provider-mock): the code
flow with PKCE, the ID token verified, and the configured claim naming the member."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent, Member
from tests.web.test_journey import GUSTAV, axe_clean, case_of, planned

HSA_ID = "SE2321000016-A1B2"


@pytest.fixture
def provider(monkeypatch):
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(require_nonce=True, user_claims=[
            oidc_provider_mock.User(sub=HSA_ID), oidc_provider_mock.User(sub="SE2321000016-UNKNOWN")]) as server:
        issuer = f"http://localhost:{server.server_port}"
        monkeypatch.setenv("COORDINATION_OIDC_ISSUER", issuer)
        monkeypatch.setenv("COORDINATION_OIDC_CLIENT_ID", "coordination-workspace")
        monkeypatch.setenv("COORDINATION_OIDC_CLIENT_SECRET", "test-secret")
        monkeypatch.setenv("COORDINATION_OIDC_MEMBER_CLAIM", "sub")
        yield issuer


@pytest.mark.browser
def test_sign_in_through_the_identity_provider(provider, workspace, page, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        member = s.exec(select(Member).where(Member.code == "hsv-ssk1")).one()
        member.identity = HSA_ID  # the mapping an administrator configures
        s.add(member)
        number = case_of(s, GUSTAV).number
    page.goto(f"{workspace.url}/cases/{number}")
    assert "/signin" in page.url
    axe_clean(page)
    page.get_by_role("link", name="Logga in med ditt e-tjänstekort (SITHS)").click()
    page.get_by_role("button", name=HSA_ID).click()  # the provider's one-click user
    page.wait_for_url(re.compile(f"/cases/{number}"))
    assert page.get_by_role("heading", name=f"Ärende {number}").is_visible()
    with unit_of_work() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "sign_in:oidc",
                                               AuditEvent.actor == "hsv-ssk1")).first()


@pytest.mark.browser
def test_an_identity_no_member_has_is_refused(provider, workspace, page, sqlite_url, example_data):
    planned(sqlite_url, example_data)
    page.goto(f"{workspace.url}/signin")
    page.get_by_role("link", name="Logga in med ditt e-tjänstekort (SITHS)").click()
    page.get_by_role("button", name="SE2321000016-UNKNOWN").click()
    page.get_by_role("heading", name="Det kan du inte göra här").wait_for()
    page.goto(f"{workspace.url}/")
    assert "/signin" in page.url
