"""Purging 1M canceled entries out of 2M, against the bare DELETE ... WHERE canceled.

The purge runs in a process of its own so that its peak memory (ru_maxrss) is the purge's;
the longest batch is measured from one batch callback to the next, so it is an upper bound
of the longest batch transaction (it also holds the choice of the next batch). Targets:
at most 2x the bare DELETE; peak memory under 150 MB; no batch longer than 250 ms.

The day summary counts the canceled entries (the purge page's count reads it), so each batch's
DELETE also takes what it deleted out of that count, in the same statement. The purge runs a
second time with that upkeep switched off (in the worker's process only): the summary tables
may add at most 20% to the purge. Their cost is one upserted row per summary key a batch
touches (about 18 µs a row). The purge walks the canceled entries in date order, so a batch
touches few days. Two data shapes: dates at random whatever the entry numbers (a log imported
in any order: each batch's rows lie all over the table) and dates following the entry
numbers (a log written day by day). The run checks that the counted figures are
the same after the purge, and that the summary tables equal a rebuild from the log.
"""

import json
import subprocess
import sys
import time

from django.db import connection, transaction

from . import generate
from .common import record


def _fill(total: int, contacts: int, *, dates_in_order: bool) -> None:
    generate.reset()
    generate.master_data(contacts=contacts)
    generate.log_entries(count=total, canceled_share=0.5, dates_in_order=dates_in_order)


def _bare_delete() -> float:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Comments first: their foreign key would refuse the entries' deletion at commit.
        cursor.execute(
            "DELETE FROM interactions_interactioncomment WHERE entry_id IN "
            "(SELECT entry_no FROM interactions_interactionlogentry WHERE canceled)"
        )
        cursor.execute("DELETE FROM interactions_interactionlogentry WHERE canceled")
    return time.perf_counter() - started


def _purge_in_own_process(batch_size: int, *, summaries: bool = True) -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.purge_worker",
            "--batch-size",
            str(batch_size),
            *([] if summaries else ["--without-summaries"]),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _canceled_left() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM interactions_interactionlogentry WHERE canceled")
        return cursor.fetchone()[0]


def _summaries(*, canceled: bool = False) -> list:
    """A checksum of every summary row in key order: the counted figures, and with `canceled`
    the day summary's canceled count too. Rows counting nothing are left out (the services
    keep them at zero, the rebuild writes none)."""
    day_key = "date, template_id, group_id, salesperson_id, campaign_id"
    tables = [
        ("interactions_interactiondaysummary", day_key, "count, cost, duration" + (", canceled" if canceled else "")),
        ("interactions_contactmonthsummary", "contact_id, month", "count, cost, duration"),
        ("interactions_companymonthsummary", "company_id, month", "count, cost, duration"),
    ]
    rows = []
    with connection.cursor() as cursor:
        for table, key, figures in tables:
            nonzero = " OR ".join(f"{figure} <> 0" for figure in figures.split(", "))
            cursor.execute(
                f"SELECT md5(string_agg(t::text, ',' ORDER BY {key})) "
                f"FROM (SELECT {key}, {figures} FROM {table} WHERE {nonzero}) t"
            )
            rows.append(cursor.fetchone()[0])
    return rows


def _rebuild_summaries() -> None:
    from interactions.services.summaries import rebuild

    rebuild()


def _run(*, total: int, contacts: int, batch_size: int, dates_in_order: bool) -> dict:
    """One data shape: the purge, the purge without the summary upkeep, the bare DELETE."""
    _fill(total, contacts, dates_in_order=dates_in_order)
    canceled = _canceled_left()
    summaries_before = _summaries()
    purge = _purge_in_own_process(batch_size)
    assert _canceled_left() == 0, "the purge left canceled entries"
    assert _summaries() == summaries_before, "the purge changed the counted figures"
    maintained = _summaries(canceled=True)
    _rebuild_summaries()
    assert _summaries(canceled=True) == maintained, "the summary tables differ from a rebuild after the purge"
    _fill(total, contacts, dates_in_order=dates_in_order)
    without = _purge_in_own_process(batch_size, summaries=False)
    _fill(total, contacts, dates_in_order=dates_in_order)
    bare_seconds = _bare_delete()
    return {
        "dates": "follow the entry numbers" if dates_in_order else "random (any order)",
        "entries": f"{total:,}",
        "canceled": f"{canceled:,}",
        "batch size": batch_size,
        "purge s": purge["seconds"],
        "bare DELETE s": bare_seconds,
        "purge / bare": purge["seconds"] / bare_seconds,
        "purge without summaries s": without["seconds"],
        "summaries add": f"{purge['seconds'] / without['seconds'] - 1:+.0%}",
        "longest batch ms": purge["longest_batch_ms"],
        "median batch ms": purge["median_batch_ms"],
        "peak memory MB": purge["peak_memory_mb"],
        "deleted": f"{purge['deleted']:,}",
        "summary tables equal a rebuild": "yes",
    }


def main(*, total: int, contacts: int, batch_size: int) -> None:
    rows = [
        _run(total=total, contacts=contacts, batch_size=batch_size, dates_in_order=dates_in_order)
        for dates_in_order in (False, True)
    ]
    record("purge", rows)
