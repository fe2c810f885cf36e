"""parse_message: the raw bytes to a CapturedMessage, or UnreadableMessage.

Two ways, one result. The whole parse (the standard library's parser over every line of the
message, then its parts) gives everything. Most messages need far less: the log keeps the
raw bytes as the .eml and needs only what the headers say, so the header-only parse
(`_parse_headers_only`) reads the header block alone, exactly as the standard library's
parser reads it (feedparser's rules, re-done on the block), and leaves the text and the
attached files to be read the first time someone asks for them. It gives way to the whole
parse whenever the outcome could depend on the body: no valid Message-ID (the hash covers
the text), a message over the attachment limit (its .eml is rebuilt from the text), a
delivery report or a mailer daemon's message (a bounce is read from its parts), any mention
of a calendar (an invitation is a kind of its own), a message of very many parts (the whole
parse may find it too deep), and headers it cannot read. test_mail_parsing holds the two to
the same result on the corpus and on the mutated-corpus property test.
"""

import functools
import hashlib
import re
from datetime import UTC
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser

from django.utils.translation import gettext

from .headers import Headers, ids_in, parse_addresses, parse_date, unique
from .kinds import CALENDAR_METHODS, calendar_text, is_auto_reply, is_daemon, kind_of
from .model import (
    HASH_PREFIX,
    HASHED_TEXT_LENGTH,
    KIND_AUTO_REPLY,
    KIND_CALENDAR,
    KIND_MESSAGE,
    AttachedFile,
    CapturedMessage,
    MessageBody,
    UnreadableMessage,
)
from .parts import (
    content_type_of,
    disposition_of,
    encoded_size,
    filename_of,
    html_to_text,
    leaves,
    multipart_or_part_text,
    param,
    part_text,
    tidy_text,
)
from .raw import ELIDE_ABOVE, shortened_eml, without_large_attachments
from .text import clean

# --------------------------------------------------------------------------- the message


def _stable_hash(sender, to, cc, date_value: str, subject: str, text: str) -> str:
    stable = "\n".join(
        [
            sender.email if sender else "",
            ",".join(address.email for address in to),
            ",".join(address.email for address in cc),
            date_value,
            subject,
            " ".join(text[:HASHED_TEXT_LENGTH].split()),
        ]
    )
    return HASH_PREFIX + hashlib.sha256(stable.encode("utf-8", "replace")).hexdigest()


_KNOWN_HEADERS = ("from", "to", "cc", "date", "subject", "message-id", "sender", "received", "return-path")


def parse_message(raw: bytes, *, attachment_limit: int, whole: bool = False) -> CapturedMessage:
    """Everything the capture needs of one message; `UnreadableMessage` when it is not one.
    By its headers alone when they are enough; with `whole`, always by the whole parse."""
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise UnreadableMessage(gettext("The message is not a sequence of bytes."), code="not_bytes")
    if not raw.strip():
        raise UnreadableMessage(gettext("The message is empty."), code="empty")
    try:
        return _parse(raw, attachment_limit=attachment_limit, whole=whole)
    except UnreadableMessage:
        raise
    except RecursionError:
        raise UnreadableMessage(gettext("The message is nested too deeply to be read."), code="too_deep") from None
    except Exception as error:  # noqa: BLE001 - the contract: one bad message never stops a run
        raise UnreadableMessage(
            gettext("The message could not be read: %(error)s") % {"error": type(error).__name__},
            code="parser_error",
        ) from error


def _parse(raw: bytes, *, attachment_limit: int, whole: bool = False) -> CapturedMessage:
    # An empty line before the headers (some exports and relays add one) would make all of
    # the message its body.
    readable = without_large_attachments(raw) if len(raw) > ELIDE_ABOVE else raw
    if not whole and len(raw) <= attachment_limit:
        quick = _parse_headers_only(raw, readable, attachment_limit=attachment_limit)
        if quick is not None:
            return quick
    message = BytesParser(policy=email_policy.compat32).parsebytes(readable.lstrip(b"\r\n"))
    hint = param(message, "charset")
    headers = Headers(message, hint)
    if not any(name in headers for name in _KNOWN_HEADERS):
        raise UnreadableMessage(
            gettext("The message has no e-mail headers (From, To, Date, Subject, Message-ID)."), code="no_headers"
        )
    said = _HeaderValues(headers)
    subject, sender, to, cc, date = said.subject, said.sender, said.to, said.cc, said.date

    plain, markup, attachments = [], [], []
    calendar_method, calendar = None, ""
    for part, attached in leaves(message):
        content_type = content_type_of(part)
        disposition = disposition_of(part)
        name = filename_of(part, hint)
        if content_type == "text/calendar" and not attached:
            method = (param(part, "method") or "").upper()
            if not method:
                found = re.search(r"^METHOD:\s*(\w+)", part_text(part), re.MULTILINE | re.IGNORECASE)
                method = found.group(1).upper() if found else ""
            if method in CALENDAR_METHODS and calendar_method is None:
                calendar_method, calendar = method, part_text(part)
        if attached:
            continue
        if content_type.startswith("multipart/"):
            # A multipart whose parts cannot be found: its body, as text, is all there is.
            plain.append(part)
        elif content_type in ("text/plain", "text/html") and disposition != "attachment" and not name:
            (plain if content_type == "text/plain" else markup).append(part)
        elif name or disposition == "attachment" or not content_type.startswith(("text/", "message/", "multipart/")):
            attachments.append(AttachedFile(name=name, content_type=content_type, size=encoded_size(part)))
    if plain:
        text = "\n\n".join(tidy_text(multipart_or_part_text(part)) for part in plain)
    else:
        text = "\n\n".join(html_to_text(part_text(part, html_part=True)) for part in markup)
    text = tidy_text(text)
    if not text and calendar:  # an invitation with nothing but its calendar
        text = tidy_text(calendar_text(calendar))

    if said.message_ids:
        message_id, missing = said.message_ids[0], False
    else:
        date_value = date.astimezone(UTC).isoformat() if date else clean(said.date_header or "")
        message_id, missing = _stable_hash(sender, to, cc, date_value, subject, text), True

    kind = kind_of(message, headers, subject, sender, text, calendar_method)

    size = len(raw)
    truncated = size > attachment_limit
    eml = shortened_eml(raw, text, attachment_limit, tuple(attachments)) if truncated else raw
    return CapturedMessage(
        message_id=message_id,
        message_id_was_missing=missing,
        in_reply_to=said.in_reply_to,
        references=said.references,
        subject=subject,
        sender=sender,
        to=to,
        cc=cc,
        date=date,
        kind=kind.kind,
        bounced_message_id=kind.bounced_message_id,
        bounce_reason=kind.bounce_reason,
        body_source=MessageBody(text=text, attachments=tuple(attachments)),
        size=size,
        eml=eml,
        truncated=truncated,
        calendar_method=calendar_method if kind.kind == KIND_CALENDAR else None,
        bounced_recipients=kind.bounced_recipients,
    )


class _HeaderValues:
    """What the headers say, as both ways of parsing read it."""

    def __init__(self, headers: Headers):
        self.subject = headers.text("subject")
        senders = parse_addresses(headers.all("from")[:1]) or parse_addresses(headers.all("sender")[:1])
        self.sender = senders[0] if senders else None
        self.to = parse_addresses(headers.all("to"))
        self.cc = parse_addresses(headers.all("cc"))
        self.date_header = headers.first("date")
        self.date = parse_date(self.date_header)
        self.message_ids = [ids[0] for ids in (ids_in(value) for value in headers.all("message-id")) if ids]
        self.in_reply_to = next(iter(ids_in(headers.first("in-reply-to") or "")), None)
        self.references = unique([token for value in headers.all("references") for token in ids_in(value)])


# --------------------------------------------------------------------------- headers only

# A message with more Content-Type headers than this may nest its parts deeper than the
# whole parse can follow (it would be unreadable, "too_deep"): it is parsed whole.
_MOST_PARTS_READ_BY_HEADERS = 100


def _parse_headers_only(raw: bytes, readable: bytes, *, attachment_limit: int) -> CapturedMessage | None:
    """The message read from its header block alone, or None when its outcome may depend on
    its body (see the module's docstring) and it must be parsed whole."""
    message = _header_block(readable.lstrip(b"\r\n"))
    headers = Headers(message, param(message, "charset"))
    if not any(name in headers for name in _KNOWN_HEADERS):
        return None
    said = _HeaderValues(headers)
    if not said.message_ids or content_type_of(message) == "multipart/report" or is_daemon(said.sender, headers):
        return None
    lowered = readable.lower()
    if b"calendar" in lowered or lowered.count(b"content-type") > _MOST_PARTS_READ_BY_HEADERS:
        return None
    return CapturedMessage(
        message_id=said.message_ids[0],
        message_id_was_missing=False,
        in_reply_to=said.in_reply_to,
        references=said.references,
        subject=said.subject,
        sender=said.sender,
        to=said.to,
        cc=said.cc,
        date=said.date,
        kind=KIND_AUTO_REPLY if is_auto_reply(headers, said.subject) else KIND_MESSAGE,
        bounced_message_id=None,
        bounce_reason=None,
        body_source=functools.partial(_whole_body, raw, attachment_limit),
        size=len(raw),
        eml=raw,
        truncated=False,
    )


def _whole_body(raw: bytes, attachment_limit: int) -> MessageBody:
    """The text and files of a message read by its headers, when first asked for."""
    try:
        return _parse(raw, attachment_limit=attachment_limit, whole=True).body
    except Exception:  # noqa: BLE001 - the contract of parse_message: nothing but UnreadableMessage
        # Not seen: what the header-only parse takes, the whole parse reads (the tests hold it).
        return MessageBody(text="")


# feedparser's patterns: a header (or continuation) line, and the lines of its input.
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_SOURCE = email_policy.compat32


def _header_block(data: bytes) -> Message:
    """A Message with the headers the standard library's parser (compat32) reads from
    `data`, and no body: the same lines taken as headers (email.feedparser's _parsegen), the
    same values kept (its _parse_headers), from the header block alone."""
    ends = [index for index in (data.find(b"\n\n"), data.find(b"\n\r"), data.find(b"\r\r")) if index >= 0]
    # The block ends at the first empty line at the latest (\r\n, \r and \n all end a line).
    text = data[: min(ends) + 2 if ends else len(data)].decode("ascii", "surrogateescape")
    lines = []
    for line in _LINES.findall(text):
        if not _HEADER_LINE.match(line):
            break  # the empty line, or the first line of the body
        lines.append(line)
    message = Message()
    last: list[str] = []
    for number, line in enumerate(lines):
        if line[0] in " \t":
            if last:  # a continuation; one before any header is dropped
                last.append(line)
            continue
        if last:
            message.set_raw(*_SOURCE.header_source_parse(last))
            last = []
        if line.startswith("From "):
            if number == 0:
                continue  # the mbox "From " line
            if number == len(lines) - 1:
                break  # the first line of the body
            continue
        if line.find(":") == 0:
            continue  # no name
        last = [line]
    if last:
        message.set_raw(*_SOURCE.header_source_parse(last))
    return message
