"""The workspace served for real: uvicorn on a loopback port over a migrated database with the
example area, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
import time

import pytest
import uvicorn

from coordination.persistence.engine import unit_of_work
from tests.receivers import free_port
from tests.support import NEXT_DAY, Clock

CHROMIUM = "/usr/bin/chromium"


class Workspace:
    def __init__(self, url: str, clock: Clock):
        self.url, self.now = url, clock

    def link_for(self, code: str, next_path: str = "/") -> str:
        from coordination.usecases.common import member_by_code
        from coordination.usecases.signin import create_link

        with unit_of_work() as s:
            return create_link(s, member_by_code(s, code), now=self.now(), next_path=next_path)

    def open_as(self, page, code: str, next_path: str = "/") -> None:
        """Sign `code` in in the browser as a member does: the link's page, then its button."""
        follow(page, self.link_for(code, next_path))


def follow(page, link: str) -> None:
    """Open a sign-in link and press its one button (the link itself signs nobody in)."""
    page.goto(link)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda url: "/signin/" not in url)


@pytest.fixture
def workspace(sqlite_url, monkeypatch):
    """The workspace on its own port, for the test's SQLite database."""
    yield from _serve(monkeypatch)


@pytest.fixture
def workspace_on(db_url, monkeypatch):
    """The workspace over each database (`db_url`: SQLite, then PostgreSQL)."""
    yield from _serve(monkeypatch)


def _serve(monkeypatch):
    from coordination.entrypoints.web import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("COORDINATION_WEB_URL", url)
    clock = Clock(NEXT_DAY)  # the server and the test read this clock, never the machine's
    server = uvicorn.Server(uvicorn.Config(create_app(clock=clock), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the workspace did not start")
        time.sleep(0.05)
    yield Workspace(url, clock)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")  # per module: Playwright's event loop must not outlive its tests
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # the machine's network is closed: no background traffic, no first-run checks
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    yield page
    context.close()
