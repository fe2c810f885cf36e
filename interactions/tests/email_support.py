"""Helpers of the e-mail, call and meeting tests: the template setup for those events, and
SMTP servers that refuse (real sockets on 127.0.0.1, spoken to by Django's SMTP backend)."""

import contextlib
import socket
import threading
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser

from interactions.models import InteractionLogEntry, InteractionTemplateSetup

from .factories import InteractionTemplateFactory, SalespersonFactory

SETUP_TEMPLATE_CODES = {"emails": "EMAIL", "outgoing_calls": "OUTGOING", "meeting_invitations": "MEETINV"}


def set_up_templates(*, emails: bool = True, outgoing_calls: bool = True, meeting_invitations: bool = True) -> dict:
    """The setup's templates for the three events (those asked for; the others left empty)."""
    wanted = {"emails": emails, "outgoing_calls": outgoing_calls, "meeting_invitations": meeting_invitations}
    setup = InteractionTemplateSetup.load()
    templates = {}
    for event, code in SETUP_TEMPLATE_CODES.items():
        template = InteractionTemplateFactory(code=code, description=f"{code.title()} template", unit_duration=5)
        templates[event] = template
        setattr(setup, event, template if wanted[event] else None)
    setup.save()
    return templates


def salesperson_for(user, **fields):
    return SalespersonFactory(user=user, **fields)


def stored_message(entry: InteractionLogEntry):
    """The .eml the entry keeps, parsed."""
    with entry.attachment.file.open("rb") as handle:
        return BytesParser(policy=policy.default).parsebytes(handle.read())


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RefusingSmtpServer:
    """A TCP server that greets every connection with `reply` (an SMTP status line such as
    "421 4.3.2 Service not available") and hangs up, counting the connections: what a mail
    server that is busy (4xx) or refuses us for good (5xx) looks like to smtplib."""

    def __init__(self, reply: str):
        self.reply = reply.encode() + b"\r\n"
        self.connections = 0
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self._socket.settimeout(0.1)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _address = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                self.connections += 1
                connection.sendall(self.reply)

    @contextlib.contextmanager
    def running(self) -> Iterator["RefusingSmtpServer"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stopped.set()
            self._thread.join(timeout=30)
            self._socket.close()


class SmtpSink:
    """An SMTP server that accepts every message and keeps it (`messages`: the raw bytes of
    each), answering the end of each message only after `delay` seconds: a mail server
    that is slow to confirm, so that two deliveries of the same e-mail would overlap."""

    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.messages: list[bytes] = []
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        self._socket.settimeout(0.1)
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _address = self._socket.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._converse, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _converse(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 sink ESMTP\r\n")
            for line in lines:
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    connection.sendall(b"250 sink\r\n")
                elif command == b"DATA":
                    connection.sendall(b"354 go ahead\r\n")
                    body = []
                    for data_line in lines:
                        if data_line == b".\r\n":
                            break
                        body.append(data_line)
                    self._stopped.wait(self.delay)  # slow to confirm
                    self.messages.append(b"".join(body))
                    connection.sendall(b"250 queued\r\n")
                elif command == b"QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                else:  # MAIL FROM, RCPT TO, RSET, NOOP
                    connection.sendall(b"250 ok\r\n")

    @contextlib.contextmanager
    def running(self) -> Iterator["SmtpSink"]:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stopped.set()
            thread.join(timeout=5)
            self._socket.close()
