"""Real local receivers for notification tests: an HTTP server for apprise `json://` targets
and an aiosmtpd SMTP server for `mailto://` targets."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpReceiver:
    """Collects JSON posts; `fail_next(n)` answers 503 to the next n posts. With `held=True` every
    post waits until `release()`: a deliverer stays busy for exactly as long as a test needs."""

    def __init__(self, port: int | None = None, delay: float = 0.0, held: bool = False):
        self.port = port or free_port()
        self.received: list[dict] = []
        self._fail = 0
        self.delay = delay  # seconds per request: a slow receiver keeps deliverers busy
        self._open = threading.Event()
        if not held:
            self._open.set()
        self.in_flight = self.max_in_flight = 0  # concurrent requests, now and at most
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    return
                with lock:
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                receiver._open.wait(timeout=300)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with lock:
                    receiver.in_flight -= 1
                if receiver._fail:
                    receiver._fail -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # a real receiver's backlog: several deliverers connect at once

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def release(self) -> None:
        self._open.set()

    def fail_next(self, n: int) -> None:
        self._fail = n

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    def __init__(self):
        self.port = free_port()
        self.messages: list[dict] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append({"to": list(envelope.rcpt_tos),
                                          "data": envelope.content.decode("utf-8", "replace")})
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=coordination@example.org&to={to}"

    def received(self, count: int, *, within_s: float = 30.0) -> list[dict]:
        """The messages once `count` have come: what is sent after a page has answered (a
        sign-in link goes once the answer has gone) may arrive after the page shows. Waits at
        most `within_s`, a deadline for a lost message, not a measure of speed."""
        deadline = time.monotonic() + within_s
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
