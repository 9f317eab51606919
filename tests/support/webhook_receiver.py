"""A webhook receiver on 127.0.0.1 (an ``http.server`` thread): it answers the statuses it is told to, in
turn (then 200), and keeps every request it got, verified or not, with the Standard Webhooks verifier."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verified(self, *secrets: str) -> Any:
        """The payload, if it verifies with any of ``secrets`` (``standardwebhooks`` raises otherwise)."""
        from standardwebhooks import Webhook
        from standardwebhooks.webhooks import WebhookVerificationError

        error: Exception | None = None
        for secret in secrets:
            try:
                return Webhook(secret).verify(self.body, self.headers)
            except WebhookVerificationError as exc:
                error = exc
        raise error or ValueError("no secret given")


@dataclass
class Receiver:
    port: int = 0
    answers: list[int] = field(default_factory=list)  # statuses to answer next, in turn; then 200
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = state.answers.pop(0) if state.answers else 200
            reply = f'{{"status": {status}, "note": "receiver says hello"}}'.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
