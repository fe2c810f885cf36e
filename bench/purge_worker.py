"""Run the purge service alone in this process and print what it cost, as JSON."""

import argparse
import json
import resource
import statistics
import time

from bench.setup import configure


def peak_memory_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: on Linux ru_maxrss survives
    the fork and exec that start this process, so it would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _without_summaries() -> None:
    """Each batch's DELETE alone, without taking its entries out of the day summary's canceled
    count (this process only): what the purge costs without the summary tables."""
    from django.db import connection

    from interactions.services import summaries

    def bare_delete(*, condition: str, params: list, returning: list[str]) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM interactions_interactionlogentry WHERE {condition} AND canceled = %s "
                f"RETURNING {', '.join(returning)}",
                [*params, True],
            )
            return cursor.fetchall()

    summaries.delete_canceled_entries = bare_delete


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--without-summaries", action="store_true", help="the summary tables' upkeep switched off")
    arguments = parser.parse_args()
    configure()
    if arguments.without_summaries:
        _without_summaries()
    from interactions.services.purge.service import purge_canceled_interactions

    batches = []
    last = [time.perf_counter()]

    def on_batch(deleted, total):
        now = time.perf_counter()
        batches.append(now - last[0])
        last[0] = now

    started = time.perf_counter()
    deleted = purge_canceled_interactions(batch_size=arguments.batch_size, on_batch=on_batch)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "deleted": deleted,
                "seconds": seconds,
                "longest_batch_ms": max(batches) * 1000 if batches else 0,
                "median_batch_ms": statistics.median(batches) * 1000 if batches else 0,
                "peak_memory_mb": peak_memory_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
