"""The raw bytes: what is cut out before the parse (big attachments of big messages) and
what is kept as the entry's .eml when the message is over the attachment limit."""

import binascii
import re

from .model import TRUNCATED_HEADER, AttachedFile

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


def shortened_eml(raw: bytes, text: str, limit: int, attachments: tuple[AttachedFile, ...]) -> bytes:
    """The original headers (but its MIME ones) and the text as one UTF-8 text/plain part."""
    # The parse skips empty lines before the headers; so must this, or the header block is empty.
    block, newline = _header_block(raw.lstrip(b"\r\n"))
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


# Messages larger than this have their big base64 attachments cut out before the parse:
# the standard library's parser reads every line in Python (seconds and hundreds of
# megabytes for a 30 MB attachment) and the capture never needs an attachment's bytes.
ELIDE_ABOVE = 1024 * 1024
_BASE64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{20,}={0,2}[ \t]*\r?\n){1000,}")
ELIDED_NOTE = re.compile(r"^\[elided (\d+) bytes\]")
_TEXT_PART = re.compile(rb"^content-type:[ \t]*(text|message)/", re.IGNORECASE | re.MULTILINE)


def without_large_attachments(raw: bytes) -> bytes:
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
