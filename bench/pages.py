"""Every page of issue 19's table, timed as a user meets it: over HTTP under gunicorn
(started with the README's gunicorn.conf.py), at two sizes of the log (default 100k and
1M entries; `SCALE=10m`: 100k and 10M), with the growth between them.

For each page:
- HTTP ms: the client's time to the whole response, median of `repeat` requests after a
  warm-up, one after the other on one idle keep-alive connection from this process;
- server ms: gunicorn's own time for the same requests (its access log's request time),
  median;
- in-process ms, db ms, queries: the same request through Django's test client in this
  process (every middleware), its database time the sum of its queries' times
  (connection.execute_wrapper), medians;
- floor ms: the bare SQL floor, the single cheapest statement that gives the page's figures
  or rows (the aggregate over the log, the page's own query for the entry numbers of the
  log's page, the index scan of a segment's lines), run bare from this process, median.
Targets (issue 19, at the larger size): server time under 150 ms, growth from the smaller
size at most 1.3x; the whole log's CSV: the first byte under 300 ms (timed to the first
byte, and to the first rows); the Excel export is a Celery task, so the request that starts
it is timed (needs a broker: BENCH_CELERY_BROKER_URL, else that row is left out).

Data (bench/generate.py): 100,000 contacts, one company (the first) with 7 % of the entries
counting its persons, the log's usual shape; 1 % of the entries with a segment and a
document (bench/log_plans.py), a rare word in one entry, a segment of 100,000 lines. Each
size has a database of its own, named after the benchmark database and the size
(crm_bench_pages_10000000): it is made once (10M entries take long) and reused by the next
runs, migrated to the code of the run.
"""

import datetime
import functools
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client

from . import generate, log_plans
from .common import measure, record

SCALES = {"default": [100_000, 1_000_000], "10m": [100_000, 10_000_000]}
CONTACTS = 100_000
TOP_SHARE = 0.07
SEGMENT_LINES = 100_000
SEGMENT_DESCRIPTION = "bench pages"
RARE_WORD = "quetzalcoatl"
PAGE = 50
DEEP_PAGE = 100
TARGET_MS = 150
TARGET_GROWTH = 1.3
TARGET_FIRST_BYTE_MS = 300
LOG = "/interactions/log/"
TABLE = "interactions_interactionlogentry"
USERNAME = "bench-pages-admin"


def sizes_for(scale: str) -> list[int]:
    """SCALE: a name of SCALES, or entry counts separated by commas ("20000,200000")."""
    if scale in SCALES:
        return SCALES[scale]
    try:
        return [int(size) for size in scale.split(",")]
    except ValueError:
        raise SystemExit(f"SCALE={scale!r}: one of {', '.join(SCALES)}, or entry counts separated by commas") from None


def use_database(size: int) -> str:
    """Point this process (and the gunicorn it starts) at the database of `size` entries,
    created and migrated if needed; returns its URL."""
    from django.core.management import call_command
    from django.db import connections

    from .setup import _create_database

    base = os.environ.get("BENCH_PAGES_BASE_URL") or os.environ["DATABASE_URL"]
    os.environ["BENCH_PAGES_BASE_URL"] = base
    url = f"{base}_pages_{size}"
    _create_database(url)
    os.environ["DATABASE_URL"] = url
    connections.close_all()
    connections["default"].settings_dict["NAME"] = url.rsplit("/", 1)[1]
    call_command("migrate", verbosity=0)
    return url


def _execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _load() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


# Data


def prepare(size: int) -> dict:
    """The data set of `size` entries (made unless already there); the values the pages use."""
    from interactions.models import InteractionTemplate, Segment

    if generate.entry_count() != size or _execute("SELECT count(*) FROM contacts_contact")[0][0] != CONTACTS:
        print(f"pages: generating {size:,} entries and {CONTACTS:,} contacts ...", flush=True)
        print(generate.fill(contacts=CONTACTS, entries=size, top_share=TOP_SHARE), flush=True)
    _execute(
        f"UPDATE {TABLE} SET description = 'Visit to {RARE_WORD}' WHERE entry_no = %s "
        f"AND description <> 'Visit to {RARE_WORD}'",
        [size // 2 + 1],
    )
    segment = Segment.objects.filter(description=SEGMENT_DESCRIPTION).first()
    if segment is None or segment.lines.count() != SEGMENT_LINES:
        if segment is not None:
            segment.lines.all().delete()
            segment.delete()
        template = InteractionTemplate.objects.get(code="BUS")
        segment = Segment.objects.create(
            description=SEGMENT_DESCRIPTION, template=template, unit_cost=template.unit_cost,
            unit_duration=template.unit_duration, information_flow=template.information_flow,
            initiated_by=template.initiated_by, salesperson_id=1,
        )  # fmt: skip
        _execute(
            """
            INSERT INTO interactions_segmentline
                (segment_id, contact_id, contact_company_id, correspondence_type, template_id, language, subject,
                 description, evaluation, cost, duration, information_flow, initiated_by, campaign_id,
                 campaign_target, campaign_response, contact_via)
            SELECT %s, id, coalesce(company_id, id), 'email', %s, 'en', '', '', '', %s, %s, %s, %s, NULL,
                   false, false, email
            FROM contacts_contact ORDER BY id LIMIT %s
            """,
            [segment.pk, template.pk, template.unit_cost, template.unit_duration, template.information_flow,
             template.initiated_by, SEGMENT_LINES],
        )  # fmt: skip
        _execute("VACUUM ANALYZE interactions_segmentline")
    values = log_plans._prepare()  # 1 % with a segment and a document (idempotent)
    company_id, company_number = _execute(
        "SELECT id, number FROM contacts_contact WHERE type = 'company' ORDER BY id LIMIT 1"
    )[0]
    template_id, template_code = _execute(
        "SELECT id, code FROM interactions_interactiontemplate WHERE code = 'OUTGOING'"
    )[0]
    return {
        **values,
        "company_id": company_id,
        "company_number": company_number,
        "template_id": template_id,
        "template_code": template_code,
        "segment_id": segment.pk,
        "segment_number": segment.number,
        "company_entries": _execute(f"SELECT count(*) FROM {TABLE} WHERE contact_company_id = %s", [company_id])[0][0],
    }


def _user():
    user, _created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# The pages and their floors


def _log_ids_query(client: Client, parameters: dict) -> tuple[str, None]:
    """The log page's own query for its page of entry numbers: its floor (the index scan)."""
    return log_plans._ids_query(client, parameters), None


def _weekly_floor() -> tuple[str, list]:
    today = datetime.date.today()
    this_week = today - datetime.timedelta(days=today.weekday())
    first_week = this_week - datetime.timedelta(weeks=25)
    return (
        f"SELECT date_trunc('week', date), group_id, count(*) FROM {TABLE} "
        "WHERE NOT canceled AND NOT postponed AND date BETWEEN %s AND %s GROUP BY 1, 2",
        [first_week, this_week + datetime.timedelta(days=6)],
    )


def _totals_floor(column: str) -> tuple[str, list]:
    return (
        f"SELECT {column}, count(*), sum(cost), sum(duration) FROM {TABLE} "
        f"WHERE NOT canceled AND NOT postponed AND {column} IS NOT NULL GROUP BY {column}",
        [],
    )


def cases(values: dict, client: Client) -> list[dict]:
    """Every page: name, path, and its floor (SQL, parameters)."""
    from interactions.tables.log import InteractionLogTable

    purge_date = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    company = values["company_id"]
    result = [
        {"page": "dashboard (home)", "path": "/", "floor": _weekly_floor()},
        {"page": "template totals", "path": "/interactions/templates/", "floor": _totals_floor("template_id")},
        {"page": "group totals", "path": "/interactions/groups/", "floor": _totals_floor("group_id")},
        {"page": "salesperson totals", "path": "/interactions/salespeople/", "floor": _totals_floor("salesperson_id")},
        {
            "page": "template page (OUTGOING)",
            "path": f"/interactions/templates/{values['template_code']}/",
            "floor": (
                f"SELECT count(*), sum(cost), sum(duration) FROM {TABLE} "
                "WHERE NOT canceled AND NOT postponed AND template_id = %s",
                [values["template_id"]],
            ),
        },
        {
            "page": f"contact card, company with {values['company_entries']:,} entries",
            "path": f"/contacts/{values['company_number']}/",
            "floor": (
                f"SELECT count(*), sum(cost), sum(duration), max(date) FILTER (WHERE NOT attempt_failed), "
                f"max(date) FILTER (WHERE initiated_by = 'us') FROM {TABLE} "
                "WHERE contact_company_id = %s AND NOT canceled AND NOT postponed",
                [company],
            ),
        },
    ]
    log_cases = [("log (by date)", {})]
    for column in InteractionLogTable([]).columns:
        if column.orderable and column.name != "date":
            log_cases += [(f"log sorted by {column.name}", {"sort": column.name}),
                          (f"log sorted by -{column.name}", {"sort": f"-{column.name}"})]  # fmt: skip
    from interactions.filters import InteractionLogFilter

    for name in InteractionLogFilter.base_filters:
        if name != "q":
            log_cases.append((f"log filtered by {name}", {name: values[name]}))
    log_cases += [
        (f"log filtered by template, page {DEEP_PAGE}", {"template": values["template"], "page": DEEP_PAGE}),
        ("log search, rare word", {"q": RARE_WORD}),
    ]
    for name, parameters in log_cases:
        query = f"?{urlencode(parameters)}" if parameters else ""
        result.append({"page": name, "path": f"{LOG}{query}", "floor": _log_ids_query(client, parameters)})
    search_floor = result[-1]["floor"]
    lines_pages = -(-SEGMENT_LINES // PAGE)
    segment = values["segment_number"]
    for page in (1000, lines_pages):
        result.append(
            {
                "page": f"segment of {SEGMENT_LINES:,} lines, page {page}" + (" (last)" if page == lines_pages else ""),
                "path": f"/interactions/segments/{segment}/?page={page}",
                "floor": (
                    "SELECT id FROM interactions_segmentline WHERE segment_id = %s ORDER BY id LIMIT %s OFFSET %s",
                    [values["segment_id"], PAGE, (page - 1) * PAGE],
                ),
            }
        )
    result += [
        {
            "page": "purge page's count",
            "path": f"/interactions/purge/?date_to={purge_date}",
            "floor": (f"SELECT count(*) FROM {TABLE} WHERE canceled AND date <= %s", [purge_date]),
        },
        {
            "page": "admin changelist of the log",
            "path": "/admin/interactions/interactionlogentry/",
            "floor": (
                f"SELECT entry_no FROM {TABLE} WHERE NOT postponed ORDER BY date DESC, entry_no DESC LIMIT {PAGE}",
                None,
            ),
        },
        {
            "page": "admin changelist, search rare word",
            "path": f"/admin/interactions/interactionlogentry/?q={RARE_WORD}",
            "floor": search_floor,
        },
    ]
    return result


# gunicorn


class Server:
    """gunicorn -c gunicorn.conf.py on loopback, with an access log that gives each
    request's time as gunicorn measured it."""

    def __init__(self, *, port: int, workers: int, broker: str | None):
        self.port = port
        self.log = Path(tempfile.mkstemp(prefix="bench-pages-", suffix=".log")[1])
        environment = {
            **os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1",
            "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
            "GUNICORN_ACCESS_LOG": str(self.log),
        }  # fmt: skip
        if broker:
            environment["CELERY_BROKER_URL"] = broker
        else:
            environment.pop("CELERY_BROKER_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crm.wsgi", "-c", "gunicorn.conf.py",
             # request method, path?query, status, microseconds
             "--access-logformat", "%(m)s %(U)s?%(q)s %(s)s %(D)s", "--log-level", "warning"],
            env=environment, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                client.request("GET", "/accounts/login/")
                client.getresponse().read()
                client.close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)

    def log_position(self) -> int:
        return self.log.stat().st_size

    def server_times(self, since: int, count: int) -> list[float]:
        """gunicorn's times (ms) of the last `count` requests logged after `since`."""
        for _attempt in range(50):
            with self.log.open() as log:
                log.seek(since)
                lines = [line.split() for line in log.read().splitlines() if line.strip()]
            if len(lines) >= count:
                return [int(line[-1]) / 1000 for line in lines[-count:]]
            time.sleep(0.1)
        return []

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.unlink(missing_ok=True)


def _request(port: int, method: str, path: str, headers: dict, client=None):
    """One request on `client` (a keep-alive connection, opened again if the server closed
    it); returns (client, status, location, seconds to the whole body)."""
    for attempt in (1, 2):
        if client is None:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        started = time.perf_counter()
        try:
            client.request(method, path, headers=headers)
            response = client.getresponse()
            response.read()
            return client, response.status, response.getheader("Location", ""), time.perf_counter() - started
        except (OSError, http.client.HTTPException):
            client.close()
            client = None
            if attempt == 2:
                raise
    raise AssertionError


def over_http(server: Server, cookie: str, path: str, *, repeat: int, method: str = "GET", headers=None) -> dict:
    headers = {"Cookie": cookie, "Host": "127.0.0.1", **(headers or {})}
    client, status, location, _seconds = _request(server.port, method, path, headers)  # warm-up
    if status >= 400:
        raise RuntimeError(f"{path}: status {status}")
    since = server.log_position()
    times = []
    for _run in range(repeat):
        client, status, location, seconds = _request(server.port, method, path, headers, client)
        times.append(seconds)
    client.close()
    server_times = server.server_times(since, repeat)
    return {
        "http_ms": statistics.median(times) * 1000,
        "server_ms": statistics.median(server_times) if server_times else None,
        "status": status,
        "location": location,
    }


def _first_bytes(server: Server, cookie: str, path: str) -> tuple[float, float]:
    """Seconds to the response's first byte and to its first rows (a line after the
    header line); then the client goes away mid-download."""
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    client.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = client.getresponse()
    if response.status != 200:
        raise RuntimeError(f"CSV: status {response.status}")
    received = response.read1(65536)
    first_byte = time.perf_counter() - started
    while received.count(b"\n") < 2:
        chunk = response.read1(65536)
        if not chunk:
            break
        received += chunk
    first_rows = time.perf_counter() - started
    client.close()
    return first_byte, first_rows


# The run


def run_size(*, size: int, repeat: int, port: int, workers: int, broker: str | None) -> list[dict]:
    use_database(size)
    values = prepare(size)
    user = _user()
    client = Client()
    client.force_login(user)
    cookie = _session_cookie(user)
    entries = f"{size:,}"
    server = Server(port=port, workers=workers, broker=broker)
    rows = []
    try:
        for case in cases(values, client):
            in_process = measure(functools.partial(client.get, case["path"]), repeat=repeat)
            http = over_http(server, cookie, case["path"], repeat=repeat)
            sql, params = case["floor"]
            floor = measure(functools.partial(_execute, sql, params), repeat=repeat)
            rows.append(
                {
                    "entries": entries, "page": case["page"], "path": case["path"],
                    "HTTP ms": http["http_ms"], "server ms": http["server_ms"],
                    "in-process ms": in_process["wall_ms"], "db ms": in_process["db_ms"],
                    "queries": in_process["queries"], "floor ms": floor["wall_ms"],
                    "db / floor": in_process["db_ms"] / floor["wall_ms"] if floor["wall_ms"] else None,
                }
            )  # fmt: skip
            print(f"  {entries} {case['page']}: server {http['server_ms']:.1f} ms", flush=True)
        # The whole log's CSV, streamed: first byte and first rows.
        path = f"{LOG}?export=csv"
        _first_bytes(server, cookie, path)
        samples = [_first_bytes(server, cookie, path) for _run in range(repeat)]
        floor_sql, floor_params = _log_ids_query(client, {})
        floor = measure(functools.partial(_execute, floor_sql, floor_params), repeat=repeat)
        for what, index in (("first byte", 0), ("first rows", 1)):
            rows.append(
                {
                    "entries": entries, "page": f"CSV of the whole log, {what}", "path": path,
                    "HTTP ms": statistics.median(sample[index] for sample in samples) * 1000, "server ms": None,
                    "in-process ms": None, "db ms": None, "queries": None, "floor ms": floor["wall_ms"],
                    "db / floor": None,
                }
            )  # fmt: skip
        rows += _xlsx_start(server, cookie, entries=entries, repeat=repeat, broker=broker)
    finally:
        server.stop()
    return rows


def _xlsx_start(server: Server, cookie: str, *, entries: str, repeat: int, broker: str | None) -> list[dict]:
    """POST the log page's "Export Excel" (the whole log): the request queues the Celery
    task and redirects to the export's page. The queued tasks are removed afterwards."""
    if not broker:
        return []
    from interactions import conf
    from interactions.models import LogExport

    token = uuid.uuid4().hex  # an unmasked CSRF token, as the cookie and the header
    headers = {"Cookie": f"{cookie}; {settings.CSRF_COOKIE_NAME}={token}", "X-CSRFToken": token}
    started = LogExport.objects.count()
    try:
        http = over_http(server, "", "/interactions/log/exports/", repeat=repeat, method="POST", headers=headers)
    finally:
        _drop_queued_exports(broker, conf.settings.EXPORT_QUEUE or "celery")
    if "/log/exports/" not in http["location"] or LogExport.objects.count() == started:
        raise RuntimeError(f"the Excel export did not start: {http}")
    LogExport.objects.filter(user__username=USERNAME).delete()
    return [
        {
            "entries": entries, "page": "Excel export of the whole log: the request that starts it",
            "path": "POST /interactions/log/exports/", "HTTP ms": http["http_ms"], "server ms": http["server_ms"],
            "in-process ms": None, "db ms": None, "queries": None, "floor ms": None, "db / floor": None,
        }
    ]  # fmt: skip


def _drop_queued_exports(broker: str, queue: str) -> None:
    import redis

    redis.Redis.from_url(broker).delete(queue)


def growth_rows(rows: list[dict], sizes: list[int]) -> list[dict]:
    """Per page: server time at both sizes, the growth, met / not met. For the CSV, the
    client's time to the first byte (and to the first rows) stands for the server time."""
    small, large = f"{sizes[0]:,}", f"{sizes[-1]:,}"
    by_page: dict[str, dict[str, dict]] = {}
    for row in rows:
        # The contact card's name carries its entry count, which differs by size.
        by_page.setdefault(row["page"].split(", company with")[0], {})[row["entries"]] = row
    result = []
    for page, per_size in by_page.items():
        if small not in per_size or large not in per_size:
            continue
        csv = page.startswith("CSV")
        key = "HTTP ms" if csv else "server ms"
        before, after = per_size[small][key], per_size[large][key]
        if before is None or after is None:
            continue
        target = TARGET_FIRST_BYTE_MS if csv else TARGET_MS
        growth = after / before if before else None
        result.append(
            {
                "page": page,
                f"server ms {small}": before,
                f"server ms {large}": after,
                "growth": growth,
                f"db ms {large}": per_size[large]["db ms"],
                f"floor ms {large}": per_size[large]["floor ms"],
                "target ms": target,
                "time": "met" if after < target else "not met",
                f"growth <= {TARGET_GROWTH}x": "met" if growth is not None and growth <= TARGET_GROWTH else "not met",
            }
        )
    return result


def _shown(rows: list[dict]) -> list[dict]:
    """What was not measured for a row shows as "n/a"."""
    return [{key: "n/a" if value is None else value for key, value in row.items()} for row in rows]


def main(*, scale: str, repeat: int, port: int, workers: int) -> None:
    sizes = sizes_for(scale)
    broker = os.environ.get("BENCH_CELERY_BROKER_URL") or os.environ.get("CELERY_BROKER_URL") or None
    rows, loads = [], {}
    for size in sizes:
        started = _load()
        rows += run_size(size=size, repeat=repeat, port=port, workers=workers, broker=broker)
        loads[size] = f"{size:,}: {started} before, {_load()} after"
    rows.sort(key=lambda row: int(row["entries"].replace(",", "")))
    load_note = "load average (1, 5, 15 min; the machine may be shared): " + "; ".join(loads[size] for size in sizes)
    notes = [
        f"gunicorn -c gunicorn.conf.py, {workers} workers; HTTP ms: the client's time to the whole response on one "
        f"idle keep-alive connection; server ms: gunicorn's request time; medians of {repeat} after a warm-up",
        "in-process ms, db ms (sum of the queries' times), queries: the same request through Django's test client",
        "floor ms: the bare SQL that gives the same figures or rows (aggregate, index scan, the page's own ids query)",
        f"{CONTACTS:,} contacts; the first company has {TOP_SHARE:.0%} of the entries counting its persons",
        load_note,
    ]
    if not broker:
        notes.append("Excel export left out: no BENCH_CELERY_BROKER_URL")
    record("pages", _shown(rows), notes=notes)
    if len(sizes) > 1:
        record(
            "pages_growth",
            _shown(growth_rows(rows, sizes)),
            notes=[
                f"server time (gunicorn's) at {sizes[0]:,} and {sizes[-1]:,} entries, growth = the ratio; "
                f"targets: < {TARGET_MS} ms and growth <= {TARGET_GROWTH}x; the CSV: the client's time to the first "
                f"byte (and to the first rows) < {TARGET_FIRST_BYTE_MS} ms",
                load_note,
            ],
        )
