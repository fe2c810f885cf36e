"""`make bench` (python -m bench): every benchmark, each against its baseline in the same
run, on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/crm_bench;
the database is created and emptied as needed). Sizes are configurable; the defaults finish
within 15 minutes on two cores (the pages suite adds about ten; `SCALE=10m` takes it to ten
million entries). Results: printed, and appended to bench/results/."""

import argparse
import os
import time

BENCHMARKS = [
    "log_page",
    "log_plans",
    "log_count",
    "throughput",
    "printing",
    "segment_logging",
    "segment_recipe",
    "segment_delivery",
    "purge",
    "search",
    "api",
    "mail_capture",
    "pages",
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these (repeatable)")
    parser.add_argument("--log-sizes", default="100000,1000000", help="log entries for the log page (comma-separated)")
    parser.add_argument("--count-entries", type=int, default=1_000_000, help="log entries for the log's count")
    parser.add_argument("--contacts", type=int, default=10_000, help="contacts for the log page data")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (the median is reported)")
    parser.add_argument("--segment-lines", type=int, default=100_000)
    parser.add_argument(
        "--segment-build-lines", type=int, default=100_000, help="lines of the segment built from criteria (0: none)"
    )
    parser.add_argument("--recipe-sizes", default="1000,10000", help="lines of the replayed recipe (comma-separated)")
    parser.add_argument("--naive-lines", type=int, default=10_000, help="lines for the naive save() loop (scaled)")
    parser.add_argument("--delivery-lines", type=int, default=10_000, help="lines of the segment delivered by e-mail")
    parser.add_argument(
        "--delivery-pool", default="threads", choices=["solo", "threads", "prefork"], help="the delivery workers' pool"
    )
    parser.add_argument("--delivery-concurrency", type=int, default=4, help="tasks at once per delivery worker")
    parser.add_argument("--purge-entries", type=int, default=2_000_000, help="entries, half of them canceled")
    parser.add_argument("--purge-batch-size", type=int, default=5000)
    parser.add_argument("--load-seconds", type=float, default=15, help="seconds of load per page (at most 120)")
    parser.add_argument("--search-contacts", type=int, default=150_000, help="contacts for the search")
    parser.add_argument("--search-entries", type=int, default=1_000_000, help="log entries for the search")
    parser.add_argument("--search-documents", type=int, default=100_000, help="documents for the search")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--load-threads", type=int, default=4)
    parser.add_argument("--api-log-size", type=int, default=1_000_000, help="log entries for the API list")
    parser.add_argument("--api-creates", type=int, default=10_000, help="interactions created through the API")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers for the API's create load")
    parser.add_argument(
        "--api-worker-threads", type=int, default=2, help="threads per gunicorn worker (gthread; 1: sync workers)"
    )
    parser.add_argument("--api-port", type=int, default=8098, help="loopback port of the API's gunicorn")
    parser.add_argument("--mail-messages", type=int, default=20_000, help="messages in the mailbox backlog")
    parser.add_argument(
        "--scale",
        default=os.environ.get("SCALE") or "default",
        help="sizes of the pages suite: default (100k and 1M entries) or 10m (100k and 10M); env SCALE",
    )
    parser.add_argument("--pages-port", type=int, default=8099, help="loopback port of the pages suite's gunicorn")
    parser.add_argument("--pages-workers", type=int, default=2, help="gunicorn workers of the pages suite")
    parser.add_argument(
        "--mail-parse-processes",
        type=int,
        default=0,
        help="parse processes of the mailbox reading (INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES; default 0: none)",
    )
    arguments = parser.parse_args()

    from .setup import configure

    configure()
    wanted = set(arguments.only or BENCHMARKS)
    started = time.perf_counter()
    sizes = [int(size) for size in arguments.log_sizes.split(",")]
    if "log_page" in wanted:
        from . import log_page

        log_page.main(sizes=sizes, contacts=arguments.contacts, repeat=arguments.repeat)
    if "log_plans" in wanted:
        from . import log_plans

        log_plans.main(entries=max(sizes), contacts=arguments.contacts, repeat=arguments.repeat)
    if "log_count" in wanted:
        from . import log_count

        log_count.main(entries=arguments.count_entries, contacts=arguments.contacts, repeat=arguments.repeat)
    if "throughput" in wanted:
        from . import generate, throughput

        throughput.main(
            workers=arguments.gunicorn_workers,
            threads=arguments.load_threads,
            seconds=arguments.load_seconds,
            entries=f"{generate.entry_count():,}",
        )
    if "printing" in wanted:
        from . import printing

        printing.main(repeat=max(arguments.repeat, 10))
    if "segment_logging" in wanted:
        from . import segment_logging

        segment_logging.main(
            lines=arguments.segment_lines,
            naive_lines=arguments.naive_lines,
            existing_entries=max(sizes),
            repeat=arguments.repeat,
        )
    if "segment_recipe" in wanted:
        from . import segment_recipe

        segment_recipe.main(
            repeat=min(arguments.repeat, 3),
            sizes=tuple(int(size) for size in arguments.recipe_sizes.split(",") if size),
            build_lines=arguments.segment_build_lines,
        )
    if "segment_delivery" in wanted:
        from . import segment_delivery

        segment_delivery.main(
            lines=arguments.delivery_lines,
            repeat=min(arguments.repeat, 3),
            pool=arguments.delivery_pool,
            concurrency=arguments.delivery_concurrency,
        )
    if "purge" in wanted:
        from . import purge

        purge.main(total=arguments.purge_entries, contacts=arguments.contacts, batch_size=arguments.purge_batch_size)
    if "search" in wanted:
        from . import search

        search.main(
            contacts=arguments.search_contacts,
            entries=arguments.search_entries,
            documents=arguments.search_documents,
            repeat=arguments.repeat,
        )
    if "api" in wanted:
        from . import api

        api.main(
            size=arguments.api_log_size,
            contacts=arguments.contacts,
            repeat=arguments.repeat,
            creates=arguments.api_creates,
            threads=arguments.load_threads,
            workers=arguments.api_workers,
            worker_threads=arguments.api_worker_threads,
            port=arguments.api_port,
        )
    if "mail_capture" in wanted:
        from . import mail_capture

        mail_capture.main(messages=arguments.mail_messages, parse_processes=arguments.mail_parse_processes)
    if "pages" in wanted:
        from . import pages

        pages.main(
            scale=arguments.scale, repeat=arguments.repeat, port=arguments.pages_port, workers=arguments.pages_workers
        )
    print(f"Benchmarks finished in {time.perf_counter() - started:.0f} s; results in bench/results/.")


if __name__ == "__main__":
    main()
