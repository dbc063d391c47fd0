"""A court system's webhook endpoint on loopback, for the tests of events to the court's systems."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """A court system's endpoint: records every POST; answers 503 while ``down`` is positive."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.down = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 503 if outer.down > 0 else 200
                outer.down -= 1
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"busy" if status == 503 else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, secret: str) -> dict[str, dict]:
        """Events by id after checking each signature, as a receiver would (deduplicated)."""
        out: dict[str, dict] = {}
        for headers, body in self.got:
            parts = dict(p.split("=", 1) for p in headers["x-court-signature"].split(","))
            expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(parts["v1"], expected), "bad signature"
            assert abs(time.time() - int(parts["t"])) < 300
            event = json.loads(body)
            assert headers["x-court-event-id"] == event["id"] and headers["x-court-event"] == event["type"]
            out[event["id"]] = event
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
