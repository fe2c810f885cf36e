"""parse_message: the raw bytes to a CapturedMessage, or UnreadableMessage."""

import hashlib
import re
from datetime import UTC
from email import policy as email_policy
from email.parser import BytesParser

from django.utils.translation import gettext

from .headers import Headers, ids_in, parse_addresses, parse_date, unique
from .kinds import CALENDAR_METHODS, calendar_text, kind_of
from .model import HASH_PREFIX, HASHED_TEXT_LENGTH, KIND_CALENDAR, AttachedFile, CapturedMessage, UnreadableMessage
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


def parse_message(raw: bytes, *, attachment_limit: int) -> CapturedMessage:
    """Everything the capture needs of one message; `UnreadableMessage` when it is not one."""
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise UnreadableMessage(gettext("The message is not a sequence of bytes."), code="not_bytes")
    if not raw.strip():
        raise UnreadableMessage(gettext("The message is empty."), code="empty")
    try:
        return _parse(raw, attachment_limit=attachment_limit)
    except UnreadableMessage:
        raise
    except RecursionError:
        raise UnreadableMessage(gettext("The message is nested too deeply to be read."), code="too_deep") from None
    except Exception as error:  # noqa: BLE001 - the contract: one bad message never stops a run
        raise UnreadableMessage(
            gettext("The message could not be read: %(error)s") % {"error": type(error).__name__},
            code="parser_error",
        ) from error


def _parse(raw: bytes, *, attachment_limit: int) -> CapturedMessage:
    # An empty line before the headers (some exports and relays add one) would make all of
    # the message its body.
    readable = without_large_attachments(raw) if len(raw) > ELIDE_ABOVE else raw
    message = BytesParser(policy=email_policy.compat32).parsebytes(readable.lstrip(b"\r\n"))
    hint = param(message, "charset")
    headers = Headers(message, hint)
    if not any(name in headers for name in _KNOWN_HEADERS):
        raise UnreadableMessage(
            gettext("The message has no e-mail headers (From, To, Date, Subject, Message-ID)."), code="no_headers"
        )

    subject = headers.text("subject")
    senders = parse_addresses(headers.all("from")[:1]) or parse_addresses(headers.all("sender")[:1])
    sender = senders[0] if senders else None
    to = parse_addresses(headers.all("to"))
    cc = parse_addresses(headers.all("cc"))
    date_header = headers.first("date")
    date = parse_date(date_header)

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

    message_ids = [ids[0] for ids in (ids_in(value) for value in headers.all("message-id")) if ids]
    if message_ids:
        message_id, missing = message_ids[0], False
    else:
        date_value = date.astimezone(UTC).isoformat() if date else clean(date_header or "")
        message_id, missing = _stable_hash(sender, to, cc, date_value, subject, text), True
    in_reply_to = next(iter(ids_in(headers.first("in-reply-to") or "")), None)
    references = unique([token for value in headers.all("references") for token in ids_in(value)])

    kind = kind_of(message, headers, subject, sender, text, calendar_method)

    size = len(raw)
    truncated = size > attachment_limit
    eml = shortened_eml(raw, text, attachment_limit, tuple(attachments)) if truncated else raw
    return CapturedMessage(
        message_id=message_id,
        message_id_was_missing=missing,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        sender=sender,
        to=to,
        cc=cc,
        date=date,
        kind=kind.kind,
        bounced_message_id=kind.bounced_message_id,
        bounce_reason=kind.bounce_reason,
        text=text,
        size=size,
        eml=eml,
        truncated=truncated,
        attachments=tuple(attachments),
        calendar_method=calendar_method if kind.kind == KIND_CALENDAR else None,
        bounced_recipients=kind.bounced_recipients,
    )
