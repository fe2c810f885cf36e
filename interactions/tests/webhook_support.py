"""A real HTTP server that receives webhooks, for the webhook tests: it runs in a thread on
127.0.0.1, checks every request's signature with the receiver example of the docs
(docs/webhook_receiver.py), and answers as the test asks, request by request: a status, or
"hang" (holds the request until the test releases it, or the deadline: the sender's timeout
runs out first)."""

import contextlib
import importlib.util
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

from .celery_workers import wait_until

HANG = "hang"
HANG_DEADLINE = 30  # seconds a hanging answer waits for release at most


def _receiver_example():
    path = Path(settings.BASE_DIR) / "docs" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verify_signature = _receiver_example().verify_signature


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """The webhook receiver: `url`, `secret` (set it to the subscription's), `answers` (a
    queue of statuses or HANG; when empty, `default`), `received` (every request, in order)."""

    def __init__(self) -> None:
        self.secret = ""
        self.answers: deque = deque()
        self.default: int | str = 204
        self.received: list[Received] = []
        self.released = threading.Event()
        self.hanging = threading.Event()  # set while a request hangs
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    answer = receiver.answers.popleft() if receiver.answers else receiver.default
                    receiver.received.append(
                        Received(
                            path=self.path,
                            headers=dict(self.headers.items()),
                            body=body,
                            signature_valid=verify_signature(
                                secret=receiver.secret, header=self.headers.get("X-CRM-Signature", ""), body=body
                            ),
                        )
                    )
                if answer == HANG:
                    receiver.hanging.set()
                    receiver.released.wait(HANG_DEADLINE)
                    answer = 204
                with contextlib.suppress(OSError):  # the sender may have given up
                    self.send_response(answer)
                    self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/crm"

    def wait_for(self, count: int, *, seconds: float = 30) -> list[Received]:
        wait_until(lambda: len(self.received) >= count, what=f"the receiver has {count} requests", seconds=seconds)
        return self.received

    @contextlib.contextmanager
    def running(self) -> Iterator["Receiver"]:
        self._thread.start()
        try:
            yield self
        finally:
            self.released.set()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
