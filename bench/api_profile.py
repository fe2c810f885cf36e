"""Where a `POST /api/v1/log-entries/` spends its time (not a benchmark with a target: a
tool to read before changing the create path, `python -m bench.api_profile`).

1. In-process, through every middleware (Django's test client with a personal token):
   CPU ms per request, queries per request (and their SQL, once), and cProfile's top
   functions over the requests; the same for the page's recording service alone.
2. Over HTTP: one gunicorn sync worker, the requests sent one after another on loopback;
   the worker's own CPU time per request (from /proc), so that the load generator's and
   PostgreSQL's CPU are not counted.

Runs on the benchmark database (BENCH_DATABASE_URL, as `make bench`); it adds entries.
"""

import argparse
import cProfile
import datetime
import http.client
import io
import json
import os
import pstats
import subprocess
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def in_process(*, count: int, top: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from .api import _contact_and_template, _token, _user

    sales = _user("bench-sales", "Sales staff")
    contact, template = _contact_and_template()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(sales)}")
    body = json.dumps({"contact": contact.number, "template": template.code, "subject": "Profile"})

    def post():
        response = client.post("/api/v1/log-entries/", body, content_type="application/json")
        assert response.status_code == 201, response.content[:500]
        return response

    for _ in range(20):  # warm up: imports, caches, the first token "last used" write
        post()
    with CaptureQueriesContext(connection) as captured:
        response = post()
    print(f"\n== one API create: {len(captured.captured_queries)} queries, {len(response.content)} bytes answered")
    for query in captured.captured_queries:
        print("  ", query["sql"][:160])
    profile = cProfile.Profile(time.process_time)  # CPU time: a busy machine does not blur it
    profile.enable()
    for _ in range(count):
        post()
    profile.disable()
    # (cProfile's own overhead inflates these; the unprofiled figure follows.)
    started_cpu, started = time.process_time(), time.perf_counter()
    for _ in range(count):
        post()
    api_cpu = (time.process_time() - started_cpu) / count * 1000
    api_wall = (time.perf_counter() - started) / count * 1000
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(top)
    print(f"\n== cProfile (CPU time) over {count} API creates, by cumulative time\n" + stream.getvalue())
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(top)
    print("\n== by own time\n" + stream.getvalue())

    from interactions.services.recording import InteractionDetails, record_interaction

    def service():
        record_interaction(
            details=InteractionDetails(
                contact=contact, template=template, salesperson=contact.salesperson, date=datetime.date.today(),
                description=template.description, subject="Profile", correspondence_type=contact.correspondence_type,
                contact_via=contact.email,
            ),
            user=sales,
        )  # fmt: skip

    with CaptureQueriesContext(connection) as captured:
        service()
    service_queries = len(captured.captured_queries)
    started_cpu, started = time.process_time(), time.perf_counter()
    for _ in range(count):
        service()
    service_cpu = (time.process_time() - started_cpu) / count * 1000
    service_wall = (time.perf_counter() - started) / count * 1000
    print(
        f"\n== in-process, {count} each: API create {api_cpu:.2f} ms CPU ({api_wall:.2f} ms wall), "
        f"service alone {service_cpu:.2f} ms CPU ({service_wall:.2f} ms wall, {service_queries} queries)"
    )


def over_http(*, count: int, port: int) -> None:
    from .api import _contact_and_template, _token, _user, _wait_until_up

    sales = _user("bench-sales", "Sales staff")
    contact, template = _contact_and_template()
    environment = {
        **os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1",
        "API_THROTTLE_RATE": "10000000/minute", "CONN_MAX_AGE": "60",
    }  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--log-level", "warning"],
        env=environment,
    )  # fmt: skip
    try:
        _wait_until_up(time.monotonic() + 30, port)
        [worker] = _children(server.pid)
        headers = {
            "Authorization": f"Bearer {_token(sales)}",
            "Content-Type": "application/json",
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
        }
        body = json.dumps({"contact": contact.number, "template": template.code, "subject": "Profile"})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def post():
            nonlocal connection
            connection.request("POST", "/api/v1/log-entries/", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 201, response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        for _ in range(20):
            post()
        cpu, started = _process_cpu_seconds(worker), time.perf_counter()
        for _ in range(count):
            post()
        cpu = (_process_cpu_seconds(worker) - cpu) / count * 1000
        wall = (time.perf_counter() - started) / count * 1000
        print(
            f"\n== over HTTP, one sync worker, {count} sequential creates: {cpu:.2f} ms worker CPU, {wall:.2f} ms wall"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api_profile", description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--port", type=int, default=8097)
    arguments = parser.parse_args()
    from .setup import configure

    configure()
    in_process(count=arguments.count, top=arguments.top)
    over_http(count=arguments.count, port=arguments.port)


if __name__ == "__main__":
    main()
