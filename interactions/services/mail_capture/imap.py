"""Reading a mailbox over IMAP (the standard library's imaplib), by UID.

What the capture needs of a server, and no more: log in (SSL, STARTTLS or plain), select the
folder to read, list its messages' UIDs with their sizes, fetch message bodies in batches
without setting \\Seen (BODY.PEEK), fetch a too-large message's headers only, and move
messages to the processed folder (UID MOVE, RFC 6851; else UID COPY, then \\Deleted and UID
EXPUNGE of exactly those UIDs, RFC 4315; a server with neither gets the messages copied and
flagged, and they are expunged by nobody else's hand: nothing unlogged is ever expunged).

The password is read when the mailbox is opened, from the environment variable or the file
the mailbox names; it is never stored or logged. Every failure surfaces as MailboxError with
a message a person can act on.
"""

import contextlib
import imaplib
import os
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from ...models import Mailbox, MailboxSecurity, PasswordSource


class MailboxError(Exception):
    """The mailbox could not be read: the message says why."""


def resolve_password(mailbox: Mailbox) -> str:
    reference = mailbox.password_reference.strip()
    if mailbox.password_source == PasswordSource.FILE:
        try:
            return Path(reference).read_text(encoding="utf-8").strip("\r\n")
        except OSError as failure:
            raise MailboxError(
                _("The secrets file %(path)s of mailbox %(mailbox)s cannot be read (%(error)s).")
                % {"path": reference, "mailbox": mailbox.name, "error": failure.strerror or failure}
            ) from None
    value = os.environ.get(reference)
    if value is None:
        raise MailboxError(
            _("The environment variable %(name)s that holds the password of mailbox %(mailbox)s is not set.")
            % {"name": reference, "mailbox": mailbox.name}
        )
    return value


@dataclass(frozen=True)
class ListedMessage:
    uid: int
    size: int


_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _quote(folder: str) -> str:
    # imaplib sends arguments as they are: a folder name with a space must be quoted.
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapFolderReader:
    """An open connection to one mailbox, its folder selected (a context manager)."""

    def __init__(self, mailbox: Mailbox, *, timeout: float):
        self.mailbox = mailbox
        self.timeout = timeout
        self.connection: imaplib.IMAP4 | None = None
        self.can_move = False
        self.has_uidplus = False

    def __enter__(self) -> "ImapFolderReader":
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _fail(self, what: str, failure: BaseException) -> MailboxError:
        return MailboxError(
            _("Mailbox %(mailbox)s (%(host)s:%(port)s): %(what)s: %(error)s")
            % {
                "mailbox": self.mailbox.name,
                "host": self.mailbox.host,
                "port": self.mailbox.port,
                "what": what,
                "error": str(failure) or type(failure).__name__,
            }
        )

    def open(self) -> None:
        mailbox = self.mailbox
        password = resolve_password(mailbox)
        try:
            if mailbox.security == MailboxSecurity.SSL:
                self.connection = imaplib.IMAP4_SSL(
                    mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=self.timeout
                )
            else:
                self.connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=self.timeout)
                if mailbox.security == MailboxSecurity.STARTTLS:
                    self.connection.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as failure:
            raise self._fail(_("cannot connect"), failure) from None
        try:
            self.connection.login(mailbox.username, password)
        except imaplib.IMAP4.error as failure:
            self.close()
            raise self._fail(_("the server refused the user name or password"), failure) from None
        except OSError as failure:
            self.close()
            raise self._fail(_("the connection failed"), failure) from None
        # What the server offers once logged in (imaplib keeps only the greeting's list).
        status, data = self._command(_("the connection failed"), self.connection.capability)
        capabilities = {c.upper() for c in _text(data).split()} if status == "OK" else set()
        self.can_move = "MOVE" in capabilities
        self.has_uidplus = "UIDPLUS" in capabilities
        self._command(_("cannot create the folder for processed messages"), self._ensure_processed_folder)
        status, data = self._command(
            _("cannot open the folder %(folder)s") % {"folder": mailbox.folder},
            self.connection.select,
            _quote(mailbox.folder),
        )
        if status != "OK":
            raise MailboxError(
                _("Mailbox %(mailbox)s: the folder %(folder)s cannot be opened: %(error)s")
                % {"mailbox": mailbox.name, "folder": mailbox.folder, "error": _text(data)}
            )

    def _ensure_processed_folder(self):
        folder = _quote(self.mailbox.processed_folder)
        status, data = self.connection.list('""', folder)
        if status == "OK" and any(item for item in data if item):
            return status, data
        status, data = self.connection.create(folder)
        if status != "OK":
            raise MailboxError(
                _("Mailbox %(mailbox)s: the folder %(folder)s cannot be created: %(error)s")
                % {"mailbox": self.mailbox.name, "folder": self.mailbox.processed_folder, "error": _text(data)}
            )
        return status, data

    def _command(self, what: str, function, *args):
        try:
            return function(*args)
        except MailboxError:
            raise
        except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as failure:
            raise self._fail(what, failure) from None

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            connection.logout()
        with contextlib.suppress(Exception):
            connection.shutdown()

    def list_messages(self) -> list[ListedMessage]:
        """Every message in the folder: its UID and size, oldest first."""
        status, data = self._command(
            _("cannot list the messages"), self.connection.uid, "FETCH", "1:*", "(UID RFC822.SIZE)"
        )
        if status != "OK":
            raise MailboxError(_("Mailbox %(mailbox)s: cannot list the messages.") % {"mailbox": self.mailbox.name})
        listed = []
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not line:
                continue
            uid, size = _FETCH_UID.search(line), _FETCH_SIZE.search(line)
            if uid:
                listed.append(ListedMessage(uid=int(uid.group(1)), size=int(size.group(1)) if size else 0))
        listed.sort(key=lambda message: message.uid)
        return listed

    def fetch(self, uids: Sequence[int], *, headers_only: bool = False) -> Iterator[tuple[int, bytes]]:
        """(uid, raw message) of each of `uids` still there, without marking them read."""
        if not uids:
            return
        part = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        status, data = self._command(
            _("cannot fetch messages"), self.connection.uid, "FETCH", _uid_set(uids), f"(UID {part})"
        )
        if status != "OK":
            raise MailboxError(
                _("Mailbox %(mailbox)s: cannot fetch messages: %(error)s")
                % {"mailbox": self.mailbox.name, "error": _text(data)}
            )
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2:
                uid = _FETCH_UID.search(item[0])
                if uid:
                    yield int(uid.group(1)), item[1]

    def move_to_processed(self, uids: Sequence[int]) -> None:
        """Move messages whose outcome is committed to the processed folder."""
        if not uids:
            return
        if self.connection is None:
            raise MailboxError(_("Mailbox %(mailbox)s: not connected.") % {"mailbox": self.mailbox.name})
        uid_set = _uid_set(uids)
        folder = _quote(self.mailbox.processed_folder)
        what = _("cannot move processed messages to %(folder)s") % {"folder": self.mailbox.processed_folder}
        if self.can_move:
            status, data = self._command(what, self.connection.uid, "MOVE", uid_set, folder)
            if status != "OK":
                raise MailboxError(f"{self.mailbox.name}: {what}: {_text(data)}")
            return
        status, data = self._command(what, self.connection.uid, "COPY", uid_set, folder)
        if status != "OK":
            raise MailboxError(f"{self.mailbox.name}: {what}: {_text(data)}")
        self._command(what, self.connection.uid, "STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
        if self.has_uidplus:
            self._command(what, self.connection.uid, "EXPUNGE", uid_set)


def _uid_set(uids: Sequence[int]) -> str:
    """ "1:3,7,9:10" — compact, so a batch of thousands stays one short command line."""
    ordered = sorted(set(uids))
    ranges = []
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid == previous + 1:
            previous = uid
            continue
        ranges.append(f"{start}:{previous}" if start != previous else str(start))
        start = previous = uid
    ranges.append(f"{start}:{previous}" if start != previous else str(start))
    return ",".join(ranges)


def _text(data) -> str:
    parts = []
    for item in data or ():
        if isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
    return " ".join(parts) or "?"


# Raised by imaplib and sockets mid-run: the connection went away.
CONNECTION_LOST = (OSError, socket.timeout, imaplib.IMAP4.abort, imaplib.IMAP4.error)
