"""The access matrix extended to the workspace: every relationship × every consent state, for
the case page, the action link and the acting forms (marking done, the follow-up, the return
report), over HTTP against the served workspace. Every route of the app, for an outsider:
tests/web/test_security.py::test_the_access_policy_guards_every_route_of_the_app.

Reads are checked in every cell. Forms are checked in every refused cell (403, and nothing
written but the refusal's audit event); their allowed cells are the use cases' own matrix
(tests/usecases/test_access_matrix.py) and the browser journeys, since a form that succeeds
changes the world the other cells share."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select as sa_select

from coordination.persistence.engine import get_engine
from coordination.persistence.models import AuditEvent
from tests.receivers import free_port
from tests.support import Clock
from tests.usecases.test_access_matrix import LATER, STATES, WHO, expected, world  # noqa: F401  (the fixture)

FORMS = {  # form -> (the use-case point whose rule it follows, how to post it)
    "done": ("action_done", lambda number, action: (f"/actions/{action}/done", {"note": "x"})),
    "follow_up": ("follow_up", lambda number, action: (f"/cases/{number}/follow-up",
                                                       {"outcome": "x", "needs": "remain", "next_date": "2027-01-20"})),
    "return_report": ("follow_up", lambda number, action: (f"/cases/{number}/return-report", {
        "reported_on": "2026-11-17", "reporter_name": "x", "profession": "x", "text": "x"})),
}


@pytest.fixture(scope="module")
def served(world, tmp_path_factory):  # noqa: F811  (the fixture)
    """The workspace over the matrix's world, with every member signed in."""
    import os

    from coordination.entrypoints.web import create_app
    from coordination.persistence.engine import unit_of_work
    from coordination.usecases.common import member_by_code
    from coordination.usecases.signin import create_link

    port = free_port()
    saved = {k: os.environ.get(k) for k in ("COORDINATION_DATABASE_URL", "COORDINATION_WEB_URL")}
    os.environ["COORDINATION_DATABASE_URL"] = world.url
    os.environ["COORDINATION_WEB_URL"] = f"http://127.0.0.1:{port}"
    clock = Clock(LATER)  # the matrix's moment: a consent valid from 2026-12-01 is not yet valid
    server = uvicorn.Server(uvicorn.Config(create_app(clock=clock), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    clients = {}
    for who, (code, _org) in WHO.items():
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        if who != "inactive":
            with unit_of_work(world.url) as s:
                link = create_link(s, member_by_code(s, code), now=clock())
            page = client.get(link)  # the link's page, and its button that signs in
            assert client.post(link, data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)}
                               ).status_code == 303
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        else:
            csrf = ""  # an inactive member cannot sign in at all (tested in the signin tests)
        clients[who] = (client, csrf)
    yield clients
    server.should_exit = True
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _rows(url):
    engine = get_engine(url)
    with engine.connect() as conn:
        from sqlalchemy import inspect, text
        tables = [t for t in inspect(conn).get_table_names() if t not in ("alembic_version", "auditevent",
                                                                          "staffsession", "signinlink")]
        return {t: conn.execute(sa_select(func.count()).select_from(text(f'"{t}"'))).scalar_one() for t in tables}


def _refusals(url):
    with get_engine(url).connect() as conn:
        return conn.execute(sa_select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action.startswith("refused:"))).scalar_one()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("who", [w for w in WHO if w != "inactive"])
def test_pages_and_forms(world, served, who, state):  # noqa: F811
    client, csrf = served[who]
    number, action = world.cases[state], world.action_of_participant[state]
    read = expected("read", who, state)
    for path in (f"/cases/{number}", f"/actions/{action}"):
        response = client.get(path)
        assert response.status_code == (303 if path.startswith("/actions") and read == "allowed" else
                                         200 if read == "allowed" else 403), (path, response.status_code)
        if read != "allowed":
            assert "Secret" not in response.text and "SBAR-SECRET" not in response.text
    for form, (point, make) in FORMS.items():
        if expected(point, who, state) == "allowed":
            continue
        path, data = make(number, action)
        before, refusals = _rows(world.url), _refusals(world.url)
        response = client.post(path, data=data | {"csrf": csrf})
        assert response.status_code == 403, (form, response.status_code)
        assert _rows(world.url) == before and _refusals(world.url) == refusals + 1
