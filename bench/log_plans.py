"""Every sort and filter of the log page, the free-text search, the admin changelist and the
CSV's first byte, at 1M entries (issue 19, items 2-4 and 6).

For each sort (both directions) and filter of the page — derived from InteractionLogTable
and InteractionLogFilter, as tests/test_log_plans.py does — the page's server time
(in-process, every middleware), the time of its query for the page's entry numbers alone,
and that query's plan at natural costs (EXPLAIN ANALYZE): the nodes that read the log, and
whether it scans the table or sorts it ("seq scan" / "sort" must be "no"). Pages 1 and 100.

The CSV's first byte is measured over HTTP under gunicorn started with the README's
gunicorn.conf.py: the time to the headers' chunk and to the first chunk of rows (target
< 300 ms for the whole log), then the client goes away (the server closes the cursor).

Data: bench/generate.py's log (reused when it already holds `entries` entries), with 1% of
its entries given a segment, a logged segment and a document, and one entry a rare word.
"""

import datetime
import http.client
import json
import os
import statistics
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import generate
from .common import measure, record
from .throughput import _session_cookie

PORT = int(os.environ.get("BENCH_GUNICORN_PORT", 8098))
LOG = "/interactions/log/"
TABLE = "interactions_interactionlogentry"
RARE_WORD = "zanzibar"


def _execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _prepare() -> dict:
    """Give 1% of the entries a segment, a logged segment and a document, one entry a rare
    word (idempotent); return a filter value per filter."""
    from interactions.models import LoggedSegment

    logged_segment = LoggedSegment.objects.filter(description="bench plans").first()
    if logged_segment is None:
        logged_segment = LoggedSegment.objects.create(description="bench plans", segment_number="SM09999")
        _execute(
            f"UPDATE {TABLE} SET segment_number = 'SM09999', logged_segment_id = %s, document_type = 'sales_invoice', "
            "document_number = 'INV-' || lpad(entry_no::text, 8, '0') WHERE entry_no %% 100 = 7",
            [logged_segment.pk],
        )
        _execute(f"UPDATE {TABLE} SET description = 'Visit to {RARE_WORD}' WHERE entry_no = 424242")
        _execute(f"VACUUM ANALYZE {TABLE}")
    contact, company = _execute(
        f"SELECT c.number, co.number FROM {TABLE} e JOIN contacts_contact c ON c.id = e.contact_id "
        f"JOIN contacts_contact co ON co.id = e.contact_company_id WHERE e.contact_company_id <> e.contact_id "
        "GROUP BY c.number, co.number ORDER BY count(*) DESC LIMIT 1"
    )[0]
    template, group = _execute(f"SELECT template_id, group_id FROM {TABLE} WHERE entry_no = 1000")[0]
    today = datetime.date.today()
    return {
        "q": "Generated",
        "contact": contact,
        "contact_company": company,
        "salesperson": _execute(f"SELECT salesperson_id FROM {TABLE} WHERE entry_no = 1000")[0][0],
        "template": template,
        "group": group,
        "campaign": _execute(f"SELECT campaign_id FROM {TABLE} WHERE campaign_id IS NOT NULL LIMIT 1")[0][0],
        "segment": "SM09999",
        "logged_segment": logged_segment.pk,
        "date_from": (today - datetime.timedelta(days=60)).isoformat(),
        "date_to": (today - datetime.timedelta(days=300)).isoformat(),
        "document_type": "sales_invoice",
        "evaluation": "negative",
        "information_flow": "inbound",
        "canceled": "true",
    }


def _ids_query(client: Client, parameters: dict) -> str:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LOG, parameters)
    if response.status_code != 200:
        raise RuntimeError(f"{parameters}: status {response.status_code}")
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith(f'SELECT "{TABLE}"."entry_no" AS "pk" FROM') and " LIMIT " in sql and " IN (" not in sql:
            return sql
    raise RuntimeError(f"{parameters}: no query for the page's entry numbers")


def _plan(sql: str) -> dict:
    (plan,) = _execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, pending = [], [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    reads = [
        f"{node['Node Type']}{' ' + node['Index Name'] if node.get('Index Name') else ''}"
        for node in nodes
        if node.get("Relation Name") == TABLE or node.get("Index Name")
    ]
    return {
        "plan": ", ".join(reads),
        "seq scan": "yes" if any(node["Node Type"] == "Seq Scan" for node in nodes) else "no",
        "sort": "yes" if any("Sort" in node["Node Type"] for node in nodes) else "no",
    }


def cases(values: dict) -> list[tuple[str, dict]]:
    from interactions.filters import InteractionLogFilter
    from interactions.tables.log import InteractionLogTable

    result = [("default (date)", {})]
    for column in InteractionLogTable([]).columns:
        if column.orderable and column.name != "date":
            result += [
                (f"sort {column.name}", {"sort": column.name}),
                (f"sort -{column.name}", {"sort": f"-{column.name}"}),
            ]
    for name in InteractionLogFilter.base_filters:
        result.append((f"filter {name}", {name: values[name]}))
    result += [
        ("search, rare word", {"q": RARE_WORD}),
        ("search, rare word, by date", {"q": RARE_WORD, "sort": "-date"}),
        ("search, 2% of entries (comments), ranked", {"q": "generated"}),
        ("search, 2% of entries, by date", {"q": "generated", "sort": "-date"}),
        ("search, part of a document no.", {"q": "00424207"}),
    ]
    return result


def run_pages(*, repeat: int) -> list[dict]:
    values = _prepare()
    user, _created = get_user_model().objects.get_or_create(username="bench-manager")
    user.groups.add(Group.objects.get(name="Sales manager"))
    client = Client()
    client.force_login(user)
    rows = []
    for name, parameters in cases(values):
        for page in (1, 100):
            if page > 1 and parameters.get("q"):
                continue
            query = {**parameters, "page": page} if page > 1 else parameters
            sql = _ids_query(client, query)
            timing = measure(lambda query=query: client.get(LOG, query), repeat=repeat)
            bare = measure(lambda sql=sql: _execute(sql), repeat=repeat)
            rows.append(
                {
                    "case": name,
                    "page": page,
                    "server ms": timing["wall_ms"],
                    "db ms": timing["db_ms"],
                    "ids query ms": bare["wall_ms"],
                    **_plan(sql),
                }
            )
    return rows


def run_admin(*, repeat: int) -> list[dict]:
    admin, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    rows = []
    for name, path in [
        ("admin changelist", "/admin/interactions/interactionlogentry/"),
        ("admin changelist, page 100", "/admin/interactions/interactionlogentry/?p=99"),
        ("admin search, rare word", f"/admin/interactions/interactionlogentry/?q={RARE_WORD}"),
        ("admin filter template", "/admin/interactions/interactionlogentry/?template__id__exact=3"),
    ]:
        timing = measure(lambda path=path: client.get(path), repeat=repeat)
        rows.append(
            {"case": name, "server ms": timing["wall_ms"], "db ms": timing["db_ms"], "queries": timing["queries"]}
        )
    return rows


def _wait_until_up(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            connection_ = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection_.request("GET", "/accounts/login/")
            connection_.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def _first_bytes(cookie: str, path: str) -> tuple[float, float]:
    """Seconds to the first chunk (the headers' line) and to the first chunk of rows."""
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    client.request("GET", path, headers={"Cookie": cookie})
    response = client.getresponse()
    if response.status != 200:
        raise RuntimeError(f"CSV: status {response.status}")
    first = response.read1(65536)
    headers_at = time.perf_counter() - started
    received = first
    while received.count(b"\n") < 2:
        received += response.read1(65536)
    rows_at = time.perf_counter() - started
    client.close()  # the client goes away mid-download
    return headers_at, rows_at


def run_csv(*, repeat: int) -> list[dict]:
    cookie = _session_cookie()
    environment = {**os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "crm.wsgi", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "2", "--log-level", "warning"],
        env=environment,
    )  # fmt: skip
    rows = []
    try:
        _wait_until_up(time.monotonic() + 120)
        for name, path in [
            ("CSV, whole log", f"{LOG}?export=csv"),
            ("CSV, one template", f"{LOG}?template=3&export=csv"),
        ]:
            samples = [_first_bytes(cookie, path) for _run in range(repeat + 1)][1:]
            rows.append(
                {
                    "case": name,
                    "first byte ms": statistics.median(sample[0] for sample in samples) * 1000,
                    "first rows ms": statistics.median(sample[1] for sample in samples) * 1000,
                    "target ms": 300,
                    "met": "met" if statistics.median(sample[1] for sample in samples) < 0.3 else "not met",
                }
            )
        time.sleep(1)
        left_open = _execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%'"
        )[0][0]
        rows.append(
            {
                "case": "connections left in a transaction after the clients went away",
                "first byte ms": left_open,
                "first rows ms": "",
                "target ms": 0,
                "met": "met" if left_open == 0 else "not met",
            }
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main(*, entries: int, contacts: int, repeat: int) -> None:
    if generate.entry_count() != entries:
        generate.fill(contacts=contacts, entries=entries)
    note = f"{generate.entry_count():,} entries; the machine is shared with other work: absolute times vary"
    record("log_plans", run_pages(repeat=repeat), notes=[note])
    record("log_admin", run_admin(repeat=repeat), notes=[note])
    record("log_csv_first_byte", run_csv(repeat=repeat), notes=[note, "gunicorn -c gunicorn.conf.py, 2 workers"])
