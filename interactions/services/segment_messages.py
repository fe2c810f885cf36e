"""The e-mails of a logged segment as the SMTP transaction carries them, built cheaply: what
is the same for every message of a chunk (the sender, the unsubscribe URL's parts per
language, the signer, each subject's and Reply-To's encoded header, an attachment's MIME
part, base64 once) is prepared once per chunk; per message only its own values are
encoded and joined as bytes.

The bytes are the MIME structure Django's EmailMultiAlternatives gives the same message:
multipart/alternative (text/plain, text/html), inside multipart/mixed with the template's
attachment when there is one; UTF-8 parts in 7bit/8bit, quoted-printable when a line passes
998 octets (as Django does); RFC 2047 names and subjects (Django's sanitize_address and
Header); Message-ID, List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). Other e-mail
backends (console, file, locmem) get the same fields as a Django message.
"""

import dataclasses
import email.quoprimime
import io
import secrets
from email.generator import BytesGenerator
from email.header import Header
from email.utils import formataddr, formatdate
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .. import conf
from ..models import Attachment
from .communication import emails
from .segment_content import merged_html

UNSUBSCRIBE_SALT = "interactions.bulk-email-unsubscribe"
LINE_LIMIT = 998  # octets per line (RFC 5322), Django's limit before quoted-printable
HEADER_WIDTH = 78
_TOKEN_MARK = "0UNSUBSCRIBE0TOKEN0"

# What a chunk reads of each entry (one query: the content, the contact, the salesperson
# and the attachment's id and type).
CONTENT_VALUES = (
    "entry_id",
    "language",
    "subject",
    "body",
    "html",
    "address",
    "problem",
    "message_id",
    "handed_over_at",
    "attempts",
    "entry__contact_id",
    "entry__contact__name",
    "entry__salesperson_id",
    "entry__salesperson__name",
    "entry__salesperson__email",
    "entry__attachment_id",
    "entry__attachment__content_type",
)


def unsubscribe_token(*, contact_id: int, entry_no: int) -> str:
    return signing.dumps([contact_id, entry_no], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, contact_id: int, entry_no: int, language: str) -> str:
    with translation.override(language or None):
        path = reverse("interactions:unsubscribe", args=[unsubscribe_token(contact_id=contact_id, entry_no=entry_no)])
    return conf.settings.PUBLIC_URL.rstrip("/") + path


def default_text(language: str) -> str:
    with translation.override(language or None):
        return _("Please find the document attached.")


def ascii_address(address: str) -> str:
    """An address with an international domain in its ASCII form (IDNA, xn--...), as it
    travels in headers and the envelope; the mailbox name is ASCII already (checked before
    logging)."""
    local, at, domain = address.rpartition("@")
    if at and not domain.isascii():
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    return address


@dataclasses.dataclass
class Outgoing:
    """One message, ready for the SMTP transaction (`raw`, with CRLF line ends), and its
    fields for the other backends."""

    entry_no: int
    envelope_from: str
    recipients: list[str]
    raw: bytes
    subject: str
    text: str
    html: str
    to: str
    reply_to: list[str]
    headers: dict[str, str]
    attachment: emails.OutgoingFile | None

    def django_message(self) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[self.to],
            reply_to=self.reply_to,
            headers=self.headers,
        )
        message.attach_alternative(self.html, "text/html")
        if self.attachment is not None:
            message.attach(self.attachment.name, self.attachment.content, self.attachment.mimetype)
        return message


def _header_line(name: str, value: str) -> bytes:
    """`Name: value` with CRLF, RFC 2047-encoded when not ASCII and folded past 78
    characters, as the e-mail package writes it."""
    if value.isascii():
        if len(name) + 2 + len(value) <= HEADER_WIDTH:
            return f"{name}: {value}\r\n".encode("ascii")
        encoded = Header(value, header_name=name).encode(linesep="\r\n")
    else:
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def _address_header(name: str, address: str) -> str:
    """ "Name <address>" as Django's sanitize_address writes it (the name RFC 2047-encoded
    when not ASCII), for an address checked when the segment was logged (ASCII, IDNA)."""
    if not address.isascii() or "\n" in address or "\r" in address:
        raise ValueError(f"Invalid address {address!r}")
    if name.isascii():
        encoded = name if len(name) < 60 else Header(name).encode()  # short: as it is
    else:
        encoded = Header(name, "utf-8").encode()
    return formataddr((encoded, address))


def _text_part(subtype: str, text: str) -> bytes:
    """A text part in UTF-8: as it is (7bit / 8bit), or quoted-printable when a line is
    longer than SMTP allows (Django's rule)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    data = text.encode("utf-8")
    if any(len(line) > LINE_LIMIT for line in data.split(b"\n")):
        encoding = "quoted-printable"
        data = email.quoprimime.body_encode(data.decode("latin-1")).encode("ascii")
    else:
        encoding = "7bit" if text.isascii() else "8bit"
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'
    return head.encode("ascii") + data.replace(b"\n", b"\r\n")


def _boundary(*parts: bytes) -> bytes:
    while True:
        boundary = b"===============" + secrets.token_hex(10).encode("ascii") + b"=="
        if not any(boundary in part for part in parts):
            return boundary


def _multipart(subtype: str, parts: list[bytes]) -> tuple[bytes, bytes]:
    """(Content-Type header line, body) of a multipart of `parts` (each: headers, blank
    line, content)."""
    boundary = _boundary(*parts)
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"
    head = b"Content-Type: multipart/" + subtype.encode("ascii") + b'; boundary="' + boundary + b'"\r\n'
    return head, body


def _mime_part_bytes(part) -> bytes:
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False).flatten(part, linesep="\r\n")
    return buffer.getvalue()


class MessageBuilder:
    """Builds the messages of one chunk; keeps what they share."""

    def __init__(self) -> None:
        self.encoding = settings.DEFAULT_CHARSET or "utf-8"
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.envelope_from = sanitize_address(self.from_email, self.encoding)
        self.signer = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT)
        self.public_url = conf.settings.PUBLIC_URL.rstrip("/")
        self.localtime = settings.EMAIL_USE_LOCALTIME
        self._from_line = _header_line("From", self.envelope_from)
        self._url_parts: dict[str, tuple[str, str]] = {}
        self._subjects: dict[str, bytes] = {}
        self._reply_to: dict[int | None, tuple[list[str], bytes]] = {}
        self._default_texts: dict[str, str] = {}
        self._files: dict[int, tuple[emails.OutgoingFile, bytes]] = {}

    # --- what the messages share ---

    def _unsubscribe_url(self, *, contact_id: int, entry_no: int, language: str) -> str:
        parts = self._url_parts.get(language)
        if parts is None:
            with translation.override(language or None):
                path = reverse("interactions:unsubscribe", args=[_TOKEN_MARK])
            prefix, suffix = (self.public_url + path).split(_TOKEN_MARK)
            parts = self._url_parts[language] = (prefix, suffix)
        return parts[0] + self.signer.sign_object([contact_id, entry_no]) + parts[1]

    def _subject_line(self, subject: str) -> bytes:
        line = self._subjects.get(subject)
        if line is None:
            line = self._subjects[subject] = _header_line("Subject", subject)
        return line

    def _reply_to_of(self, row: dict[str, Any]) -> tuple[list[str], bytes]:
        key = row["entry__salesperson_id"]
        found = self._reply_to.get(key)
        if found is None:
            email_address = row["entry__salesperson__email"] or ""
            if key is None or not email_address:
                found = ([], b"")
            else:
                reply_to = emails.recipient(name=row["entry__salesperson__name"] or "", address=email_address)
                found = ([reply_to], _header_line("Reply-To", sanitize_address(reply_to, self.encoding)))
            self._reply_to[key] = found
        return found

    def _text(self, row: dict[str, Any]) -> str:
        if row["body"]:
            return row["body"]
        language = row["language"]
        if language not in self._default_texts:
            self._default_texts[language] = default_text(language)
        return self._default_texts[language]

    def _file(self, row: dict[str, Any]) -> tuple[emails.OutgoingFile, bytes] | None:
        attachment_id = row["entry__attachment_id"]
        if attachment_id is None or row["entry__attachment__content_type"] == emails.EML_CONTENT_TYPE:
            return None
        if attachment_id not in self._files:
            outgoing = emails.OutgoingFile.from_attachment(Attachment.objects.get(pk=attachment_id))
            carrier = EmailMultiAlternatives(from_email=self.from_email, to=["x@example.com"])
            carrier.attach(outgoing.name, outgoing.content, outgoing.mimetype)
            part = carrier.message().get_payload()[-1]
            self._files[attachment_id] = (outgoing, _mime_part_bytes(part))
        return self._files[attachment_id]

    # --- one message ---

    def build(self, row: dict[str, Any]) -> Outgoing:
        """The e-mail of one entry (a row of CONTENT_VALUES): text and HTML parts of the merged
        text, the template's attachment, the contact's name and address, Reply-To the
        salesperson, the entry's Message-ID and the unsubscribe headers. ValueError for an
        address or header that cannot be written (as Django refuses it)."""
        entry_no = row["entry_id"]
        language = row["language"]
        name = " ".join((row["entry__contact__name"] or "").split())
        address = ascii_address(row["address"])
        to = emails.recipient(name=name, address=address)
        to_header = _address_header(name, address)
        subject = " ".join(row["subject"].split())
        text = self._text(row)
        html = row["html"] or merged_html(text, language=language)
        url = self._unsubscribe_url(contact_id=row["entry__contact_id"], entry_no=entry_no, language=language)
        message_id = row["message_id"]
        if "\n" in message_id or "\r" in message_id:
            raise ValueError("Invalid Message-ID")
        reply_to, reply_to_line = self._reply_to_of(row)

        alternatives = [_text_part("plain", text), _text_part("html", html)]
        alternative_head, alternative_body = _multipart("alternative", alternatives)
        file = self._file(row)
        if file is None:
            content_head, content_body = alternative_head, alternative_body
        else:
            content_head, content_body = _multipart("mixed", [alternative_head + b"\r\n" + alternative_body, file[1]])
        raw = b"".join(
            (
                self._from_line,
                _header_line("To", to_header),
                reply_to_line,
                self._subject_line(subject),
                f"Date: {formatdate(localtime=self.localtime)}\r\nMessage-ID: {message_id}\r\n".encode("ascii"),
                f"List-Unsubscribe:\r\n <{url}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n".encode(
                    "ascii"
                ),
                b"MIME-Version: 1.0\r\n",
                content_head,
                b"\r\n",
                content_body,
            )
        )
        return Outgoing(
            entry_no=entry_no,
            envelope_from=self.envelope_from,
            recipients=[address],
            raw=raw,
            subject=subject,
            text=text,
            html=html,
            to=to,
            reply_to=reply_to,
            headers={
                "Message-ID": message_id,
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            attachment=file[0] if file else None,
        )
