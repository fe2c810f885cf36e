"""What parsing gives: the captured message and its parts, as plain values."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from interactions.selectors.email_addresses import ascii_form

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
class MessageBody:
    """What only the whole parse of a message gives: its text and its attached files."""

    text: str
    attachments: tuple[AttachedFile, ...] = ()


@dataclass(frozen=True)
class CapturedMessage:
    """One parsed message. Its `text` and `attachments` come from `body_source`: the body
    itself when the whole message was parsed, or (after the header-only parse, see
    message.py) the function that parses the whole message, called the first time either is
    read. The capture run reads them only for the messages whose outcome depends on them."""

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
    size: int
    eml: bytes
    truncated: bool
    body_source: MessageBody | Callable[[], MessageBody] = field(repr=False, compare=False)
    calendar_method: str | None = None  # REQUEST, REPLY, CANCEL or COUNTER for a calendar message
    # For a bounce: the recipients whose delivery failed (normal form), from the report, the
    # text, or else the returned original's To and Cc.
    bounced_recipients: tuple[str, ...] = ()

    @cached_property
    def body(self) -> MessageBody:
        source = self.body_source
        return source if isinstance(source, MessageBody) else source()

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def attachments(self) -> tuple[AttachedFile, ...]:
        return self.body.attachments

    def addresses(self) -> tuple[Address, ...]:
        """From, To and Cc, each address once (the first spelling of its name wins)."""
        seen: dict[str, Address] = {}
        for address in ((self.sender,) if self.sender else ()) + self.to + self.cc:
            seen.setdefault(address.email, address)
        return tuple(seen.values())
