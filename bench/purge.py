"""Purging 1M canceled entries out of 2M, against the bare DELETE ... WHERE canceled.

The purge runs in a process of its own so that its peak memory (ru_maxrss) is the purge's;
the longest batch is measured from one batch callback to the next, so it is an upper bound
of the longest batch transaction (it also holds the choice of the next batch). Targets:
at most 2x the bare DELETE; peak memory under 150 MB; no batch longer than 250 ms.

The summary tables add nothing to the purge: it deletes only canceled entries, which they do
not count, so it runs no statement on them; the run checks that they are the same after it.
"""

import json
import subprocess
import sys
import time

from django.db import connection, transaction

from . import generate
from .common import record


def _fill(total: int, contacts: int) -> None:
    generate.reset()
    generate.master_data(contacts=contacts)
    generate.log_entries(count=total, canceled_share=0.5)


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


def _purge_in_own_process(batch_size: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.purge_worker", "--batch-size", str(batch_size)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _canceled_left() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM interactions_interactionlogentry WHERE canceled")
        return cursor.fetchone()[0]


def _summaries() -> list:
    """Every summary row, in key order (a checksum would do; the tables are small)."""
    rows = []
    with connection.cursor() as cursor:
        for table, key in (
            ("interactions_interactiondaysummary", "date, template_id, group_id, salesperson_id, campaign_id"),
            ("interactions_contactmonthsummary", "contact_id, month"),
            ("interactions_companymonthsummary", "company_id, month"),
        ):
            cursor.execute(f"SELECT md5(string_agg(t::text, ',' ORDER BY {key})) FROM (SELECT {key}, count, cost, "
                           f"duration FROM {table}) t")  # fmt: skip
            rows.append(cursor.fetchone()[0])
    return rows


def main(*, total: int, contacts: int, batch_size: int) -> None:
    _fill(total, contacts)
    canceled = _canceled_left()
    summaries_before = _summaries()
    purge = _purge_in_own_process(batch_size)
    assert _canceled_left() == 0, "the purge left canceled entries"
    assert _summaries() == summaries_before, "the purge changed the summary tables"
    _fill(total, contacts)
    bare_seconds = _bare_delete()
    rows = [
        {
            "entries": f"{total:,}",
            "canceled": f"{canceled:,}",
            "batch size": batch_size,
            "purge s": purge["seconds"],
            "bare DELETE s": bare_seconds,
            "purge / bare": purge["seconds"] / bare_seconds,
            "longest batch ms": purge["longest_batch_ms"],
            "median batch ms": purge["median_batch_ms"],
            "peak memory MB": purge["peak_memory_mb"],
            "deleted": f"{purge['deleted']:,}",
            "summary tables changed": "no",
        }
    ]
    record("purge", rows)
