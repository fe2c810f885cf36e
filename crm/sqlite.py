"""SQLite, the default database, folds case in LIKE for ASCII letters only: a search for
"иванов" missed "Иванов". Django's contains, icontains, iexact and startswith are LIKE on
SQLite (case-insensitive, as Django documents); this LIKE folds every letter, as
PostgreSQL's ILIKE does, so searches behave the same on both. It runs in Python, row by
row, which SQLite's development-sized tables do not notice."""

import functools
import re

from django.db.backends.signals import connection_created


@functools.lru_cache(maxsize=512)
def _like_pattern(pattern: str, escape: str | None) -> re.Pattern:
    parts = []
    characters = iter(pattern)
    for character in characters:
        if escape is not None and character == escape:
            parts.append(re.escape(next(characters, "")))
        elif character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def like(pattern, value, escape=None) -> bool | None:
    """SQLite's like(X, Y[, Z]), which implements `Y LIKE X [ESCAPE Z]`."""
    if pattern is None or value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _like_pattern(str(pattern), escape).fullmatch(str(value)) is not None


def _register_like(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("like", 2, like, deterministic=True)
        connection.connection.create_function("like", 3, like, deterministic=True)


def connect() -> None:
    connection_created.connect(_register_like, dispatch_uid="crm-sqlite-unicode-like")
