"""The "Tell me" search: pages, actions and records found by typing (Ctrl+K, `/search/?q=`).

The host never names the apps' pages or models: each installed app registers, in its
AppConfig.ready(), what it offers, as it fills the page slots of crm/panels.py:

    from crm import search

    search.register_page(
        "interactions:log",                       # the URL name (reversed at search time)
        name=_("Interaction log"),                # the display name, a translatable UI string
        permissions=["interactions.view_interactionlogentry"],   # all needed to open it
        keywords=["Interaction Log Entries", "Журналы взаимодействий"],   # search data only
    )
    search.register_action("interactions:purge", name=..., permissions=[...], keywords=[...])
    search.register_records("contacts", label=_("Contacts"), find=find_contacts, order=10)

A page or action is found by its name in English and in Russian (each language's
translation of `name`) and by its keywords (the original's page names in both languages,
synonyms), case-insensitively, word by word: every word typed must begin a word of one
name or keyword, or share its stem (all but the last two letters, for Russian endings:
"журналы взаимодействий" finds "Журнал взаимодействий"). A page is offered only to users
who hold every permission it names and pass its `allowed(user)` rule, the same rule the
page's view applies.

A record provider `find(query, *, user, limit)` returns at most `limit` `Result`s of the
records the user may open, in one database query (the tests count them), and none at all
when the user may not open that kind of record. `query` is a `Query`: the text as typed
(trimmed, at most `MAX_LENGTH` characters), its words and its digits.
"""

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

MAX_LENGTH = 100  # longer queries are cut here: nothing anyone types is longer
LANGUAGES = ("en", "ru")  # a page's name is matched in each of these languages


@dataclasses.dataclass(frozen=True)
class Query:
    text: str  # as typed: trimmed, whitespace collapsed, at most MAX_LENGTH characters
    words: tuple[str, ...]  # normalized words (see `normalize`)
    digits: str  # every digit of the text, in order (phone numbers are searched by them)

    @classmethod
    def parse(cls, raw: Any) -> "Query":
        text = str(raw or "")[: MAX_LENGTH * 2]
        # Control characters (NUL among them) can be in no name and no record.
        text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)
        text = " ".join(text.split())[:MAX_LENGTH].strip()
        return cls(text=text, words=tuple(normalize(text).split()), digits=re.sub(r"\D", "", text, flags=re.ASCII))

    @property
    def is_phone_like(self) -> bool:
        """Only what phone numbers are written with: digits, spaces, + - ( ) . / (at least 3 digits)."""
        return len(self.digits) >= 3 and re.fullmatch(r"[0-9 +\-().\/]+", self.text) is not None

    @property
    def number(self) -> int | None:
        """The text as a record number (digits only, optionally after "#"), if it is one."""
        text = self.text.removeprefix("#").strip()
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
        return None


@dataclasses.dataclass(frozen=True)
class Result:
    kind: str  # "page", "action", or the kind of record ("contacts", ...)
    title: str
    url: str
    detail: str = ""  # a second line: the record's number, company, phone, ...

    def as_dict(self, group: str) -> dict[str, str]:
        return {"kind": self.kind, "group": group, "title": self.title, "detail": self.detail, "url": self.url}


@dataclasses.dataclass(frozen=True)
class Destination:
    """A page or an action the search offers."""

    url_name: str
    name: Any  # a lazy translatable string
    kind: str  # "page" or "action"
    permissions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    allowed: Callable[[Any], bool] | None = None
    fragment: str = ""  # e.g. "segment-create": the part of the page the action opens
    order: int = 0

    def may_open(self, user) -> bool:
        if not user.is_authenticated or not user.has_perms(self.permissions):
            return False
        return self.allowed is None or bool(self.allowed(user))

    def url(self) -> str:
        try:
            url = reverse(self.url_name)
        except NoReverseMatch:  # the page's app is not installed
            return ""
        return f"{url}#{self.fragment}" if self.fragment else url

    @functools.cached_property
    def phrases(self) -> list[tuple[str, bool]]:
        """(normalized phrase, is a name) for each name in each language and each keyword;
        worked out once (the catalogues do not change while the process runs)."""
        names = []
        for language in LANGUAGES:
            with translation.override(language):
                names.append(str(self.name))
        phrases = [(normalize(name), True) for name in dict.fromkeys(names)]
        return phrases + [(normalize(keyword), False) for keyword in self.keywords]


@dataclasses.dataclass(frozen=True)
class RecordKind:
    kind: str
    label: Any  # lazy: the heading of the kind's results
    find: Callable[..., list[Result]]
    order: int = 0


_destinations: dict[str, Destination] = {}
_record_kinds: dict[str, RecordKind] = {}

PAGES_GROUP = "pages"


def _register(url_name: str, *, kind: str, name, permissions: Iterable[str], keywords: Iterable[str], **options):
    _destinations[url_name + options.get("fragment", "")] = Destination(
        url_name=url_name,
        name=name,
        kind=kind,
        permissions=tuple([permissions] if isinstance(permissions, str) else permissions),
        keywords=tuple(keywords),
        **options,
    )


def register_page(
    url_name: str,
    *,
    name,
    permissions: Iterable[str] = (),
    keywords: Iterable[str] = (),
    allowed: Callable[[Any], bool] | None = None,
    order: int = 0,
) -> None:
    """Offer the page `url_name` (a URL without arguments). Registering it again replaces it."""
    _register(
        url_name, kind="page", name=name, permissions=permissions, keywords=keywords, allowed=allowed, order=order
    )


def register_action(
    url_name: str,
    *,
    name,
    permissions: Iterable[str] = (),
    keywords: Iterable[str] = (),
    allowed: Callable[[Any], bool] | None = None,
    fragment: str = "",
    order: int = 0,
) -> None:
    """Offer an action: a page that does something ("New interaction", the purge)."""
    _register(
        url_name,
        kind="action",
        name=name,
        permissions=permissions,
        keywords=keywords,
        allowed=allowed,
        fragment=fragment,
        order=order,
    )


def register_records(kind: str, *, label, find: Callable[..., list[Result]], order: int = 0) -> None:
    """Offer records of `kind`, found by `find(query, *, user, limit)` (see the module's doc)."""
    _record_kinds[kind] = RecordKind(kind=kind, label=label, find=find, order=order)


def destinations() -> list[Destination]:
    return sorted(_destinations.values(), key=lambda destination: destination.order)


def record_kinds() -> list[RecordKind]:
    return sorted(_record_kinds.values(), key=lambda record_kind: record_kind.order)


# --- Finding records ----------------------------------------------------------------------

# On PostgreSQL a finder considers at most this many rows matching a part of what was typed
# (plus the row with exactly that number or code): the work of a query stays bounded
# however common the part is ("ova", an e-mail domain). Typing more narrows the search.
CANDIDATES = 200


def matching(model, *, exact: Q, partial: Q | None) -> Q:
    """A filter for `model`'s rows matching `exact` (an equality on an indexed column: a
    number, a code) or `partial` (substrings, served on PostgreSQL by trigram indexes), for a
    finder's one query. On PostgreSQL the rows matching `partial` are at most CANDIDATES,
    taken in no particular order (the finder then orders the few it gets); on SQLite, for
    development, simply every row matching either."""
    if partial is None:
        return exact
    if connections[router.db_for_read(model)].vendor != "postgresql":
        return exact | partial
    rows = model._default_manager.order_by()
    return Q(pk__in=rows.filter(exact).values("pk").union(rows.filter(partial).values("pk")[:CANDIDATES], all=True))


# --- Matching pages and actions ------------------------------------------------------------


def normalize(text: str) -> str:
    """Lower case (casefold), ё as е, accents dropped, anything but letters and digits a space."""
    text = unicodedata.normalize("NFKD", str(text).casefold().replace("ё", "е").replace("й", "\0"))
    text = "".join(char for char in text if not unicodedata.combining(char)).replace("\0", "й")
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _word_score(typed: str, word: str) -> float:
    """How well a typed word matches a word of a name: the word itself 3, its beginning 2,
    the same stem 1 (all but the last two letters of the longer, at least four: the endings
    of "журналы"/"журнал", "взаимодействий"/"взаимодействия"), else 0."""
    if typed == word:
        return 3
    if word.startswith(typed):
        return 2
    if len(typed) >= 4:
        common = len(_common_prefix(typed, word))
        if common >= max(4, max(len(typed), len(word)) - 2):
            return 1
    return 0


def _common_prefix(a: str, b: str) -> str:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


def _phrase_score(words: Sequence[str], phrase: str) -> float:
    """0 unless every typed word matches a word of the phrase; more for closer matches."""
    phrase_words = phrase.split()
    if not phrase_words:
        return 0
    total = 0.0
    for typed in words:
        best = max(_word_score(typed, word) for word in phrase_words)
        if not best:
            return 0
        total += best
    score = total / len(words)  # 1..3
    joined = " ".join(words)
    if phrase == joined:
        score += 3
    elif phrase.startswith(joined):
        score += 1
    # Of two names that match as well, the shorter is the closer ("log" -> the log first).
    return score + 1 / (1 + len(phrase_words))


def match_score(destination: Destination, query: Query) -> float:
    """How well `query` matches the destination's names and keywords (0: not at all)."""
    if not query.words:
        return 0
    best = 0.0
    for phrase, is_name in destination.phrases:
        score = _phrase_score(query.words, phrase)
        if score:
            best = max(best, score + (0.5 if is_name else 0))
    return best


# --- The search --------------------------------------------------------------------------


@dataclasses.dataclass
class ResultGroup:
    kind: str
    label: str
    results: list[Result]


def search_destinations(query: Query, *, user, limit: int) -> list[Result]:
    scored = []
    for index, destination in enumerate(destinations()):
        score = match_score(destination, query)
        if not score or not destination.may_open(user):
            continue
        url = destination.url()
        if url:
            scored.append((-score, index, Result(kind=destination.kind, title=str(destination.name), url=url)))
    scored.sort(key=lambda item: item[:2])
    return [result for _score, _index, result in scored[:limit]]


def search(raw_query: Any, *, user, limit: int = 5, pages_limit: int = 8) -> list[ResultGroup]:
    """What `raw_query` finds for `user`: the pages and actions first, then each kind of
    record, at most `limit` of each (`pages_limit` pages). Empty for an empty query."""
    query = raw_query if isinstance(raw_query, Query) else Query.parse(raw_query)
    if not query.text or not user.is_authenticated:
        return []
    groups = []
    pages = search_destinations(query, user=user, limit=pages_limit)
    if pages:
        groups.append(ResultGroup(PAGES_GROUP, gettext("Pages and actions"), pages))
    for record_kind in record_kinds():
        results = record_kind.find(query, user=user, limit=limit)
        if results:
            groups.append(ResultGroup(record_kind.kind, str(record_kind.label), list(results[:limit])))
    return groups
