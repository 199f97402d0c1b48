"""Production mode protects the Prefect UI and API: with the server's basic-auth string set, an
unauthenticated API call is refused and a client with the credentials gets through."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.cluster.test_cluster import BIN, _start, _stop, wait_for_server
from tests.receivers import free_port

pytestmark = pytest.mark.slow


def test_the_prefect_api_refuses_an_unauthenticated_call(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_API_AUTH_STRING": "operator:s3cret-for-tests",
    }
    server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env,
                    tmp_path / "server.log")
    try:
        wait_for_server(api, server, tmp_path / "server.log")
        refused = httpx.post(f"{api}/flows/filter", json={}, timeout=10)
        assert refused.status_code == 401
        allowed = httpx.post(f"{api}/flows/filter", json={}, auth=("operator", "s3cret-for-tests"), timeout=10)
        assert allowed.status_code == 200
    finally:
        _stop(server)
