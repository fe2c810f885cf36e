"""MIME parts: their types, parameters and bodies read from the raw parts (never through
Message.get_payload, which raises on some), broken multiparts repaired, the text of a part
(flowed text joined, HTML turned into text)."""

import binascii
import html
import re
from collections.abc import Iterator
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from html.parser import HTMLParser

from .raw import ELIDED_NOTE
from .text import clean, decode_bytes, decode_words, raw_header_text

# --------------------------------------------------------------------------- parts


def raw_value(part: Message, header: str) -> str | None:
    for key, value in part.raw_items():
        if str(key).strip().lower() == header:
            return value if isinstance(value, str) else str(value)
    return None


def param(part: Message, name: str, header: str = "content-type", hint: str | None = None) -> str | None:
    """A parameter of a header (charset, boundary, filename...), 8-bit bytes in it decoded
    like a header's, RFC 2231 values (filename*=utf-8''...) decoded too."""
    raw = raw_value(part, header)
    if raw is None:
        return None
    holder = Message()
    holder[header] = raw_header_text(raw, hint)
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


def payload_of(part: Message):
    """The part's payload as the parser left it: a list of parts, or the body as text (8-bit
    bytes as surrogates). Message.get_payload() is not used: it decodes the text with the
    part's charset parameter, and raises on some (a NUL in the charset's name)."""
    return part._payload


def header_line(part: Message, header: str) -> str:
    """A header of the part as one line of text ("" when absent)."""
    raw = raw_value(part, header)
    return clean(raw_header_text(raw)) if raw is not None else ""


def content_type_of(part: Message) -> str:
    """The part's MIME type, lowercase; text/plain when missing or malformed (RFC 2045)."""
    value = header_line(part, "content-type").split(";", 1)[0].strip().lower()
    kind, slash, subtype = value.partition("/")
    if not slash or not kind or not subtype or " " in value:
        return "text/plain"
    return value


def disposition_of(part: Message) -> str:
    return header_line(part, "content-disposition").split(";", 1)[0].strip().lower()


def filename_of(part: Message, hint: str | None) -> str:
    name = param(part, "filename", "content-disposition", hint) or param(part, "name", hint=hint)
    if not name:
        return ""
    return clean(decode_words(name))


def _transfer_encoding(part: Message) -> str:
    return header_line(part, "content-transfer-encoding").split(";", 1)[0].strip().lower()


def payload_bytes(part: Message) -> bytes:
    """The decoded body of a leaf part: base64 and quoted-printable undone, leniently (a
    broken line is skipped, not the part); other encodings as they are."""
    payload = payload_of(part)
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


def encoded_size(part: Message) -> int:
    raw = payload_of(part)
    if not isinstance(raw, str):
        return 0
    elided = ELIDED_NOTE.match(raw)
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
    payload = payload_of(part)
    if not isinstance(payload, str):
        return None
    found = _DELIMITER.search(payload)
    if not found:
        return None
    boundary = found.group(1)
    data = payload.encode("utf-8", "surrogateescape")
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode("ascii")
    children = payload_of(BytesParser(policy=email_policy.compat32).parsebytes(head + data))
    if isinstance(children, list) and children and all(isinstance(child, Message) for child in children):
        return children
    return None


def leaves(message: Message) -> Iterator[tuple[Message, bool]]:
    """The leaf parts in document order, with whether they lie inside an attached message
    (message/rfc822), without recursion (a deeply nested message must not exhaust the stack).
    A multipart whose boundary does not match its body is split at the one it uses."""
    stack: list[tuple[Message, bool]] = [(message, False)]
    while stack:
        part, attached = stack.pop()
        payload = payload_of(part)
        if not isinstance(payload, list) and content_type_of(part).startswith("multipart/"):
            payload = _repaired_children(part) or payload
        if isinstance(payload, list):
            inside = attached or (part is not message and content_type_of(part).startswith("message/"))
            stack.extend((child, inside) for child in reversed(payload) if isinstance(child, Message))
        else:
            yield part, attached


def all_parts(message: Message) -> Iterator[Message]:
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        payload = payload_of(part)
        if isinstance(payload, list):
            stack.extend(child for child in reversed(payload) if isinstance(child, Message))


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def part_text(part: Message, *, html_part: bool = False) -> str:
    data = payload_bytes(part)
    charset = param(part, "charset")
    if not charset and html_part:
        found = _META_CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii") if found else None
    text = decode_bytes(data, charset)
    if not html_part and (param(part, "format") or "").lower() == "flowed":
        text = _unflowed(text, delete_space=(param(part, "delsp") or "").lower() == "yes")
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


def multipart_or_part_text(part: Message) -> str:
    if content_type_of(part).startswith("multipart/"):
        payload = payload_of(part)
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return decode_bytes(data, param(part, "charset"))
    return part_text(part)


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


def tidy_text(text: str) -> str:
    text = clean(text, keep_lines=True)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
