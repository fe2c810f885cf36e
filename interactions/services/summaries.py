"""Keeping the summary tables (models/summaries.py) exact: every service that changes what
the statistics count calls this in its own transaction, after the change:

- `entries_counted(entries)` for entries that have just become counted (logged, a postponed
  interaction completed);
- `entries_canceled(entries)` for entries that have just been canceled, and
  `entries_restored(entries)` for entries that have just been restored: they move between
  the counted figures and the day summary's `canceled` count;
- `new_entries_logged(entries)` / `entry_logged(entry)` for entries just inserted, counted
  or canceled as they are;
- `delete_canceled_entries(...)` deletes canceled entries (the purge) and takes them out of
  the `canceled` count in the same statement.

`entries` selects exactly the entries whose state changed (the caller knows which); their
figures are aggregated per summary key by the database and applied as an upsert per
summary table (`INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE SET count =
count + excluded.count ...`), however many entries: on PostgreSQL the three in one
statement (data-modifying CTEs reading the entries once), on SQLite one statement each.
On PostgreSQL concurrent writers add to the same row in turn (the upsert's row lock),
never losing an update; the rows are upserted in key order so that two writers take
their locks in the same order. SQLite's writers take turns for the whole database.

A month's last dates (the contact card's "last interaction" and "last attempted") are
maxima: adding an entry keeps the greater date; removing one reads the month's dates again
from the log (the contact's or company's index, one month of its entries).

The day summary's `canceled` counts every canceled entry, postponed or not: exactly what a
purge deletes (`selectors.purge.canceled_entries`), so that the purge page's count adds a
few summary rows. The month summaries know nothing of canceled entries, so the purge
changes nothing there. Evaluating changes nothing either (no evaluation is summed).
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet

from ..models import (
    CompanyMonthSummary,
    ContactMonthSummary,
    InitiatedBy,
    InteractionDaySummary,
    InteractionLogEntry,
)

COUNTED = {"canceled": False, "postponed": False}

_ENTRY_COLUMNS = (
    "date",
    "template_id",
    "group_id",
    "salesperson_id",
    "campaign_id",
    "contact_id",
    "contact_company_id",
    "cost",
    "duration",
    "campaign_target",
    "campaign_response",
    "attempt_failed",
    "initiated_by",
)
_DAY_KEY = ("template_id", "group_id", "salesperson_id", "campaign_id")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _month(column: str) -> tuple[str, str]:
    """SQL for the first and the last day of the month of the date `column`."""
    if connection.vendor == "postgresql":
        first = f"DATE_TRUNC('month', {column})"
        return f"CAST({first} AS date)", f"CAST({first} + INTERVAL '1 month' - INTERVAL '1 day' AS date)"
    return f"DATE({column}, 'start of month')", f"DATE({column}, 'start of month', '+1 month', '-1 day')"


def _greatest(a: str, b: str) -> str:
    """The later of two dates, either of which may be NULL."""
    if connection.vendor == "postgresql":
        return f"GREATEST({a}, {b})"
    return f"MAX(COALESCE({a}, {b}), COALESCE({b}, {a}))"


def _source(entries: QuerySet) -> tuple[str, list]:
    """The SELECT of the entries' columns (the caller's filter, no self-join), read as `e`."""
    columns = [InteractionLogEntry._meta.get_field(name.removesuffix("_id")).attname for name in _ENTRY_COLUMNS]
    sql, params = entries.order_by().values_list(*columns).query.sql_with_params()
    # values_list keeps the columns' own names (date, template_id, ...) in the derived table.
    return sql, list(params)


def _upsert_day(source: str, sign: int, canceled: int = 0) -> tuple[str, list]:
    """The upsert of the day summary from the entries `source` names `e`, and its own
    parameters (all before `source` in the statement): `sign` times their figures added to
    the counted ones, `canceled` times their number to the canceled ones."""
    table = _table(InteractionDaySummary)
    keys = ", ".join(f"e.{_q(column)}" for column in ("date", *_DAY_KEY))
    conflict = ", ".join([_q("date"), *(f"COALESCE({_q(column)}, 0)" for column in _DAY_KEY)])
    figures = {
        "count": f"{sign} * COUNT(*)",
        "cost": f"{sign} * COALESCE(SUM(e.{_q('cost')}), 0)",
        "duration": f"{sign} * COALESCE(SUM(e.{_q('duration')}), 0)",
        "campaign_targets": f"{sign} * SUM(CASE WHEN e.{_q('campaign_target')} THEN 1 ELSE 0 END)",
        "campaign_responses": f"{sign} * SUM(CASE WHEN e.{_q('campaign_response')} THEN 1 ELSE 0 END)",
        "canceled": f"{canceled} * COUNT(*)",
    }
    if not sign:  # canceled entries only: the other figures are 0 in a new row, and stay
        figures.update({column: "0" for column in figures if column != "canceled"})
    if not canceled:  # counted entries only: the canceled count is left alone
        del figures["canceled"]
    changed = [column for column in figures if (sign if column != "canceled" else canceled)]
    sql = (
        f"INSERT INTO {table} ({_q('date')}, {', '.join(_q(c) for c in _DAY_KEY)}, "
        f"{', '.join(_q(c) for c in figures)}) "
        f"SELECT {keys}, {', '.join(figures.values())} "
        f"FROM {source} WHERE 1 = 1 GROUP BY {keys} ORDER BY {keys} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET "
        + ", ".join(f"{_q(c)} = {table}.{_q(c)} + excluded.{_q(c)}" for c in changed)
    )
    return sql, []


def _upsert_month(model, key: str, entry_column: str, source: str, sign: int) -> tuple[str, list]:
    table = _table(model)
    month, month_end = _month(f"e.{_q('date')}")
    column = f"e.{_q(entry_column)}"
    if sign > 0:
        last_interaction = f"MAX(CASE WHEN e.{_q('attempt_failed')} THEN NULL ELSE e.{_q('date')} END)"
        last_attempted = f"MAX(CASE WHEN e.{_q('initiated_by')} = %s THEN e.{_q('date')} ELSE NULL END)"
        last_params = [InitiatedBy.US]
    else:
        # Removed entries: the last dates are read again afterwards (_refresh_last_dates).
        last_interaction = last_attempted = "CAST(NULL AS date)" if connection.vendor == "postgresql" else "NULL"
        last_params = []
    additive = ("count", "cost", "duration")
    last = ("last_interaction_date", "last_attempted_date")
    sql = (
        f"INSERT INTO {table} ({_q(key)}, {_q('month')}, {_q('month_end')}, "
        f"{', '.join(_q(c) for c in additive + last)}) "
        f"SELECT {column}, {month}, {month_end}, {sign} * COUNT(*), {sign} * COALESCE(SUM(e.{_q('cost')}), 0), "
        f"{sign} * COALESCE(SUM(e.{_q('duration')}), 0), {last_interaction}, {last_attempted} "
        f"FROM {source} WHERE {column} IS NOT NULL GROUP BY {column}, {month}, {month_end} "
        f"ORDER BY {column}, {month} "
        f"ON CONFLICT ({_q(key)}, {_q('month')}) DO UPDATE SET "
        + ", ".join(
            [f"{_q(c)} = {table}.{_q(c)} + excluded.{_q(c)}" for c in additive]
            + [f"{_q(c)} = {_greatest(f'{table}.{_q(c)}', f'excluded.{_q(c)}')}" for c in last]
        )
    )
    return sql, last_params


def _refresh_last_dates(model, key: str, entry_column: str, source: str, params: list) -> None:
    """Read the last dates of the months the entries of `source` fall in again from the log."""
    table = _table(model)
    log = _table(InteractionLogEntry)
    month, _month_end = _month(f"e.{_q('date')}")

    def latest(condition: str) -> str:
        return (
            f"(SELECT MAX(l.{_q('date')}) FROM {log} l WHERE l.{_q(entry_column)} = {table}.{_q(key)} "
            f"AND l.{_q('postponed')} = %s AND l.{_q('date')} >= {table}.{_q('month')} "
            f"AND l.{_q('date')} <= {table}.{_q('month_end')} AND l.{_q('canceled')} = %s AND {condition})"
        )

    not_failed = latest(f"l.{_q('attempt_failed')} = %s")
    by_us = latest(f"l.{_q('initiated_by')} = %s")
    sql = (
        f"UPDATE {table} SET {_q('last_interaction_date')} = {not_failed}, {_q('last_attempted_date')} = {by_us} "
        f"WHERE ({_q(key)}, {_q('month')}) IN "
        f"(SELECT e.{_q(entry_column)}, {month} FROM {source} WHERE e.{_q(entry_column)} IS NOT NULL)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, False, False, False, False, InitiatedBy.US, *params])


_MONTH_TABLES = (
    (ContactMonthSummary, "contact_id", "contact_id"),
    (CompanyMonthSummary, "company_id", "contact_company_id"),
)


def _apply(entries: QuerySet, sign: int, canceled: int = 0) -> None:
    try:
        select, params = _source(entries)
    except EmptyResultSet:  # e.g. `entry_no__in=[]`: nothing changed
        return
    _apply_source(select, params, sign, canceled)


def _apply_source(select: str, params: list, sign: int, canceled: int = 0) -> None:
    """Apply the entries the SELECT `select` reads (the columns of _ENTRY_COLUMNS): `sign`
    times their figures to the counted ones (all three tables), `canceled` times their number
    to the day summary's canceled count."""
    if transaction.get_autocommit():
        raise RuntimeError("summaries must change in the transaction that changes the entries")
    with connection.cursor() as cursor:
        if not sign:
            # Only the canceled count changes: the day summary alone.
            day, day_params = _upsert_day("e" if connection.vendor == "postgresql" else f"({select}) e", 0, canceled)
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH e AS MATERIALIZED ({select}) {day}", params + day_params)
            else:
                cursor.execute(day, day_params + params)
            return
        if connection.vendor == "postgresql":
            # One statement: the entries read once (a CTE), each summary upserted from them by
            # a data-modifying CTE of its own.
            day, day_params = _upsert_day("e", sign, canceled)
            months = [_upsert_month(model, key, column, "e", sign) for model, key, column in _MONTH_TABLES]
            (contact_sql, contact_params), (company_sql, company_params) = months
            cursor.execute(
                f"WITH e AS MATERIALIZED ({select}), d AS ({day}), c AS ({contact_sql}) {company_sql}",
                params + day_params + contact_params + company_params,
            )
        else:
            source = f"({select}) e"
            for sql, own_params in [
                _upsert_day(source, sign, canceled),
                *(_upsert_month(model, key, column, source, sign) for model, key, column in _MONTH_TABLES),
            ]:
                cursor.execute(sql, own_params + params)
    if sign < 0:
        for model, key, column in _MONTH_TABLES:
            _refresh_last_dates(model, key, column, f"({select}) e", params)


def statements_per_change() -> int:
    """How many statements adding entries to the summaries runs: one on PostgreSQL, one per
    summary table on SQLite (which has no data-modifying CTE)."""
    return 1 if connection.vendor == "postgresql" else 1 + len(_MONTH_TABLES)


def entries_counted(entries: QuerySet) -> None:
    """Add `entries`, which have just become counted (neither canceled nor postponed: logged,
    or a postponed interaction completed), to the summaries. Call it in the transaction that
    changed them, after the change."""
    _apply(entries, +1)


def entries_canceled(entries: QuerySet) -> None:
    """Move `entries`, counted until they were just canceled, from the counted figures to the
    canceled count. Call it in the transaction that changed them, after the change."""
    _apply(entries, -1, +1)


def entries_uncounted(entries: QuerySet) -> None:
    """Take `entries` out of the counted figures, and nowhere else: entries that stop being
    counted without being canceled (no service does that; the benchmarks delete the entries
    they logged)."""
    _apply(entries, -1)


def entries_restored(entries: QuerySet) -> None:
    """Move `entries`, canceled until they were just restored (and not postponed), from the
    canceled count back to the counted figures. Call it in the transaction that changed them,
    after the change."""
    _apply(entries, +1, -1)


def new_entries_logged(entries: QuerySet) -> None:
    """Add `entries`, just inserted: the counted ones to the figures, the canceled ones (a
    purge's archive restored) to the canceled count; a postponed one counts nowhere."""
    _apply(entries.filter(**COUNTED), +1)
    _apply(entries.filter(canceled=True), 0, +1)


@transaction.atomic
def rebuild(*, canceled: bool = True) -> dict[str, int]:
    """Fill the summaries again from the raw log, in one transaction. On PostgreSQL the log
    is locked against writes meanwhile (readers go on), so nothing logged during the
    rebuild is missed or counted twice. `canceled=False` leaves the canceled count out
    (migration 0025, which runs before 0029 adds its column)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_table(InteractionLogEntry)} IN SHARE MODE")
    for model in (InteractionDaySummary, ContactMonthSummary, CompanyMonthSummary):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table(model)}")
    _apply(InteractionLogEntry.objects.filter(**COUNTED), +1)
    if canceled:
        _apply(InteractionLogEntry.objects.filter(canceled=True), 0, +1)
    return {
        "days": InteractionDaySummary.objects.count(),
        "contacts": ContactMonthSummary.objects.count(),
        "companies": CompanyMonthSummary.objects.count(),
    }


def _one_entry_source(entry: InteractionLogEntry) -> tuple[str, list]:
    """A SELECT of one row holding `entry`'s values, as `_source` reads them from the log:
    the entry at hand needs no read of the log, and a plain statement costs far less CPU to
    build than the ORM's query (this runs for every interaction recorded one by one)."""
    columns, params = [], []
    for name in _ENTRY_COLUMNS:
        field = InteractionLogEntry._meta.get_field(name.removesuffix("_id"))
        value = field.get_db_prep_value(getattr(entry, field.attname), connection)
        # SQLite takes a parameter as it is; PostgreSQL needs each one's type in a SELECT.
        placeholder = f"CAST(%s AS {field.cast_db_type(connection)})" if connection.vendor == "postgresql" else "%s"
        columns.append(f"{placeholder} AS {_q(field.attname)}")
        params.append(value)
    return f"SELECT {', '.join(columns)}", params


def entry_logged(entry: InteractionLogEntry) -> None:
    """Add one entry just inserted: counted, canceled, or nothing (postponed)."""
    if entry.canceled:
        _apply_source(*_one_entry_source(entry), 0, +1)
    elif not entry.postponed:
        _apply_source(*_one_entry_source(entry), +1)


def delete_canceled_entries(*, condition: str, params: list, returning: list[str]) -> list[tuple]:
    """Delete the canceled entries of the log matching the SQL `condition` (over the log's
    columns, with `params`) and take them out of the day summary's canceled count, in the
    caller's transaction; return the `returning` columns of the deleted entries.

    `canceled` is part of the DELETE itself. On PostgreSQL one statement: the DELETE's
    RETURNING, grouped per summary key, is the upsert's source, so the count goes down by
    exactly what was deleted. On SQLite (no data-modifying CTE) the upsert reads the same
    rows first: its write lock is the database's, so nothing changes them before the DELETE."""
    if transaction.get_autocommit():
        raise RuntimeError("summaries must change in the transaction that changes the entries")
    log = _table(InteractionLogEntry)
    where = f"{condition} AND {_q('canceled')} = %s"
    keys = [_q(column) for column in ("date", *_DAY_KEY)]
    wanted = ", ".join(_q(column) for column in returning)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            day, day_params = _upsert_day("e", 0, -1)
            extra = [key for key in keys if key not in {_q(column) for column in returning}]
            cursor.execute(
                f"WITH e AS (DELETE FROM {log} WHERE {where} RETURNING {', '.join([wanted, *extra])}), "
                f"d AS ({day}) SELECT {wanted} FROM e",
                [*params, True, *day_params],
            )
            return cursor.fetchall()
        day, day_params = _upsert_day(f"(SELECT {', '.join(keys)} FROM {log} WHERE {where}) e", 0, -1)
        cursor.execute(day, [*day_params, *params, True])
        cursor.execute(f"DELETE FROM {log} WHERE {where} RETURNING {wanted}", [*params, True])
        return cursor.fetchall()
