"""The search (crm/search): the palette's JSON (`/search/suggestions/?q=`) on a large data
set — by default 150,000 contacts with Russian and English names, phone and mobile numbers
and e-mail addresses, 1,000,000 log entries, 100,000 documents, 2,000 segments and 20,000
logged segments.

For each query: the server time (the whole request, in-process, through every middleware,
as a sales manager who may open everything), its database time and its number of
queries, and the same query without the trigram indexes (dropped in a transaction that
is rolled back) as the baseline. Queries: page names (that find no record but still ask
every kind), a common and a rare name, a part of a phone number, an e-mail domain that
every third contact has, an entry number, a document number, a segment description.
Targets: within 50 ms server time on 1M entries and 150k contacts; at most one query per
kind of record (the kinds the apps register: 4 more for the session, the user and their
permissions).
"""

import os
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client

from . import generate
from .common import measure, record

TRIGRAM_INDEXES = [
    "contact_name_trgm",
    "contact_email_trgm",
    "contact_number_trgm",
    "contact_phone_digits_trgm",
    "document_number_trgm",
    "segment_number_trgm",
    "segment_description_trgm",
    "logged_segment_description_trgm",
]
FIXED_QUERIES = 4  # the session, the user, the user's and the groups' permissions

LAST_NAMES = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
    "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
    "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
]  # fmt: skip
FIRST_NAMES = [
    "Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван", "Михаил", "Артём",
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Екатерина", "Юлия",
    "James", "John", "Robert", "Michael", "William", "David", "Mary", "Patricia", "Linda", "Barbara",
    "Elizabeth", "Jennifer", "Susan", "Sarah", "Karen", "Nancy",
]  # fmt: skip
DOMAINS = ["mail.example", "corp.example", "post.example", "inbox.example", "trade.example", "office.example"]


def _execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _one(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fill(*, contacts: int, entries: int, documents: int) -> float:
    """The data set (see the module's docstring); returns the seconds it took."""
    started = time.perf_counter()
    _execute(
        "TRUNCATE documents_documentline, documents_documentversion, documents_document, documents_customer, "
        "documents_vendor, documents_documentnumberuse RESTART IDENTITY CASCADE"
    )
    generate.reset()
    generate.master_data(contacts=0)  # salespeople, templates, campaigns and one company
    _execute("SELECT setseed(0.21)")
    common = (
        "address, address_2, post_code, country, fax, language, correspondence_type, exclude_from_segments, "
        "created_at, modified_at, job_title, type, company_id, city"
    )
    # Names from 50 last names and 36 first names (each last name ~3,000 times, as common
    # surnames are); phones written as people write them; every sixth contact per domain.
    _execute(
        f"""
        INSERT INTO contacts_contact (number, name, phone, mobile, email, salesperson_id, {common})
        SELECT 'CT' || lpad((g + 1)::text, 7, '0'),
               ln || ' ' || fn,
               '+7 (' || (ARRAY['495', '499', '812', '343'])[1 + g %% 4] || ') '
                   || lpad(floor(random() * 1000)::text, 3, '0') || '-' || lpad(floor(random() * 100)::text, 2, '0')
                   || '-' || lpad(floor(random() * 100)::text, 2, '0'),
               CASE WHEN g %% 3 = 0 THEN '' ELSE '8 9' || lpad(floor(random() * 100000000)::text, 8, '0') END,
               'user' || g || '@' || (%(domains)s::text[])[1 + g %% %(domain_count)s],
               1 + g %% 10,
               '', '', '', 'RU', '', 'ru', 'email', false, now(), now(), '', 'person', NULL, 'Moscow'
        FROM (
            SELECT g, (%(last)s::text[])[1 + floor(random() * %(last_count)s)::int] AS ln,
                   (%(first)s::text[])[1 + floor(random() * %(first_count)s)::int] AS fn
            FROM generate_series(1, %(count)s) g
        ) names
        """,
        {
            "count": contacts,
            "last": LAST_NAMES,
            "last_count": len(LAST_NAMES),
            "first": FIRST_NAMES,
            "first_count": len(FIRST_NAMES),
            "domains": DOMAINS,
            "domain_count": len(DOMAINS),
        },
    )
    _execute("VACUUM ANALYZE contacts_contact")
    generate.log_entries(count=entries, comment_share=0)
    _execute(
        """
        INSERT INTO documents_customer (number, name, contact_id, salesperson_id, address, post_code, city, country)
        SELECT 'C' || lpad(g::text, 5, '0'), 'Customer ' || g, g, NULL, '', '', '', 'RU'
        FROM generate_series(1, 1000) g
        """
    )
    _execute(
        """
        INSERT INTO documents_document (kind, number, occurrence, date, customer_id, vendor_id, contact_id,
            salesperson_id, campaign_id, description, currency_code, posted, vat_percent, amount, vat_amount,
            amount_including_vat, no_printed, no_of_archived_versions, created_at, created_by_id)
        SELECT (ARRAY['sales_invoice', 'sales_quote', 'sales_order'])[1 + g %% 3],
               (ARRAY['S-INV', 'S-QUO', 'S-ORD'])[1 + g %% 3] || lpad(g::text, 6, '0'), 1,
               current_date - (g %% 700), 1 + g %% 1000, NULL, NULL, NULL, NULL, 'Document ' || g, '', false,
               20, 100, 20, 120, 0, 0, now(), NULL
        FROM generate_series(1, %s) g
        """,
        [documents],
    )
    _execute(
        """
        INSERT INTO interactions_segment (number, description, salesperson_id, date, template_id, language_default,
            subject_default, correspondence_type_default, ignore_contact_correspondence_type, unit_cost,
            unit_duration, information_flow, initiated_by, campaign_id, campaign_target, campaign_response,
            created_by_id, created_at)
        SELECT 'SM' || lpad(g::text, 5, '0'),
               (ARRAY['Spring mailing', 'Trade fair invitations', 'Newsletter', 'Price list'])[1 + g % 4] || ' ' || g,
               1, current_date, NULL, '', '', '', false, 0, 0, '', '', NULL, false, false, NULL, now()
        FROM generate_series(1, 2000) g
        """
    )
    _execute(
        """
        INSERT INTO interactions_loggedsegment (segment_number, description, created_at, user_id, canceled)
        SELECT 'SM' || lpad((1 + g % 2000)::text, 5, '0'),
               (ARRAY['Spring mailing', 'Trade fair invitations', 'Newsletter', 'Price list'])[1 + g % 4] || ' ' || g,
               now() - (g || ' hours')::interval, NULL, g % 50 = 0
        FROM generate_series(1, 20000) g
        """
    )
    for table in ("documents_document", "interactions_segment", "interactions_loggedsegment"):
        _execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def cases() -> list[tuple[str, str]]:
    rare_name, phone = _one(
        "SELECT name, phone FROM contacts_contact WHERE type = 'person' ORDER BY id OFFSET 777 LIMIT 1"
    )
    entry_no = _one("SELECT max(entry_no) / 2 FROM interactions_interactionlogentry")[0]
    return [
        ("page, Russian NAV name", "журналы взаимодействий"),
        ("page, English NAV name", "Delete Canceled Interaction Log Entries"),
        ("page, three letters", "log"),
        ("common surname (~3,000 contacts)", "Иванов"),
        ("surname and first name", rare_name),
        ("part of a phone number, as written", phone[-9:]),
        ("phone digits", phone.replace(" ", "").replace("(", "").replace(")", "").replace("-", "")[-7:]),
        ("e-mail domain of every sixth contact", "inbox.example"),
        ("entry number", str(entry_no)),
        ("document number", "S-INV000123"),
        ("part of a document number", "INV0004"),
        ("segment description", "trade fair"),
        ("one letter", "и"),
    ]


def _without_trigram_indexes(function):
    """Run `function` with the trigram indexes dropped, in a transaction rolled back."""

    def run():
        with transaction.atomic():
            for name in TRIGRAM_INDEXES:
                _execute(f'DROP INDEX IF EXISTS "{name}"')
            try:
                return function()
            finally:
                transaction.set_rollback(True)

    return run


def _filled(*, contacts: int, entries: int, documents: int) -> bool:
    """Whether the database holds this data set already (a run before this one made it)."""
    counts = _one(
        "SELECT (SELECT count(*) FROM contacts_contact), (SELECT count(*) FROM interactions_interactionlogentry), "
        "(SELECT count(*) FROM documents_document), (SELECT count(*) FROM contacts_contact WHERE number = 'CT0000002')"
    )
    return counts == (contacts + 1, entries, documents, 1)


def _sql_execution_ms(search) -> float:
    """The database's own time for the request's queries (EXPLAIN ANALYZE), without the
    round trips and the client's waiting: what the machine's load hardly changes."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        search()
    total = 0.0
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else plan
            total += plan["Planning Time"] + plan["Execution Time"]
    return total


def _server_cpu_ms(search, *, repeat: int) -> float:
    """The CPU time of this process per request (median): Python's work, load aside."""
    times = []
    for _run in range(repeat):
        started = time.process_time()
        search()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def run(*, contacts: int, entries: int, documents: int, repeat: int, baseline: bool = True) -> list[dict]:
    if _filled(contacts=contacts, entries=entries, documents=documents):
        print("search data: kept from the run before")
    else:
        fill_seconds = fill(contacts=contacts, entries=entries, documents=documents)
        print(
            f"search data: {contacts:,} contacts, {entries:,} entries, {documents:,} documents in {fill_seconds:.0f} s"
        )
    User = get_user_model()
    manager, _created = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="Sales manager"))
    client = Client()
    client.force_login(manager)
    rows = []
    for case, text in cases():

        def search(text=text):
            return client.get("/search/suggestions/", {"q": text})

        measured = measure(search, repeat=repeat)
        found = len(search().json()["results"])
        row = {
            "case": case,
            "query": text,
            "results": found,
            "server ms": measured["wall_ms"],
            "db ms": measured["db_ms"],
            "queries": measured["queries"],
            "server CPU ms": _server_cpu_ms(search, repeat=repeat),
            "SQL execution ms": _sql_execution_ms(search),
        }
        if baseline:
            without = measure(_without_trigram_indexes(search), repeat=max(1, repeat // 2))
            row["without trigram indexes, server ms"] = without["wall_ms"]
        rows.append(row)
    return rows


def main(*, contacts: int, entries: int, documents: int, repeat: int) -> None:
    rows = run(contacts=contacts, entries=entries, documents=documents, repeat=repeat)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    slowest = max(row["server ms"] for row in rows)
    most_queries = max(row["queries"] for row in rows)
    from crm import search as registry

    kinds = len(registry.record_kinds())
    record(
        "search",
        rows,
        notes=[
            f"{contacts:,} contacts, {entries:,} log entries, {documents:,} documents, 2,000 segments, "
            "20,000 logged segments; as a sales manager; median of "
            f"{repeat} runs after a warm-up.",
            f"Target: within 50 ms server time: slowest {slowest:.1f} ms ({'met' if slowest <= 50 else 'NOT met'}).",
            f"Target: at most one query per kind of record ({kinds} kinds + {FIXED_QUERIES} for the session, "
            f"the user and permissions): at most {most_queries} "
            f"({'met' if most_queries <= kinds + FIXED_QUERIES else 'NOT met'}).",
            "Baseline: the same request with the trigram indexes dropped (in a transaction rolled back).",
            "server CPU ms: this process's CPU time per request (median); SQL execution ms: planning and execution "
            "of the request's queries by PostgreSQL (EXPLAIN ANALYZE, summed). Their sum is the server time of an "
            "idle machine, less the round trips; server ms and db ms are wall times, which the load stretches.",
            f"Load average of the machine at the end (1, 5, 15 min): {load}.",
        ],
    )
