"""The workspace as `coordination web` serves it, with the benchmark's fixed clock: the seeded
region's items are due on that day, whatever day the benchmark runs.

    python -m uvicorn fixed_clock_app:create_app --factory --app-dir benchmarks --workers N

The moment is `COORDINATION_BENCH_NOW` (ISO 8601, aware)."""

from __future__ import annotations

import datetime as dt
import os

from coordination.entrypoints import web


def create_app():
    moment = dt.datetime.fromisoformat(os.environ["COORDINATION_BENCH_NOW"])
    return web.serve(clock=lambda: moment)  # as `coordination web` serves it
