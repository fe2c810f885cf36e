"""The REST API against the pages it stands beside.

1. The log entries list (`/api/v1/log-entries/`, cursor pagination) against the log page
   (`/interactions/log/`) for the same filter, at depth 1 and at depth 20,000 (the API by
   its cursor, the page by its page number): server time in-process through every
   middleware, the API with a personal token. Target: the API within 2x the page's time.
2. Recording: 10,000 interactions created one POST each over 4 keep-alive connections to
   gunicorn (the README's production command), requests per second, against the page's own
   recording service called in a loop in-process (the limit). Target: at least a third.
"""

import datetime
import functools
import json
import os
import subprocess
import sys
import time
import urllib.request

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from . import generate
from .common import measure, record

DEPTH = 20_000
PAGE = 50


def _user(username: str, group: str):
    user, _created = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=group))
    return get_user_model().objects.get(pk=user.pk)


def _token(user) -> str:
    from crm.api.tokens import create_token

    return create_token(user=user, name=f"bench {time.time()}").secret


def _cursor_at(where: str, params: list, offset: int) -> str | None:
    from interactions.api.pagination import _encode

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date, entry_no FROM interactions_interactionlogentry WHERE NOT postponed "
            f"{where} ORDER BY date DESC, entry_no DESC LIMIT 1 OFFSET %s",
            [*params, offset - 1],
        )
        row = cursor.fetchone()
    return _encode(*row) if row else None


def _cases() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, id FROM contacts_contact ORDER BY id LIMIT 1")
        heavy_number, heavy_id = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM interactions_interactionlogentry WHERE contact_id = %s", [heavy_id])
        heavy_count = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM interactions_interactiontemplate WHERE code = 'OUTGOING'")
        template_id = cursor.fetchone()[0]
    today = datetime.date.today()
    date_from, date_to = (
        (today - datetime.timedelta(days=90)).isoformat(),
        (today - datetime.timedelta(days=30)).isoformat(),
    )
    heavy_depth = min(DEPTH, max(heavy_count - PAGE, PAGE))
    filters = [
        ("unfiltered", "", "", []),
        ("heavy contact", f"contact={heavy_number}", "AND contact_id = %s", [heavy_id]),
        (
            "date range + template",
            f"date_from={date_from}&date_to={date_to}&template={template_id}",
            "AND date BETWEEN %s AND %s AND template_id = %s",
            [date_from, date_to, template_id],
        ),
    ]
    cases = []
    for name, query, where, params in filters:
        depth = heavy_depth if name == "heavy contact" else DEPTH
        cases.append(
            {"case": f"{name}, depth 1", "page": f"/interactions/log/?{query}", "api": f"/api/v1/log-entries/?{query}"}
        )
        cursor = _cursor_at(where, params, depth)
        if cursor is None:
            continue
        page_number = depth // PAGE + 1
        cases.append(
            {
                "case": f"{name}, depth {depth:,}",
                "page": f"/interactions/log/?{query}&page={page_number}",
                "api": f"/api/v1/log-entries/?{query}&cursor={cursor}",
            }
        )
    return cases


def list_rows(*, repeat: int, entries: str) -> list[dict]:
    manager = _user("bench-manager", "Sales manager")
    page_client = Client()
    page_client.force_login(manager)
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(manager)}")
    rows = []
    for case in _cases():
        page = measure(functools.partial(page_client.get, case["page"]), repeat=repeat)
        api = measure(functools.partial(api_client.get, case["api"]), repeat=repeat)
        rows.append(
            {
                "entries": entries,
                "case": case["case"],
                "page ms": page["wall_ms"],
                "page queries": page["queries"],
                "API ms": api["wall_ms"],
                "API db ms": api["db_ms"],
                "API queries": api["queries"],
                "API / page": api["wall_ms"] / page["wall_ms"],
            }
        )
    return rows


def _wait_until_up(deadline: float, port: int) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _contact_and_template():
    from crm.contacts.models import Contact
    from interactions.models import InteractionTemplate

    contact = Contact.objects.filter(type="person").order_by("id").first()
    return contact, InteractionTemplate.objects.get(code="OUTGOING")


def service_loop(*, user, count: int) -> tuple[float, float]:
    """The new-interaction page's recording service, in a loop in-process: per second, and
    CPU ms per call."""
    from interactions.services.recording import InteractionDetails, record_interaction

    contact, template = _contact_and_template()
    started, started_cpu = time.perf_counter(), time.process_time()
    for number in range(count):
        record_interaction(
            details=InteractionDetails(
                contact=contact, template=template, salesperson=contact.salesperson, date=datetime.date.today(),
                description=template.description, subject=f"Bench {number}",
                correspondence_type=contact.correspondence_type, contact_via=contact.email,
            ),
            user=user,
        )  # fmt: skip
    return count / (time.perf_counter() - started), (time.process_time() - started_cpu) / count * 1000


def _stat_fields(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _server_cpu_seconds(arbiter: int) -> float:
    """CPU time (user + system) of gunicorn so far: the arbiter's own, that of its workers
    that have ended (replaced after max_requests: counted in the arbiter's children's time
    once reaped) and that of its live workers, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = _stat_fields(arbiter)
    total = sum(int(fields[index]) for index in (11, 12, 13, 14)) / ticks if fields else 0.0
    for pid in _workers_of(arbiter):
        if worker := _stat_fields(pid):
            total += (int(worker[11]) + int(worker[12])) / ticks
    return total


def _workers_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def create_rows(
    *, total: int, threads: int, workers: int, worker_threads: int, baseline_count: int, entries: str, port: int
) -> list[dict]:
    """The limit is measured before and after the load, and the faster of the two is the
    one the API is held to: on a machine shared with other work, a limit measured at a
    quiet moment is never compared with a load that ran at a busy one in the API's favour."""
    sales = _user("bench-sales", "Sales staff")
    contact, template = _contact_and_template()
    before, before_cpu = service_loop(user=sales, count=baseline_count)
    environment = {
        **os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1",
        "API_THROTTLE_RATE": "10000000/minute", "CONN_MAX_AGE": "60",
    }  # fmt: skip
    # gthread workers keep the load generator's connections open (keep-alive); sync
    # workers close each connection after its response.
    server_kind = (
        f"{workers} gthread workers x {worker_threads} threads" if worker_threads > 1 else f"{workers} sync workers"
    )
    worker_class = ["--worker-class", "gthread", "--threads", str(worker_threads)] if worker_threads > 1 else []
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         *worker_class, "--log-level", "warning"],
        env=environment,
    )  # fmt: skip
    try:
        _wait_until_up(time.monotonic() + 30, port)
        body = json.dumps({"contact": contact.number, "template": template.code, "subject": "Bench API"})
        cpu = _server_cpu_seconds(server.pid)
        completed = subprocess.run(
            [sys.executable, "-m", "bench.api_load", "--port", str(port), "--path", "/api/v1/log-entries/",
             "--token", _token(sales), "--body", body, "--total", str(total), "--connections", str(threads)],
            capture_output=True, text=True, check=True, timeout=3600,
        )  # fmt: skip
        server_cpu_ms = (_server_cpu_seconds(server.pid) - cpu) / total * 1000
        report = json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)
    after, after_cpu = service_loop(user=sales, count=baseline_count)
    baseline = max(before, after)
    if report["first_errors"]:
        print("First errors:", report["first_errors"])
    limit = {"entries": entries, "p95 ms": "n/a", "errors": 0}
    return [
        {
            "entries": entries,
            "what": f"API: {total:,} POST /api/v1/log-entries/, {threads} keep-alive connections (one process each), "
            f"gunicorn {server_kind}",
            "created/s": report["per_second"],
            "p50 ms": report["p50_ms"],
            "p95 ms": report["p95_ms"],
            "CPU ms per create": server_cpu_ms,
            "errors": report["errors"],
            "of the limit": report["per_second"] / baseline,
        },
        {
            **limit,
            "what": f"limit: record_interaction() in a loop in-process, {baseline_count:,} times, before the load",
            "created/s": before,
            "p50 ms": 1000 / before,
            "CPU ms per create": before_cpu,
            "of the limit": before / baseline,
        },
        {
            **limit,
            "what": f"limit: the same, {baseline_count:,} times, after the load",
            "created/s": after,
            "p50 ms": 1000 / after,
            "CPU ms per create": after_cpu,
            "of the limit": after / baseline,
        },
    ]


def main(
    *, size: int, contacts: int, repeat: int, creates: int, threads: int, workers: int, worker_threads: int, port: int
) -> None:
    if generate.entry_count() != size:
        generate.fill(contacts=contacts, entries=size)
    entries = f"{size:,}"
    record(
        "api_log_list",
        list_rows(repeat=repeat, entries=entries),
        notes=["server time in-process, median of runs; target API / page <= 2"],
    )
    record(
        "api_create",
        create_rows(
            total=creates,
            threads=threads,
            workers=workers,
            worker_threads=worker_threads,
            baseline_count=min(creates, 2000),
            entries=entries,
            port=port,
        ),
        notes=["target: the API at least a third of the in-process limit"],
    )
