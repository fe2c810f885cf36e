"""E-mail addresses as the module compares them: one normal form for every spelling.

Invariants:
- `normalize_email` is the only place that decides whether two spellings are the same
  address: the local part and the domain lowercased, the domain's IDNA ("xn--") labels
  decoded to Unicode, so "Ivan@XN--E1AFMKFD.XN--P1AI" and "ivan@пример.рф" are one address.
- It never raises: what is not an address (no "@", spaces, a domain that IDNA refuses, a
  domain without a dot) is None.
- `ascii_form` is the inverse for the domain: the IDNA-ASCII spelling that mail servers and
  most stored e-mails use. Together they give the two spellings a lookup must try.

The IDNA of the standard library (IDNA 2003, nameprep) is used on purpose: it needs no
extra package at run time and folds case in Unicode labels itself.
"""

import functools
from encodings import idna as _idna

# RFC 5321: 64 characters of local part, 254 of path.
MAX_LOCAL_LENGTH = 64
MAX_ADDRESS_LENGTH = 254
_LOCAL_FORBIDDEN = set(' \t\r\n"(),:;<>[\\]@') | {chr(code) for code in range(32)} | {"\x7f"}
_LABEL_ALLOWED = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def _domain_labels(domain: str) -> tuple[list[str], list[str]] | None:
    """The domain's labels in Unicode and in ASCII, or None when it is not a host name."""
    domain = domain.strip().rstrip(".")
    if not domain or len(domain) > 253:
        return None
    unicode_labels, ascii_labels = [], []
    for label in domain.split("."):
        if not label:
            return None
        try:
            ascii_label = _idna.ToASCII(label.lower()).decode("ascii").lower()
            unicode_label = _idna.ToUnicode(ascii_label).lower()
        except (UnicodeError, ValueError):
            return None
        if (
            not ascii_label
            or len(ascii_label) > 63
            or not set(ascii_label) <= _LABEL_ALLOWED
            or ascii_label.startswith("-")
            or ascii_label.endswith("-")
        ):
            return None
        unicode_labels.append(unicode_label)
        ascii_labels.append(ascii_label)
    if len(ascii_labels) < 2 or ascii_labels[-1].isdigit():
        return None
    return unicode_labels, ascii_labels


def normalize_email(value: str) -> str | None:
    """The normal form of an address (lowercased, domain in Unicode), or None when `value`
    is not a valid address. Surrounding spaces, angle brackets and "mailto:" are dropped."""
    if not isinstance(value, str):
        return None
    return _normal_form(value)


# A mailbox's messages name the same few thousand addresses again and again (the mail
# capture normalizes each address of each message): each spelling is worked out once. Bounded,
# so memory stays flat however many addresses pass.
@functools.lru_cache(maxsize=16384)
def _normal_form(value: str) -> str | None:
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or len(local) > MAX_LOCAL_LENGTH or set(local) & _LOCAL_FORBIDDEN:
        return None
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    labels = _domain_labels(domain)
    if labels is None:
        return None
    address = f"{local.lower()}@{'.'.join(labels[0])}"
    if len(f"{local}@{'.'.join(labels[1])}") > MAX_ADDRESS_LENGTH:
        return None
    return address


def domain_of(address: str) -> str:
    """The domain of a normalized address."""
    return address.rpartition("@")[2]


def ascii_form(address: str) -> str:
    """A normalized address with its domain in IDNA-ASCII ("xn--") spelling."""
    local, _at, domain = address.rpartition("@")
    labels = _domain_labels(domain)
    if labels is None:
        return address
    return f"{local}@{'.'.join(labels[1])}"


def ascii_domain(domain: str) -> str:
    """A domain in IDNA-ASCII spelling (unchanged when it is not a valid host name)."""
    labels = _domain_labels(domain)
    return ".".join(labels[1]) if labels else domain.lower()
