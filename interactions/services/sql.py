"""SQL that several services write by hand."""

from django.db import connection, transaction


def in_list(values: list) -> tuple[str, list]:
    """`column IN (...)` as SQL and parameters. PostgreSQL gets one array parameter: a
    thousand separate constants cost more to plan than to delete."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(values)]
    return f"IN ({', '.join(['%s'] * len(values))})", list(values)


def lock_for_key_share(model, pk) -> bool:
    """Lock the row `pk` of `model` as a foreign key to it is checked when a row referring
    to it commits (FOR KEY SHARE), but now and until the transaction ends; False when there
    is no such row. A DELETE of the row, which first locks it FOR UPDATE, then waits for
    this transaction, and this waits for a DELETE in progress and then finds no row.
    Readers, other key-share lockers and UPDATEs of non-key columns are not held up.
    SQLite, whose writers take turns for the whole database, is only asked whether the row
    exists. Call it inside the transaction that writes the rows referring to it."""
    if transaction.get_autocommit():
        raise RuntimeError("lock_for_key_share outside a transaction would hold no lock")
    if connection.vendor != "postgresql":
        return model._base_manager.filter(pk=pk).exists()
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s FOR KEY SHARE", [pk])
        return cursor.fetchone() is not None


def first_locked_for_key_share(queryset):
    """The first row of `queryset` (by primary key), locked as `lock_for_key_share` locks
    it, in the one query that reads it; None when there is none. SQLite: `first()`."""
    if transaction.get_autocommit():
        raise RuntimeError("first_locked_for_key_share outside a transaction would hold no lock")
    if connection.vendor != "postgresql":
        return queryset.first()
    sql, params = queryset.order_by("pk")[:1].query.sql_with_params()
    return next(iter(queryset.model.objects.raw(f"{sql} FOR KEY SHARE", params)), None)
