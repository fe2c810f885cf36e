"""A real SMTP server for the tests (aiosmtpd), started on a port the OS chooses, in a thread
of its own: what Django's SMTP backend talks to, as it would to a mail server.

It keeps every message it accepted (raw bytes, and by Message-ID to count duplicates), and
can be told how to answer:
- `answer_next(*replies)`: the next messages' DATA is answered with these replies, one per
  message ("451 4.3.0 Try again later", "421 4.7.0 Busy", "550 5.7.1 Rejected"), then 250;
- `reject_recipient(address, reply)`: RCPT TO that address is refused with `reply`;
- `stop()` / `start()`: nothing listens on the port (connections refused), then the same
  port again.
Usable from another process too (the killed-worker test and the benchmark): it counts what
reached it, whoever sent it.
"""

import asyncio
import collections
import socket
import threading
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        reply = self.server.rejected.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.server.lock:
            if self.server.replies:
                self.server.refused += 1
                return self.server.replies.popleft()
            self.server.accept(envelope.content, envelope.rcpt_tos)
        return "250 2.0.0 Message accepted"


class SmtpServer:
    def __init__(self, *, keep_messages: bool = True):
        self.keep_messages = keep_messages
        self.lock = threading.Lock()
        self.messages: list[bytes] = []
        self.recipients: list[list[str]] = []
        self.by_message_id: collections.Counter = collections.Counter()
        self.replies: collections.deque[str] = collections.deque()
        self.rejected: dict[str, str] = {}
        self.refused = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    # --- what it received ---

    def accept(self, content: bytes, recipients: list[str]) -> None:
        message_id = _message_id(content)
        self.by_message_id[message_id] += 1
        if self.keep_messages:
            self.messages.append(content)
            self.recipients.append(list(recipients))

    @property
    def received(self) -> int:
        return sum(self.by_message_id.values())

    @property
    def duplicates(self) -> int:
        """Messages received more than once (counted by Message-ID): each extra copy."""
        return sum(count - 1 for count in self.by_message_id.values() if count > 1)

    def parsed(self):
        return [BytesParser(policy=policy.default).parsebytes(raw) for raw in self.messages]

    # --- how it answers ---

    def answer_next(self, *replies: str) -> None:
        with self.lock:
            self.replies.extend(replies)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        self.rejected[address.lower()] = reply

    # --- running ---

    def start(self) -> "SmtpServer":
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            handler = _Handler(self)
            self._server = loop.run_until_complete(
                loop.create_server(
                    lambda: SMTP(handler, hostname="test-smtp", data_size_limit=None, enable_SMTPUTF8=False),
                    sock=sock,
                )
            )
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name=f"smtp-{self.port}")
        self._thread.start()
        ready.wait(30)
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused until `start()`."""
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop = None

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _message_id(content: bytes) -> str:
    head = content.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode(errors="replace")
    return ""


def use_smtp_server(settings, server: SmtpServer, *, retries: int = 2, backoff: float = 0) -> None:
    """Django's real SMTP backend, pointed at `server`."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 30
    settings.INTERACTIONS_EMAIL_MAX_RETRIES = retries
    settings.INTERACTIONS_EMAIL_RETRY_BACKOFF = backoff
    settings.INTERACTIONS_BULK_EMAIL_RATE_PER_MINUTE = 0
