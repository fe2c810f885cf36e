"""Trigram indexes for the search, created by the apps' migrations on PostgreSQL only.

The search finds records by a part of a name or number: Django's `icontains` is
`UPPER(column::text) LIKE UPPER('%text%')` on PostgreSQL, which a GIN index of pg_trgm on
that very expression serves (the extension is created by contacts' migration 0004,
`TrigramExtension`). SQLite, for development, has no such index and scans its small tables.
"""

from django.db import migrations


def upper(column: str) -> str:
    """The expression Django's icontains compares on PostgreSQL."""
    return f'UPPER("{column}"::text)'


def trigram_indexes(table: str, indexes: dict[str, str]) -> migrations.RunPython:
    """A migration operation creating GIN trigram indexes `name -> expression` on `table`
    on PostgreSQL (nothing elsewhere), and dropping them when migrated backwards."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, expression in indexes.items():
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (({expression}) gin_trgm_ops)'
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in indexes:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(create, drop)
