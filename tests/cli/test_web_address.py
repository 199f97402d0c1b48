"""The links in messages lead to the address the workspace really serves: `coordination web
--port P` without a configured public address makes its messages link to port P."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, load_area
from tests.receivers import free_port


def test_the_workspace_on_another_port_links_to_that_port(sqlite_url, example_data, tmp_path):
    load_area(sqlite_url, example_data)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "COORDINATION_WEB_URL"} | {
        "COORDINATION_DATABASE_URL": sqlite_url}
    process = subprocess.Popen([sys.executable, "-m", "coordination", "web", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert f"workspace: http://127.0.0.1:{port} " in first, first
    # a configured public address (behind a proxy) is kept as it is
    probe = ("import os; from coordination import settings; settings.serve_web_at('0.0.0.0', 8123); "
             "print(settings.web_url())")
    mine = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert mine.stdout.strip() == "http://127.0.0.1:8123"
    kept = subprocess.run([sys.executable, "-c", probe], env=env | {"COORDINATION_WEB_URL": "https://samordning.example.se"},
                          capture_output=True, text=True, timeout=60)
    assert kept.stdout.strip() == "https://samordning.example.se"
