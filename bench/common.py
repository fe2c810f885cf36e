"""Measuring and recording: medians over repeated runs, database time per request, and the
results file with the machine, the date and the commit."""

import datetime
import json
import os
import platform
import statistics
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class QueryTimer:
    """Sums the time of every SQL query run on the default connection while active."""

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


@contextmanager
def timed_queries():
    from django.db import connection

    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        yield timer


def measure(function, *, repeat: int = 5, warmup: int = 1) -> dict:
    """Median wall time and median database time of `function` (which may return a
    response to consume) over `repeat` runs after `warmup` runs."""
    walls, databases, queries = [], [], []
    for run in range(warmup + repeat):
        with timed_queries() as timer:
            started = time.perf_counter()
            result = function()
            consume(result)
            wall = time.perf_counter() - started
        if run >= warmup:
            walls.append(wall)
            databases.append(timer.seconds)
            queries.append(timer.queries)
    return {
        "wall_ms": statistics.median(walls) * 1000,
        "db_ms": statistics.median(databases) * 1000,
        "queries": max(queries),
        "runs": repeat,
    }


def consume(result) -> None:
    """Read a whole response, streamed or not, so that its time is counted."""
    if result is None:
        return
    status = getattr(result, "status_code", 200)
    if status >= 400:
        raise RuntimeError(f"request failed with status {status}")
    if getattr(result, "streaming", False):
        for _chunk in result.streaming_content:
            pass
    else:
        getattr(result, "content", None)


def machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip())
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit + ("+dirty" if dirty else ""),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_memory()}, Python {platform.python_version()}",
        "postgresql": _postgresql_version(),
    }


def _memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            kilobytes = int(meminfo.readline().split()[1])
        return f"{kilobytes / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "? GiB"


def _postgresql_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def record(name: str, rows: list[dict], *, notes: list[str] | None = None) -> Path:
    """Print a table and append it, with the machine, date and commit, to bench/results/."""
    RESULTS.mkdir(exist_ok=True)
    meta = machine()
    columns = list(rows[0].keys()) if rows else []
    lines = [
        f"## {name}",
        "",
        f"{meta['date']} · commit {meta['commit']} · {meta['machine']} · PostgreSQL {meta['postgresql']}",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows:
        lines.append("| " + " | ".join(_format(row[column]) for column in columns) + " |")
    lines += [""] + [f"- {note}" for note in notes or []] + [""]
    text = "\n".join(lines)
    print(text)
    path = RESULTS / f"{name}.md"
    with path.open("a") as results:
        results.write(text + "\n")
    with (RESULTS / "results.jsonl").open("a") as jsonl:
        jsonl.write(json.dumps({"benchmark": name, **meta, "rows": rows, "notes": notes or []}, default=str) + "\n")
    return path


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)
