"""Bytes and header words to text: declared charsets, guesses for undeclared 8-bit
(UTF-8, Windows-1251, KOI8-R, Windows-1252), RFC 2047 encoded-words, and the cleaning that
makes every text storable (no controls, no lone surrogates). Nothing here raises."""

import base64
import binascii
import codecs
import re

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


def codec_of(name: str | None) -> str | None:
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


def guess_8bit(data: bytes) -> str:
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
    codec = codec_of(charset)
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
    return guess_8bit(data)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str, *, keep_lines: bool = False) -> str:
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
        if pending and codec_of(charset) != codec_of(pending_charset):
            flush()
        pending += data
        pending_charset = charset
        position = match.end()
    flush()
    pieces.append(text[position:])
    return "".join(pieces)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")


def raw_header_text(value, hint: str | None = None) -> str:
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
    codec = codec_of(hint)
    if codec and codec not in ("ascii", "utf-8"):
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    return guess_8bit(data)
