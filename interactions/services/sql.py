"""SQL that several services write by hand."""

from django.db import connection


def in_list(values: list) -> tuple[str, list]:
    """`column IN (...)` as SQL and parameters. PostgreSQL gets one array parameter: a
    thousand separate constants cost more to plan than to delete."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)
