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

The package: `model` (the values returned), `text` (charsets, encoded-words, cleaning),
`headers` (addresses, identifiers, dates), `parts` (MIME parts and their text), `kinds`
(bounces, automatic replies, invitations), `raw` (what is cut before the parse and kept as
.eml), `message` (parse_message, which puts them together).
"""

# The module's interface (interactions.services.mail_capture.parsing); the modules of the
# package are its parts.
from interactions.selectors.email_addresses import normalize_email

from .message import parse_message
from .model import (
    HASH_PREFIX,
    KIND_AUTO_REPLY,
    KIND_BOUNCE,
    KIND_CALENDAR,
    KIND_MESSAGE,
    MESSAGE_ID_MAX_LENGTH,
    TRUNCATED_HEADER,
    Address,
    AttachedFile,
    CapturedMessage,
    UnreadableMessage,
)
from .parts import html_to_text
from .text import decode_bytes, decode_words

__all__ = [
    "HASH_PREFIX",
    "KIND_AUTO_REPLY",
    "KIND_BOUNCE",
    "KIND_CALENDAR",
    "KIND_MESSAGE",
    "MESSAGE_ID_MAX_LENGTH",
    "TRUNCATED_HEADER",
    "Address",
    "AttachedFile",
    "CapturedMessage",
    "UnreadableMessage",
    "decode_bytes",
    "decode_words",
    "html_to_text",
    "normalize_email",
    "parse_message",
]
