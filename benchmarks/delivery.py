"""Delivery of queued messages to a receiver that answers in `--delay-ms`, against a hand-written
floor that sends the same messages and writes the same rows.

    .venv/bin/python benchmarks/delivery.py --messages 500 --delay-ms 20 --database postgresql

Queues N digests for 500 members, each member's target a local JSON receiver. Prints:
  floor_s      8 threads POSTing the same payload (the message as HTML, as apprise's json channel
               posts it) with one HTTP session each, then one UPDATE, one INSERT of the send log
               and one of the audit events, committed (tests/test_benchmark_floors.py checks the
               posts and the rows are those delivery makes), best of three;
  deliver_s    `deliver_pending` in this warm process, with the configured concurrency (best of three);
  fresh_s      `coordination deliver` in a fresh process: what an operator waits for, beside
  fresh_floor_s  a fresh process doing the floor's work;
  fresh_peak_mb  its peak memory.
The last line is one JSON object."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import mimetypes
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pendulum  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import bindparam, text  # noqa: E402

from coordination.persistence.engine import get_engine  # noqa: E402
from coordination.persistence.models import Outbox  # noqa: E402
from sweep import child, migrated_database  # noqa: E402  (the same databases and fresh-process measure)

MEMBERS = 500
NOW = pendulum.datetime(2026, 11, 25, 7, 0, tz="Europe/Stockholm").in_timezone("UTC")


def seed(url: str, *, messages: int, target: str) -> None:
    """Members whose one target is `target`, and `messages` digests spread over them."""
    with get_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, code, name, organiser, unit_type) "
                          "VALUES (1, 'org', 'Org', 'region', 'health_centre')"))
        conn.execute(text("INSERT INTO member (id, code, name, role, active, notify, locale, organisation_id) "
                          "VALUES (:id, :code, 'M', 'nurse', true, :notify, 'sv', 1)"),
                     [{"id": i + 1, "code": f"m-{i}", "notify": json.dumps([target])} for i in range(MEMBERS)])
    queue(url, messages=messages, round_=0)


def queue(url: str, *, messages: int, round_: int) -> None:
    """A round of digests: a sent message is final (the database refuses to unsend it), so each
    measured round queues its own."""
    with get_engine(url).begin() as conn:
        stamp = bindparam("now", NOW, type_=Outbox.created_at.type)
        conn.execute(text("INSERT INTO outbox (key, kind, member_id, subject, body, status, attempts, created_at, "
                          "next_attempt_at) VALUES (:key, 'digest', :member, :subject, :body, 'pending', 0, "
                          ":now, :now)").bindparams(stamp),
                     [{"key": f"digest:{round_}:{i}", "member": i % MEMBERS + 1, "subject": f"Samordning: {i}",
                       "body": f"Dina samordningsärenden ({i}):\n  https://example.org/actions/{i}"}
                      for i in range(messages)])


def deliver(url: str, *, concurrency: int = 8):
    from coordination.notifications.delivery import deliver_pending

    return deliver_pending(url, now=NOW, concurrency=concurrency)


def floor_deliver(connection, *, now: dt.datetime, threads: int = 8) -> int:
    """Send every pending row to its member's one target, then mark them all, by hand."""
    from coordination.notifications.delivery import as_html  # the same text: escaped, links linked

    rows = connection.execute(text("SELECT o.id, o.key, o.subject, o.body, o.attachment_name, o.attachment, "
                                   "o.member_id, m.notify FROM outbox o JOIN member m ON m.id = o.member_id "
                                   "WHERE o.status = 'pending' ORDER BY o.id")).all()
    local = threading.local()

    def post(row) -> str:
        target = (json.loads(row.notify) if isinstance(row.notify, str) else row.notify)[0]
        session = local.__dict__.setdefault("session", requests.Session())
        # a meeting's invitation carries its .ics as apprise's json channel attaches a file
        attachments = [{"filename": row.attachment_name, "base64": base64.b64encode(row.attachment.encode()).decode(),
                        "mimetype": mimetypes.guess_type(row.attachment_name)[0]}] if row.attachment else []
        response = session.post("http://" + target.split("://", 1)[1],
                                json={"version": "1.0", "title": row.subject, "message": as_html(row.body),
                                      "attachments": attachments, "type": "info"}, timeout=10)
        response.raise_for_status()
        return target

    with ThreadPoolExecutor(max_workers=threads) as pool:
        targets = list(pool.map(post, rows))
    sent_at = bindparam("now", now, type_=Outbox.sent_at.type)
    connection.execute(text("UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = :now "
                            "WHERE id = :id").bindparams(sent_at), [{"id": r.id} for r in rows])
    connection.execute(text("INSERT INTO outboxsend (outbox_id, target_key, channel, sent_at, outcome) "
                            "VALUES (:id, :key, 'json', :now, 'sent')").bindparams(sent_at),
                       [{"id": r.id, "key": hashlib.sha256(t.encode()).hexdigest()} for r, t in zip(rows, targets)])
    connection.execute(text("INSERT INTO auditevent (at, actor, action, record_type, record_id, recipient_id) "
                            "VALUES (:now, 'system:delivery', 'send', 'outbox', :record, :member)").bindparams(sent_at),
                       [{"record": f"{r.key} via json", "member": r.member_id} for r in rows])
    return len(rows)


# what a fresh `coordination deliver` must at least do: start, send the floor's way, commit
FRESH_FLOOR = """
import sys
sys.path.insert(0, "benchmarks")
import pendulum
import delivery as bench
from coordination.persistence.engine import get_engine

with get_engine(sys.argv[1]).begin() as conn:
    bench.floor_deliver(conn, now=pendulum.parse(sys.argv[2]))
"""


def main() -> None:
    from tests.receivers import HttpReceiver

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--delay-ms", type=int, default=20, help="how long the receiver takes to answer")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    args = parser.parse_args()
    with migrated_database(args.database) as url:
        with HttpReceiver(delay=args.delay_ms / 1000) as http:
            seed(url, messages=args.messages, target=http.url())
            floor_s = deliver_s = float("inf")
            for round_ in range(3):  # each round queues its own messages, for the floor and then the product
                if round_:
                    queue(url, messages=args.messages, round_=2 * round_)
                with get_engine(url).begin() as conn:  # committed, as delivery commits
                    started = time.perf_counter()
                    floor_deliver(conn, now=NOW)
                floor_s = min(floor_s, time.perf_counter() - started)
                queue(url, messages=args.messages, round_=2 * round_ + 1)
                started = time.perf_counter()
                report = deliver(url, concurrency=args.concurrency)
                deliver_s = min(deliver_s, time.perf_counter() - started)
                assert report.sent == args.messages, report
            print(f"floor_s {floor_s:.3f} deliver_s {deliver_s:.3f}", flush=True)
            env = dict(os.environ, COORDINATION_DATABASE_URL=url)
            queue(url, messages=args.messages, round_=6)
            fresh_floor_s, _, _ = child([sys.executable, "-c", FRESH_FLOOR, url, NOW.isoformat()], env)
            queue(url, messages=args.messages, round_=7)
            fresh_s, fresh_peak_mb, out = child([sys.executable, "-m", "coordination", "deliver", "--json",
                                                 "--now", "2026-11-25T07:00"], env)
            assert json.loads(out.strip().splitlines()[-1])["sent"] == args.messages, out
        figures = {"database": args.database, "messages": args.messages, "delay_ms": args.delay_ms,
                   "concurrency": args.concurrency, "floor_s": round(floor_s, 3), "deliver_s": round(deliver_s, 3),
                   "ratio_to_floor": round(deliver_s / floor_s, 2), "fresh_s": round(fresh_s, 3),
                   "fresh_floor_s": round(fresh_floor_s, 3), "fresh_ratio": round(fresh_s / fresh_floor_s, 2),
                   "fresh_peak_mb": round(fresh_peak_mb, 1)}
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
