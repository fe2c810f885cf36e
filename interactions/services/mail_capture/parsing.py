"""Parsing of captured e-mail: one raw message (the bytes IMAP gives) in, one
`CapturedMessage` of plain values out.

Invariants (the capture run relies on them, and tests/test_mail_parsing.py holds them to it):
- `parse_message` raises nothing but `UnreadableMessage`, whatever the bytes: broken MIME,
  truncated parts, unknown charsets, 8-bit headers, garbage. A part that cannot be read is
  left out; only a message without a single recognisable header is unreadable.
- Every text it returns can be stored in any database: no NUL or other control characters
  (but newline and tab in the body), no lone surrogates.
- The same bytes always give the same `message_id`; a message without one gets "hash:" and
  the SHA-256 of its stable headers and the start of its text, which a copy of the message
  in another mailbox (refolded headers, another transfer encoding) shares.
- `eml` is what the log keeps: the raw bytes when they fit the attachment limit, otherwise
  the original headers with the text only, rebuilt as a valid message that parses to the
  same Message-ID, subject, addresses and text, and never larger than the limit when the
  headers alone fit.
- Addresses are compared in one normal form (interactions.selectors.email_addresses):
  lowercased, IDNA domains in Unicode.

The standard library's email package is used in its compat32 mode on purpose: it never
interprets header values itself (the modern policy's parser raises on some malformed
headers), so every header is decoded here, by rules we can test.
"""

import base64
import binascii
import codecs
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from django.utils.translation import gettext

from interactions.selectors.email_addresses import ascii_form, normalize_email

__all__ = [
    "Address",
    "AttachedFile",
    "CapturedMessage",
    "UnreadableMessage",
    "normalize_email",
    "parse_message",
]

# A Message-ID longer than this (inside the angle brackets) is not taken as one: no mail
# program makes them so long, and the log stores it in a column of MESSAGE_ID_MAX_LENGTH.
MESSAGE_ID_MAX_LENGTH = 250
HASH_PREFIX = "hash:"
HASHED_TEXT_LENGTH = 4096
KIND_MESSAGE, KIND_BOUNCE, KIND_AUTO_REPLY, KIND_CALENDAR = "message", "bounce", "auto_reply", "calendar"
# The header a shortened .eml carries, saying what it was.
TRUNCATED_HEADER = "X-Interactions-Truncated"


class UnreadableMessage(Exception):
    """The bytes are not an e-mail message at all; `reason` says why, for the health page."""

    def __init__(self, reason: str, *, code: str = "unreadable"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class Address:
    """One address of a message: the display name as decoded, the e-mail in normal form."""

    name: str
    email: str

    @property
    def ascii_email(self) -> str:
        """The address with its domain in IDNA-ASCII ("xn--") spelling."""
        return ascii_form(self.email)

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class AttachedFile:
    """A file attached to the message (its name decoded; its size estimated from the part)."""

    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class CapturedMessage:
    message_id: str
    message_id_was_missing: bool
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    kind: str
    bounced_message_id: str | None
    bounce_reason: str | None
    text: str
    size: int
    eml: bytes
    truncated: bool
    attachments: tuple[AttachedFile, ...] = field(default=())
    calendar_method: str | None = None  # REQUEST, REPLY, CANCEL or COUNTER for a calendar message
    # For a bounce: the recipients whose delivery failed (normal form), from the report, the
    # text, or else the returned original's To and Cc.
    bounced_recipients: tuple[str, ...] = ()

    def addresses(self) -> tuple[Address, ...]:
        """From, To and Cc, each address once (the first spelling of its name wins)."""
        seen: dict[str, Address] = {}
        for address in ((self.sender,) if self.sender else ()) + self.to + self.cc:
            seen.setdefault(address.email, address)
        return tuple(seen.values())


# --------------------------------------------------------------------------- text decoding

_CHARSET_ALIASES = {
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "x-cp1251": "cp1251",
    "windows1251": "cp1251",
    "cp-1251": "cp1251",
    "koi8": "koi8-r",
    "koi8r": "koi8-r",
    "x-koi8-r": "koi8-r",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-cyrillic": "mac-cyrillic",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
}
# Charsets that say nothing about the bytes: the text is guessed.
_UNKNOWN_CHARSETS = {"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "charset", "8bit"}
# Codecs that are not charsets of text even though Python knows their names.
_NOT_CHARSETS = {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem"}


def _codec(name: str | None) -> str | None:
    """The Python codec of a MIME charset name, or None when unknown or not a text charset."""
    if not name or not isinstance(name, str):
        return None
    name = name.strip().strip("\"'").lower().split("*", 1)[0]
    if not name or name in _UNKNOWN_CHARSETS or len(name) > 40:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


_RUSSIAN_LOWER = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
_BOX_DRAWING = {chr(code) for code in range(0x2500, 0x25A0)}


def _cyrillic_score(text: str) -> int:
    """How much `text` looks like Russian: lowercase letters in runs count, letters glued to
    Latin ones and box drawing (KOI8-R's upper half read wrongly) count against."""
    score = 0
    previous = ""
    for char in text:
        if char in _RUSSIAN_LOWER:
            score += 2
        elif char in _CYRILLIC:
            score += 1
        elif char in _BOX_DRAWING:
            score -= 3
        if char in _CYRILLIC and previous.isascii() and previous.isalpha():
            score -= 4
        previous = char
    return score


def _guess_8bit(data: bytes) -> str:
    """Text of bytes in no declared (or a wrong) charset: UTF-8 if they are, else the
    likelier of Windows-1251 and KOI8-R, else Windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [(data.decode(codec, "replace"), codec) for codec in ("cp1251", "koi8-r")]
    scored = [(_cyrillic_score(text), text) for text, _codec_name in candidates]
    best_score, best_text = max(scored, key=lambda pair: pair[0])
    if best_score > 0:
        return best_text
    return data.decode("cp1252", "replace")


_SINGLE_BYTE = {"cp1251", "koi8-r", "koi8-u", "cp1252", "latin-1", "iso8859-1", "iso8859-5", "iso8859-15", "cp866"}


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text of `data` in its declared `charset`, falling back to a guess when the charset is
    unknown, says ASCII of 8-bit bytes, or does not decode them. Never raises.

    Bytes that are valid UTF-8 are read as UTF-8 even when a one-byte charset is declared:
    mail programs that declare windows-1251 and send UTF-8 are common, while Cyrillic or
    Western text in a one-byte charset is practically never valid UTF-8 by chance."""
    if not data:
        return ""
    codec = _codec(charset)
    if data.isascii():
        return data.decode("ascii")
    if codec in _SINGLE_BYTE:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec and codec != "ascii":
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    return _guess_8bit(data)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean(text: str, *, keep_lines: bool = False) -> str:
    """Text safe to store: controls and lone surrogates out; one line unless `keep_lines`."""
    if keep_lines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROL.sub(lambda match: "" if match.group() < "\ud800" else "\ufffd", text)
    text = _CONTROL.sub(lambda match: " " if match.group() < "\ud800" else "\ufffd", text)
    return " ".join(text.split())


# --------------------------------------------------------------------------- headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*?)\?=")


def _encoded_word_bytes(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        cleaned = payload.strip().rstrip("=")
        if not re.fullmatch(r"[A-Za-z0-9+/]*", cleaned) or len(cleaned) % 4 == 1:
            raise ValueError("not base64")
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    try:
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return payload.encode("ascii", "replace")


def decode_words(text: str) -> str:
    """`text` with its RFC 2047 encoded-words decoded. Adjacent words of one charset are
    joined before decoding (mailers split multibyte characters between words); the
    whitespace between encoded-words goes, as the RFC says."""
    if "=?" not in text:
        return text
    pieces: list[str] = []
    pending: bytes = b""
    pending_charset: str | None = None
    position = 0

    def flush():
        nonlocal pending, pending_charset
        if pending:
            pieces.append(decode_bytes(pending, pending_charset))
        pending, pending_charset = b"", None

    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        if gap and (gap.strip() or not pending):
            flush()
            pieces.append(gap)
        charset = match.group(1)
        try:
            data = _encoded_word_bytes(match.group(2), match.group(3))
        except ValueError:  # a word that only looks encoded stays as it is
            flush()
            pieces.append(match.group())
            position = match.end()
            continue
        if pending and _codec(charset) != _codec(pending_charset):
            flush()
        pending += data
        pending_charset = charset
        position = match.end()
    flush()
    pieces.append(text[position:])
    return "".join(pieces)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")


def _raw_header_text(value, hint: str | None = None) -> str:
    """A header value as the parser keeps it (8-bit bytes as surrogates) as text: raw 8-bit
    bytes decoded as UTF-8, the message's charset, or a guess; encoded-words left as they are."""
    if not isinstance(value, str):
        value = str(value)
    value = _unfold(value)
    if value.isascii():
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _codec(hint)
    if codec and codec not in ("ascii", "utf-8"):
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    return _guess_8bit(data)


class _Headers:
    """A message's headers in order, by lowercase name, as raw text (not yet decoded)."""

    def __init__(self, message: Message, hint: str | None):
        self.hint = hint
        self.items: list[tuple[str, str]] = []
        for name, value in message.raw_items():
            self.items.append((str(name).strip().lower(), value if isinstance(value, str) else str(value)))

    def all(self, name: str) -> list[str]:
        return [_raw_header_text(value, self.hint) for key, value in self.items if key == name]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def text(self, name: str) -> str:
        """The first `name` header decoded, one line; "" when absent."""
        value = self.first(name)
        return _clean(decode_words(value)) if value is not None else ""

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _value in self.items)


def _addresses(values: list[str]) -> tuple[Address, ...]:
    found: dict[str, Address] = {}
    try:
        pairs = getaddresses(values)
    except Exception:  # noqa: BLE001 - a header that trips the parser: its tokens are tried below
        pairs = [("", token) for value in values for token in re.findall(r"[^\s<>,;\"']+@[^\s<>,;\"']+", value)]
    for name, email in pairs:
        normalized = normalize_email(decode_words(email))
        if normalized is None or normalized in found:
            continue
        display = _clean(decode_words(name)).strip("\"' ")
        found[normalized] = Address(name=display, email=normalized)
    return tuple(found.values())


_ID_TOKEN = re.compile(r"<([^<>\s]*)>")


def _valid_id(inner: str) -> bool:
    return 0 < len(inner) <= MESSAGE_ID_MAX_LENGTH and all("\x21" <= char <= "\x7e" for char in inner)


def _message_ids(value: str) -> list[str]:
    """The message identifiers in a Message-ID, In-Reply-To or References header, as
    "<...>"; a bare identifier without brackets (some mailers) gets them."""
    value = re.sub(r"\([^()]*\)", " ", value)  # comments
    tokens = _ID_TOKEN.findall(value)
    if not tokens and "<" not in value and ">" not in value:
        tokens = [token for token in value.split() if "@" in token.strip("@")]
    return [f"<{token}>" for token in tokens if _valid_id(token)]


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(_clean(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not 1970 <= parsed.year <= 2999:
        return None
    return parsed


# --------------------------------------------------------------------------- parts


def _raw_value(part: Message, header: str) -> str | None:
    for key, value in part.raw_items():
        if str(key).strip().lower() == header:
            return value if isinstance(value, str) else str(value)
    return None


def _param(part: Message, name: str, header: str = "content-type", hint: str | None = None) -> str | None:
    """A parameter of a header (charset, boundary, filename...), 8-bit bytes in it decoded
    like a header's, RFC 2231 values (filename*=utf-8''...) decoded too."""
    raw = _raw_value(part, header)
    if raw is None:
        return None
    holder = Message()
    holder[header] = _raw_header_text(raw, hint)
    try:
        value = holder.get_param(name, header=header)
    except Exception:  # noqa: BLE001 - a malformed parameter is as good as none
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        charset, _language, raw = value  # the value already %-decoded, as Latin-1
        data = raw.encode("latin-1", "replace") if isinstance(raw, str) else bytes(raw)
        return decode_bytes(data, charset)
    if value is None:
        return None
    return str(value)


def _payload(part: Message):
    """The part's payload as the parser left it: a list of parts, or the body as text (8-bit
    bytes as surrogates). Message.get_payload() is not used: it decodes the text with the
    part's charset parameter, and raises on some (a NUL in the charset's name)."""
    return part._payload


def _header(part: Message, header: str) -> str:
    """A header of the part as one line of text ("" when absent)."""
    raw = _raw_value(part, header)
    return _clean(_raw_header_text(raw)) if raw is not None else ""


def _content_type(part: Message) -> str:
    """The part's MIME type, lowercase; text/plain when missing or malformed (RFC 2045)."""
    value = _header(part, "content-type").split(";", 1)[0].strip().lower()
    kind, slash, subtype = value.partition("/")
    if not slash or not kind or not subtype or " " in value:
        return "text/plain"
    return value


def _disposition(part: Message) -> str:
    return _header(part, "content-disposition").split(";", 1)[0].strip().lower()


def _filename(part: Message, hint: str | None) -> str:
    name = _param(part, "filename", "content-disposition", hint) or _param(part, "name", hint=hint)
    if not name:
        return ""
    return _clean(decode_words(name))


def _transfer_encoding(part: Message) -> str:
    return _header(part, "content-transfer-encoding").split(";", 1)[0].strip().lower()


def _payload_bytes(part: Message) -> bytes:
    """The decoded body of a leaf part: base64 and quoted-printable undone, leniently (a
    broken line is skipped, not the part); other encodings as they are."""
    payload = _payload(part)
    if not isinstance(payload, str):
        return b""
    data = payload.encode("utf-8", "surrogateescape")
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        # Up to the padding; characters outside the alphabet (line ends, junk) skipped.
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data.split(b"=", 1)[0])
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]
        try:
            return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return data
    if encoding == "quoted-printable":
        try:
            return binascii.a2b_qp(data)
        except (binascii.Error, ValueError):
            return data
    return data


def _encoded_size(part: Message) -> int:
    raw = _payload(part)
    if not isinstance(raw, str):
        return 0
    elided = _ELIDED.match(raw)
    before = 0
    if elided:  # the run of lines cut out before the parse, and the lines after it
        before, raw = int(elided.group(1)), raw[elided.end() :]
    if _transfer_encoding(part) != "base64":
        return before + len(raw)
    letters = len(raw) - raw.count("\n") - raw.count("\r") - raw.count(" ") - raw.count("\t")
    return before + letters * 3 // 4 - raw.rstrip()[-4:].count("=")


_DELIMITER = re.compile(r"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", re.MULTILINE)


def _repaired_children(part: Message) -> list[Message] | None:
    """The parts of a multipart whose declared boundary is missing or wrong, split at the
    boundary its body does use; None when it uses none."""
    payload = _payload(part)
    if not isinstance(payload, str):
        return None
    found = _DELIMITER.search(payload)
    if not found:
        return None
    boundary = found.group(1)
    data = payload.encode("utf-8", "surrogateescape")
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    children = _payload(BytesParser(policy=email_policy.compat32).parsebytes(head + data))
    if isinstance(children, list) and children and all(isinstance(child, Message) for child in children):
        return children
    return None


def _leaves(message: Message) -> Iterator[tuple[Message, bool]]:
    """The leaf parts in document order, with whether they lie inside an attached message
    (message/rfc822), without recursion (a deeply nested message must not exhaust the stack).
    A multipart whose boundary does not match its body is split at the one it uses."""
    stack: list[tuple[Message, bool]] = [(message, False)]
    while stack:
        part, attached = stack.pop()
        payload = _payload(part)
        if not isinstance(payload, list) and _content_type(part).startswith("multipart/"):
            payload = _repaired_children(part) or payload
        if isinstance(payload, list):
            inside = attached or (part is not message and _content_type(part).startswith("message/"))
            stack.extend((child, inside) for child in reversed(payload) if isinstance(child, Message))
        else:
            yield part, attached


def _parts(message: Message) -> Iterator[Message]:
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        payload = _payload(part)
        if isinstance(payload, list):
            stack.extend(child for child in reversed(payload) if isinstance(child, Message))


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _part_text(part: Message, *, html_part: bool = False) -> str:
    data = _payload_bytes(part)
    charset = _param(part, "charset")
    if not charset and html_part:
        found = _META_CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii") if found else None
    text = decode_bytes(data, charset)
    if not html_part and (_param(part, "format") or "").lower() == "flowed":
        text = _unflowed(text, delete_space=(_param(part, "delsp") or "").lower() == "yes")
    return text


def _unflowed(text: str, *, delete_space: bool) -> str:
    """format=flowed text (RFC 3676) as the paragraphs its writer typed: a line ending in a
    space goes on in the next line of the same quote depth."""
    lines: list[tuple[int, str]] = []
    flowing = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]  # space-stuffing
        content = stripped
        soft = content.endswith(" ") and content != "-- "
        if soft and delete_space:
            content = content[:-1]
        if flowing and lines and lines[-1][0] == depth:
            lines[-1] = (depth, lines[-1][1] + content)
        else:
            lines.append((depth, content))
        flowing = soft
    return "\n".join(("> " * depth if depth else "") + content for depth, content in lines)


def _multipart_or_part_text(part: Message) -> str:
    if _content_type(part).startswith("multipart/"):
        payload = _payload(part)
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return decode_bytes(data, _param(part, "charset"))
    return _part_text(part)


class _HtmlText(HTMLParser):
    """HTML to readable text: paragraphs apart by an empty line, lines by a newline, list
    items marked, links with their address, scripts and styles left out, spaces as a
    browser shows them."""

    PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "ul", "ol", "pre", "hr", "dl"}
    LINES = {"br", "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "address", "center"}
    HIDDEN = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.breaks = 0  # newlines owed before the next text: 1 a line, 2 a paragraph
        self.hidden = 0
        self.preformatted = 0
        self.links: list[str | None] = []

    def _break(self, count: int) -> None:
        self.breaks = max(self.breaks, count)

    def _write(self, text: str) -> None:
        if self.out and self.breaks:
            self.out.append("\n" * self.breaks)
        self.breaks = 0
        self.out.append(text)

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
            return
        if tag == "pre":
            self.preformatted += 1
        if tag in self.PARAGRAPHS:
            self._break(2)
        elif tag in self.LINES:
            self._break(1)
        if tag == "li":
            self._write("- ")
        elif tag in ("td", "th") and self.out and not self.breaks:
            self.out.append("\t")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag == "pre":
            self.preformatted = max(0, self.preformatted - 1)
        if tag in self.PARAGRAPHS:
            self._break(2)
        elif tag in self.LINES and tag != "br":
            self._break(1)
        if tag == "a" and self.links:
            href = self.links.pop()
            shown = "".join(self.out[-3:])
            if href and href.lower().startswith(("http://", "https://")) and href not in shown:
                self._write(f" ({href})")

    def handle_data(self, data):
        if self.hidden:
            return
        if not self.preformatted:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
            if self.breaks or not self.out or self.out[-1].endswith((" ", "\n", "\t")):
                data = data.lstrip(" ")
            if not data:
                return
        self._write(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body (never raises: tags are stripped when parsing fails)."""
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.out)
    except Exception:  # noqa: BLE001 - html.parser gives up on some broken markup
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [line.replace("\xa0", " ").rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _tidy_text(text: str) -> str:
    text = _clean(text, keep_lines=True)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# --------------------------------------------------------------------------- kinds


_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|vacation|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|автоответ|автоматический ответ|нет на месте|в отпуске)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered|delivery status notification|delivery failure|mail delivery failed|failure notice|"
    r"returned mail|delivery has failed|could not be delivered|message not delivered|"
    r"недоставлен|не доставлен|не удалось доставить|не удается доставить)",
    re.IGNORECASE,
)
_DAEMONS = {"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "mail.delivery.system"}
_CALENDAR_METHODS = {"REQUEST", "REPLY", "CANCEL", "COUNTER"}
_FAILED_ACTIONS = {"failed"}
_STATUS_MEANINGS = {
    "5.1.1": "the mailbox does not exist",
    "5.1.2": "the domain does not exist",
    "5.1.10": "the recipient's address is not accepted",
    "5.2.1": "the mailbox is disabled",
    "5.2.2": "the mailbox is full",
    "5.2.3": "the message is too large",
    "5.3.4": "the message is too large",
    "5.4.1": "the recipient's server refused the address",
    "4.4.7": "delivery time expired",
    "5.4.7": "delivery time expired",
    "5.7.1": "delivery not authorised, refused by the recipient's server",
    "4.2.2": "the mailbox is full",
}


def _auto_reply(headers: _Headers, subject: str) -> bool:
    submitted = (headers.first("auto-submitted") or "").strip().lower()
    if submitted and submitted.split(";", 1)[0].strip() != "no":
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers or "x-autogenerated" in headers:
        return True
    precedence = (headers.first("precedence") or "").strip().lower()
    if precedence == "auto_reply":
        return True
    if _AUTO_REPLY_SUBJECT.search(subject):
        # A person may write "Out of office tomorrow": the subject counts only together with
        # what automatic replies carry (Exchange's markers, an empty return path, bulk).
        return_path = (headers.first("return-path") or "").strip()
        return (
            "x-auto-response-suppress" in headers
            or "x-ms-exchange-inbox-rules-loop" in headers
            or "x-ms-exchange-generated-message-source" in headers
            or return_path in ("<>", "")
            and "return-path" in headers
            or precedence in ("bulk", "junk", "list")
        )
    return False


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The fields of a message/delivery-status part, one dict per block."""
    payload = _payload(part)
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                blocks.append(
                    {str(k).lower(): _clean(_raw_header_text(v)) for k, v in block.raw_items()}
                    | _fields_of(_payload(block) if isinstance(_payload(block), str) else "")
                )
    elif isinstance(payload, str):
        text = decode_bytes(_payload_bytes(part))
        for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
            blocks.append(_fields_of(chunk))
    return [block for block in blocks if block]


def _fields_of(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    try:
        parsed = HeaderParser(policy=email_policy.compat32).parsestr(text)
    except Exception:  # noqa: BLE001
        return fields
    for key, value in parsed.raw_items():
        fields.setdefault(str(key).lower(), _clean(_raw_header_text(value)))
    return fields


def _readable_reason(block: dict[str, str]) -> str:
    recipient = block.get("final-recipient") or block.get("original-recipient") or ""
    recipient = recipient.split(";", 1)[-1].strip()
    diagnostic = block.get("diagnostic-code", "")
    if ";" in diagnostic[:12]:
        diagnostic = diagnostic.split(";", 1)[1].strip()
    status = block.get("status", "").split()[0] if block.get("status") else ""
    reason = diagnostic or (f"{status} {_STATUS_MEANINGS.get(status, '')}".strip() if status else "")
    if status and diagnostic and status not in diagnostic:
        reason = f"{reason} ({status})"
    if not reason:
        reason = block.get("action", "")
    return f"{recipient}: {reason}" if recipient and reason else reason or recipient


_SMTP_LINE = re.compile(r"(\b[245]\.\d{1,3}\.\d{1,3}\b|\b[45]\d\d[ -])")
_INLINE_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


def _reason_in_text(text: str) -> str | None:
    """The reason of a bounce written for people: exim's "failed addresses", or the first
    line with an SMTP code."""
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if "following address(es) failed" in line.lower() or "following recipients failed" in line.lower():
            rest: list[str] = []
            for candidate in lines[index + 1 : index + 12]:
                if not candidate and rest:
                    break
                if candidate:
                    rest.append(candidate)
            if rest:
                return _clean(" ".join(rest))[:500]
    for index, line in enumerate(lines):
        if _SMTP_LINE.search(line):
            joined = " ".join(candidate for candidate in lines[index : index + 2] if candidate)
            return _clean(joined)[:500]
    paragraphs = [paragraph.strip() for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()]
    return _clean(paragraphs[0])[:500] if paragraphs else None


def _original(message: Message) -> tuple[str | None, tuple[str, ...]]:
    """The Message-ID and the recipients of the message a bounce returns: from its attached
    copy (message/rfc822) or its headers (text/rfc822-headers)."""
    for part in _parts(message):
        content_type = _content_type(part)
        if part is message:
            continue
        inner: Message | None = None
        if content_type in ("message/rfc822", "message/global"):
            payload = _payload(part)
            inner = payload[0] if isinstance(payload, list) and payload else None
            if (
                isinstance(inner, Message)
                and _raw_value(inner, "message-id") is None
                and isinstance(_payload(inner), str)
            ):
                # An attached message wrongly given a transfer encoding (seen from Exchange).
                inner = BytesParser(policy=email_policy.compat32).parsebytes(_payload_bytes(part))
        elif content_type in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            inner = HeaderParser(policy=email_policy.compat32).parsestr(
                decode_bytes(_payload_bytes(part)).lstrip("\r\n")
            )
        if not isinstance(inner, Message):
            continue
        headers = _Headers(inner, None)
        ids = [ids[0] for ids in (_message_ids(value) for value in headers.all("message-id")) if ids]
        if ids:
            recipients = _addresses(headers.all("to")) + _addresses(headers.all("cc"))
            return ids[0], _unique([address.email for address in recipients])
    return None, ()


# --------------------------------------------------------------------------- the .eml


_DROPPED_IN_EML = {
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "content-disposition",
    "content-length",
    "content-id",
    "content-description",
    TRUNCATED_HEADER.lower(),
}


def _header_block(raw: bytes) -> tuple[bytes, bytes]:
    """The raw header block (without the empty line) and its line ending."""
    ends = [(raw.find(b"\r\n\r\n"), b"\r\n"), (raw.find(b"\n\n"), b"\n")]
    ends = [(index, newline) for index, newline in ends if index >= 0]
    if not ends:
        newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
        return raw, newline
    index, newline = min(ends)
    return raw[:index], newline


def _shortened_eml(raw: bytes, text: str, limit: int, attachments: tuple[AttachedFile, ...]) -> bytes:
    """The original headers (but its MIME ones) and the text as one UTF-8 text/plain part."""
    block, newline = _header_block(raw)
    fields: list[bytes] = []
    for line in re.split(rb"\r?\n", block):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += newline + line
        elif line.strip():
            fields.append(line)
    kept = [item for item in fields if item.split(b":", 1)[0].strip().lower().decode("latin-1") not in _DROPPED_IN_EML]
    note = f"original size {len(raw)} bytes; attachments and other parts removed ({len(attachments)} file(s))"
    head = newline.join(
        kept
        + [
            b"MIME-Version: 1.0",
            b'Content-Type: text/plain; charset="utf-8"',
            b"Content-Transfer-Encoding: quoted-printable",
            f"{TRUNCATED_HEADER}: {note}".encode("ascii"),
        ]
    )
    body_text = text
    for _attempt in range(8):
        body = binascii.b2a_qp(body_text.replace("\n", newline.decode()).encode("utf-8"), istext=True)
        eml = head + newline + newline + body + newline
        if len(eml) <= limit or not body_text:
            return eml
        room = limit - len(head) - 3 * len(newline)
        body_text = body_text[: max(0, int(len(body_text) * room / max(len(body), 1)) - 16)]
    return head + newline + newline


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


# Messages larger than this have their big base64 attachments cut out before the parse:
# the standard library's parser reads every line in Python (seconds and hundreds of
# megabytes for a 30 MB attachment) and the capture never needs an attachment's bytes.
ELIDE_ABOVE = 1024 * 1024
_BASE64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{20,}={0,2}[ \t]*\r?\n){1000,}")
_ELIDED = re.compile(r"^\[elided (\d+) bytes\]")
_TEXT_PART = re.compile(rb"^content-type:[ \t]*(text|message)/", re.IGNORECASE | re.MULTILINE)


def _elided(raw: bytes) -> bytes:
    """`raw` with every long run of base64 lines in a part that is not text replaced by a
    note of its decoded size (what AttachedFile.size reports)."""
    pieces: list[bytes] = []
    position = 0
    for run in _BASE64_RUN.finditer(raw):
        start = run.start()
        blank = max(raw.rfind(b"\n\n", 0, start), raw.rfind(b"\n\r\n", 0, start))
        boundary = raw.rfind(b"\n--", 0, max(blank, 0))
        header = raw[boundary + 1 if boundary >= 0 else 0 : max(blank, 0) + 1]
        if blank < 0 or _TEXT_PART.search(header):
            continue
        end = run.end()
        spaces = sum(raw.count(char, start, end) for char in (b"\n", b"\r", b" ", b"\t"))
        size = (end - start - spaces) * 3 // 4 - raw.count(b"=", max(start, end - 8), end)
        pieces += [raw[position:start], b"[elided %d bytes]\r\n" % size]
        position = run.end()
    if not pieces:
        return raw
    pieces.append(raw[position:])
    return b"".join(pieces)


def _parse(raw: bytes, *, attachment_limit: int) -> CapturedMessage:
    # An empty line before the headers (some exports and relays add one) would make all of
    # the message its body.
    readable = _elided(raw) if len(raw) > ELIDE_ABOVE else raw
    message = BytesParser(policy=email_policy.compat32).parsebytes(readable.lstrip(b"\r\n"))
    hint = _param(message, "charset")
    headers = _Headers(message, hint)
    if not any(name in headers for name in _KNOWN_HEADERS):
        raise UnreadableMessage(
            gettext("The message has no e-mail headers (From, To, Date, Subject, Message-ID)."), code="no_headers"
        )

    subject = headers.text("subject")
    senders = _addresses(headers.all("from")[:1]) or _addresses(headers.all("sender")[:1])
    sender = senders[0] if senders else None
    to = _addresses(headers.all("to"))
    cc = _addresses(headers.all("cc"))
    date_header = headers.first("date")
    date = _date(date_header)

    plain, markup, attachments = [], [], []
    calendar_method = None
    for part, attached in _leaves(message):
        content_type = _content_type(part)
        disposition = _disposition(part)
        name = _filename(part, hint)
        if content_type == "text/calendar" and not attached:
            method = (_param(part, "method") or "").upper()
            if not method:
                found = re.search(r"^METHOD:\s*(\w+)", _part_text(part), re.MULTILINE | re.IGNORECASE)
                method = found.group(1).upper() if found else ""
            if method in _CALENDAR_METHODS and calendar_method is None:
                calendar_method = method
        if attached:
            continue
        if content_type.startswith("multipart/"):
            # A multipart whose parts cannot be found: its body, as text, is all there is.
            plain.append(part)
        elif content_type in ("text/plain", "text/html") and disposition != "attachment" and not name:
            (plain if content_type == "text/plain" else markup).append(part)
        elif name or disposition == "attachment" or not content_type.startswith(("text/", "message/", "multipart/")):
            attachments.append(AttachedFile(name=name, content_type=content_type, size=_encoded_size(part)))
    if plain:
        text = "\n\n".join(_tidy_text(_multipart_or_part_text(part)) for part in plain)
    else:
        text = "\n\n".join(html_to_text(_part_text(part, html_part=True)) for part in markup)
    text = _tidy_text(text)

    message_ids = [ids[0] for ids in (_message_ids(value) for value in headers.all("message-id")) if ids]
    if message_ids:
        message_id, missing = message_ids[0], False
    else:
        date_value = date.astimezone(UTC).isoformat() if date else _clean(date_header or "")
        message_id, missing = _stable_hash(sender, to, cc, date_value, subject, text), True
    in_reply_to = next(iter(_message_ids(headers.first("in-reply-to") or "")), None)
    references = _unique([token for value in headers.all("references") for token in _message_ids(value)])

    kind = _kind(message, headers, subject, sender, text, calendar_method)

    size = len(raw)
    truncated = size > attachment_limit
    eml = _shortened_eml(raw, text, attachment_limit, tuple(attachments)) if truncated else raw
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


@dataclass(frozen=True)
class _Kind:
    kind: str
    bounced_message_id: str | None = None
    bounce_reason: str | None = None
    bounced_recipients: tuple[str, ...] = ()


def _kind(message, headers, subject, sender, text, calendar_method) -> _Kind:
    content_type = _content_type(message)
    report_type = (_param(message, "report-type") or "").lower()
    if content_type == "multipart/report" and report_type == "delivery-status":
        blocks = []
        for part in _parts(message):
            if _content_type(part) in ("message/delivery-status", "message/global-delivery-status"):
                blocks.extend(_status_blocks(part))
        recipients = [block for block in blocks if "action" in block or "final-recipient" in block]
        failed = [
            block
            for block in recipients
            if block.get("action", "").lower().split()[:1] == ["failed"] or block.get("status", "").startswith("5")
        ]
        if recipients and not failed:
            return _Kind(KIND_AUTO_REPLY)  # delayed, delivered, relayed: not a bounce
        reasons = [reason for reason in (_readable_reason(block) for block in failed) if reason]
        addresses = [
            normalize_email((block.get("final-recipient") or block.get("original-recipient") or "").split(";")[-1])
            for block in failed
        ]
        original = _original(message)
        return _Kind(
            KIND_BOUNCE,
            original[0],
            "; ".join(dict.fromkeys(reasons))[:1000] or _reason_in_text(text),
            _unique([address for address in addresses if address]) or original[1],
        )
    if content_type == "multipart/report":
        return _Kind(KIND_AUTO_REPLY)  # read receipts (disposition-notification) and the like
    if _is_daemon(sender, headers):
        original_id, original_recipients = _original(message)
        original_id = original_id or _inline_original_id(text)
        if original_id or _BOUNCE_SUBJECT.search(subject):
            return _Kind(KIND_BOUNCE, original_id, _reason_in_text(text), _failed_in_text(text) or original_recipients)
    if calendar_method:
        return _Kind(KIND_CALENDAR)
    if _auto_reply(headers, subject):
        return _Kind(KIND_AUTO_REPLY)
    return _Kind(KIND_MESSAGE)


_FAILED_ADDRESS = re.compile(
    r"(?:following address(?:es|\(es\))? failed:?\s*<?|wasn't delivered to |could not be delivered to:?\s*<?|"
    r"delivery has failed to these recipients or groups:\s*)([^\s<>@]+@[^\s<>]+?)[>.,;:]?(?:\s|$)",
    re.IGNORECASE,
)


def _failed_in_text(text: str) -> tuple[str, ...]:
    """The failed recipients a bounce written for people names (exim, Gmail, Exchange)."""
    found = (normalize_email(match.group(1)) for match in _FAILED_ADDRESS.finditer(text))
    return _unique([address for address in found if address])


def _is_daemon(sender: Address | None, headers: _Headers) -> bool:
    if sender is None:
        return (headers.first("return-path") or "").strip() == "<>"
    local = sender.email.split("@", 1)[0]
    return local in _DAEMONS or "mail delivery" in sender.name.lower()


def _inline_original_id(text: str) -> str | None:
    """A bounce that quotes the original in its text (exim's "This is a copy of the
    message"): the Message-ID among the quoted headers."""
    for found in _INLINE_MESSAGE_ID.finditer(text):
        if _valid_id(found.group(1)[1:-1]):
            return found.group(1)
    return None
