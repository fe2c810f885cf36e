"""Header values: addresses, message identifiers, dates, read from the raw headers."""

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from interactions.selectors.email_addresses import normalize_email

from .model import MESSAGE_ID_MAX_LENGTH, Address
from .text import clean, decode_words, raw_header_text


class Headers:
    """A message's headers in order, by lowercase name, as raw text (not yet decoded)."""

    def __init__(self, message: Message, hint: str | None):
        self.hint = hint
        self.items: list[tuple[str, str]] = []
        for name, value in message.raw_items():
            self.items.append((str(name).strip().lower(), value if isinstance(value, str) else str(value)))

    def all(self, name: str) -> list[str]:
        return [raw_header_text(value, self.hint) for key, value in self.items if key == name]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def text(self, name: str) -> str:
        """The first `name` header decoded, one line; "" when absent."""
        value = self.first(name)
        return clean(decode_words(value)) if value is not None else ""

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _value in self.items)


def parse_addresses(values: list[str]) -> tuple[Address, ...]:
    found: dict[str, Address] = {}
    try:
        pairs = getaddresses(values)
    except Exception:  # noqa: BLE001 - a header that trips the parser: its tokens are tried below
        pairs = [("", token) for value in values for token in re.findall(r"[^\s<>,;\"']+@[^\s<>,;\"']+", value)]
    for name, email in pairs:
        normalized = normalize_email(decode_words(email))
        if normalized is None or normalized in found:
            continue
        display = clean(decode_words(name)).strip("\"' ")
        found[normalized] = Address(name=display, email=normalized)
    return tuple(found.values())


_ID_TOKEN = re.compile(r"<([^<>\s]*)>")


def valid_id(inner: str) -> bool:
    return 0 < len(inner) <= MESSAGE_ID_MAX_LENGTH and all("\x21" <= char <= "\x7e" for char in inner)


def ids_in(value: str) -> list[str]:
    """The message identifiers in a Message-ID, In-Reply-To or References header, as
    "<...>"; a bare identifier without brackets (some mailers) gets them."""
    value = re.sub(r"\([^()]*\)", " ", value)  # comments
    tokens = _ID_TOKEN.findall(value)
    if not tokens and "<" not in value and ">" not in value:
        tokens = [token for token in value.split() if "@" in token.strip("@")]
    return [f"<{token}>" for token in tokens if valid_id(token)]


def unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(clean(value))
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
