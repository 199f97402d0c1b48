"""Helpers shared by the tests and the benchmarks; importing this has no side effects."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pendulum
from sqlalchemy import create_engine, text

from coordination.persistence.engine import get_engine


def scratch_pg_database(admin_url: str, prefix: str = "coord_test",
                        template: str | None = None) -> tuple[str, Callable[[], None]]:
    """A new PostgreSQL database next to `admin_url`'s, empty or a copy of `template` (a
    database name); returns its URL and a dropper."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def in_parallel(work: Callable[[], None], threads: int) -> None:
    """Run `work` in several threads at once; re-raise the first error any of them hit."""
    errors: list[BaseException] = []

    def guarded():
        try:
            work()
        except BaseException as exc:  # surfaced in the calling thread
            errors.append(exc)

    running = [threading.Thread(target=guarded) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    if errors:
        raise errors[0]


def refusal(load: Callable, path) -> str:
    """The one-line error an administrator's file gets from `load`: it must name the file."""
    from coordination.errors import InvalidInput

    try:
        load(path)
    except InvalidInput as err:
        assert str(path) in str(err), err
        return str(err)
    raise AssertionError(f"{path} was accepted")


class Clock:
    """The clock a test gives the code under test: it starts at a fixed moment and moves on with
    the real time, so a test tells the same story on any day it runs (and under faketime)."""

    def __init__(self, start: dt.datetime):
        self.start, self._began = start, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self._began)

    def move_to(self, moment: dt.datetime) -> None:
        """Go on from `moment`: a test that follows its story to a later day (a meeting's own)."""
        self.start, self._began = moment, time.monotonic()


# The day the tests' workspace and command line live on: the day after the example area's
# identification and planning (2026-11-16), a Tuesday, the Norrby team's meeting day.
NEXT_DAY = pendulum.datetime(2026, 11, 17, 9, 0, tz="Europe/Stockholm").in_timezone("UTC")


_BEGAN = time.monotonic()


def clocked(env: dict, start: dt.datetime = NEXT_DAY) -> dict:
    """The environment for a child process whose wall clock reads `start` plus the real time the
    test run has taken so far, and runs on: one command after another sees time move forward (a
    consent withdrawn by one is withdrawn for the next), and a command run as a subprocess tells
    the same story on any day (and under a shifted clock). libfaketime, as the `libfaketime`
    package builds it, is preloaded; the product has no clock setting of its own."""
    import libfaketime

    folder = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src"
    moment = pendulum.instance(start).add(seconds=time.monotonic() - _BEGAN + 1)
    stamp = moment.in_timezone("UTC").format("YYYY-MM-DD HH:mm:ss.SSSSSS")
    return env | {"LD_PRELOAD": str(folder / "libfaketime.so.1"), "FAKETIME": f"@{stamp}", "TZ": "UTC",
                  "DONT_FAKE_MONOTONIC": "1", "FAKETIME_NO_CACHE": "1"}
