"""`make bench` (python -m bench): every benchmark, each against its baseline in the same
run, on PostgreSQL. Sizes are configurable; the defaults finish within 15 minutes on
two cores."""

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", action="append", choices=["log_page"], help="run only these benchmarks (repeatable)"
    )
    parser.add_argument("--log-sizes", default="100000,1000000", help="log entries for the log page benchmark")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (the median is reported)")
    arguments = parser.parse_args()

    from .setup import configure

    configure()
    wanted = set(arguments.only or ["log_page"])
    started = time.perf_counter()
    if "log_page" in wanted:
        from . import log_page

        sizes = [int(size) for size in arguments.log_sizes.split(",")]
        log_page.main(sizes=sizes, contacts=arguments.contacts, repeat=arguments.repeat)
    print(f"Benchmarks finished in {time.perf_counter() - started:.0f} s; results in bench/results/.")


if __name__ == "__main__":
    main()
