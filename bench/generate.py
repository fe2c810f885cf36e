"""Fill PostgreSQL with realistic data fast: everything is generated inside the database
with INSERT ... SELECT over generate_series (one million log entries in well under a minute
on two cores, indexes included).

Shape: several groups and templates, 5 % canceled, a few postponed, and skewed contacts:
the contact at rank k gets entries in proportion to k^-0.75, so the first contacts have tens
of thousands of entries each, as long-standing customers do (`top_share` sets the skew by
the share of the first contact, a company: the pages benchmark gives it 7 %).

Large loads (ten million entries): the rows go in by statements of a million (each its own
transaction, so that the deferred foreign key checks queued by one stay bounded), and when
the load at least doubles the table the log's secondary indexes are dropped first and built
again afterwards, each in one sort (much faster than maintaining 25 indexes row by row).
As a superuser, the entries go in with the triggers off (no per-row foreign key check, the
search document computed once per distinct text instead of per row): about seven times
faster; the comments go in afterwards with the triggers on.
"""

import math
import time

from django.db import connection

TEMPLATES = [
    # code, group, description, cost, minutes, flow, initiated by
    ("BUS", "LETTER", "Business letter", "2.50", 10, "outbound", "us"),
    ("INLETTER", "LETTER", "Incoming letter", "0", 5, "inbound", "them"),
    ("EMAIL", "EMAIL", "E-mail", "0", 5, "outbound", "us"),
    ("EMAIL-IN", "EMAIL", "Incoming e-mail", "0", 5, "inbound", "them"),
    ("OUTGOING", "PHONE", "Outgoing phone call", "1.20", 15, "outbound", "us"),
    ("INCOMING", "PHONE", "Incoming phone call", "0", 10, "inbound", "them"),
    ("MEETING", "MEETING", "Meeting at the customer", "45", 90, "outbound", "us"),
    ("PRESENT", "MEETING", "Product presentation", "120", 120, "outbound", "us"),
    ("S-QUOTE", "SALES", "Sales quote", "0", 0, "outbound", "us"),
    ("S-INVOICE", "SALES", "Sales invoice", "0", 0, "outbound", "us"),
]
GROUPS = ["LETTER", "EMAIL", "PHONE", "MEETING", "SALES"]


def _execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def reset() -> None:
    """Empty every table the benchmarks fill (keeps users, groups and permissions)."""
    _execute(
        """
        TRUNCATE interactions_interactioncomment, interactions_interactionlogentry,
                 interactions_segmentline, interactions_segment, interactions_loggedsegment,
                 interactions_segmententrycontent, interactions_bulkemailoptout,
                 interactions_interactiontemplatelanguage, interactions_interactiontemplatesetup,
                 interactions_attachment, interactions_interactiontemplate, interactions_interactiongroup,
                 contacts_contact, contacts_campaign, contacts_salesperson, contacts_numberseries,
                 interactions_interactiondaysummary, interactions_contactmonthsummary,
                 interactions_companymonthsummary
        RESTART IDENTITY CASCADE
        """
    )


def master_data(*, contacts: int) -> None:
    """Salespeople, groups, templates, campaigns; one company for every four persons."""
    _execute(
        "INSERT INTO contacts_salesperson (code, name, email, phone) "
        "SELECT 'SP' || g, 'Salesperson ' || g, 'sp' || g || '@example.com', '' FROM generate_series(1, 10) g"
    )
    _execute(
        "INSERT INTO contacts_campaign (number, description, starting_date, ending_date, salesperson_id) "
        "SELECT 'CP' || lpad(g::text, 4, '0'), 'Campaign ' || g, current_date - 400, current_date, g "
        "FROM generate_series(1, 5) g"
    )
    for code in GROUPS:
        _execute("INSERT INTO interactions_interactiongroup (code, description) VALUES (%s, %s)", [code, code.title()])
    for code, group, description, cost, minutes, flow, initiated in TEMPLATES:
        _execute(
            """
            INSERT INTO interactions_interactiontemplate
                (code, group_id, description, unit_cost, unit_duration, information_flow, initiated_by,
                 campaign_target, campaign_response, correspondence_type, ignore_contact_correspondence_type,
                 language_default, wizard_action)
            SELECT %s, id, %s, %s, %s, %s, %s, false, false, '', false, '', ''
            FROM interactions_interactiongroup WHERE code = %s
            """,
            [code, description, cost, minutes, flow, initiated, group],
        )
    companies = max(1, contacts // 5)
    common = (
        "address, address_2, post_code, country, fax, language, correspondence_type, exclude_from_segments, "
        "created_at, modified_at, job_title"
    )
    _execute(
        f"""
        INSERT INTO contacts_contact (number, type, company_id, name, city, phone, mobile, email, salesperson_id,
                                      {common})
        SELECT 'B' || lpad(g::text, 8, '0'), 'company', NULL, 'Company ' || g,
               (ARRAY['London', 'Moscow', 'Kazan', 'Leeds', 'Bristol'])[1 + g %% 5], '+44 20 ' || g, '',
               'office' || g || '@example.com', 1 + g %% 10,
               'High Street ' || g, '', 'SW1', 'GB', '', 'en', 'email', false, now(), now(), ''
        FROM generate_series(1, %s) g
        """,
        [companies],
    )
    _execute(
        f"""
        INSERT INTO contacts_contact (number, type, company_id, name, city, phone, mobile, email, salesperson_id,
                                      {common})
        SELECT 'B' || lpad(({companies} + g)::text, 8, '0'), 'person', 1 + g %% {companies}, 'Person ' || g,
               'London', '+44 20 ' || g, '+44 7700 ' || g, 'person' || g || '@example.com', 1 + g %% 10,
               '', '', '', 'GB', '', 'en', 'email', false, now(), now(), 'Buyer'
        FROM generate_series(1, %s) g
        """,
        [contacts - companies],
    )
    _execute("ANALYZE contacts_contact")


LOG = "interactions_interactionlogentry"
CHUNK = 1_000_000


def _secondary_indexes() -> list[tuple[str, str]]:
    """The log's indexes that back no constraint: (name, definition)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname
            """,
            [LOG],
        )
        return cursor.fetchall()


def log_entries(
    *,
    count: int,
    canceled_share: float = 0.05,
    comment_share: float = 0.02,
    top_share: float | None = None,
    dates_in_order: bool = False,
) -> float:
    """Append `count` entries (and comments on some); returns the seconds it took.
    `top_share`: the share of the entries that go to the first contact (default: the
    k^-0.75 skew, about 10 % with 10,000 contacts). Dates: random over two years whatever
    the entry numbers (as if the whole log were imported in any order), or with
    `dates_in_order` following the entry numbers (a log written day by day)."""
    started = time.perf_counter()
    dropped = []
    if count >= 2 * max(entry_count(), 1) and count >= CHUNK:
        dropped = _secondary_indexes()
        for name, _definition in dropped:
            _execute(f'DROP INDEX "{name}"')
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_contact")
        contacts = cursor.fetchone()[0]
    # Rank 1 gets the draws u^p * n < 1, that is u < n^(-1/p): p = ln n / ln(1 / share).
    exponent = math.log(contacts) / math.log(1 / top_share) if top_share and contacts > 1 else 4.0
    untriggered = _can_skip_triggers()
    try:
        if untriggered:
            _execute("SET session_replication_role = replica")
        for offset in range(0, count, CHUNK):
            _insert_entries(
                first=offset + 1,
                last=min(offset + CHUNK, count),
                canceled_share=canceled_share,
                exponent=exponent,
                search_documents=untriggered,
                dates_in_order=dates_in_order,
                total=count,
            )
    finally:  # the triggers and the indexes come back whatever happened
        if untriggered:
            _execute("SET session_replication_role = origin")
        _execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in dropped:
            _execute(definition)
        _execute("RESET maintenance_work_mem")
    if comment_share:
        _execute(
            """
            INSERT INTO interactions_interactioncomment (entry_id, date, text, author_id, created_at)
            SELECT entry_no, date, 'Generated comment', NULL, now()
            FROM interactions_interactionlogentry TABLESAMPLE BERNOULLI (%s)
            """,
            [comment_share * 100],
        )
    # Written past the services: the summary tables count the new entries from the log.
    from interactions.services.summaries import rebuild

    rebuild()
    # A table that has settled (autovacuum has run): visibility map set, statistics current.
    _execute("VACUUM ANALYZE interactions_interactionlogentry")
    for table in ("interactiondaysummary", "contactmonthsummary", "companymonthsummary"):
        _execute(f"VACUUM ANALYZE interactions_{table}")
    _execute("VACUUM ANALYZE interactions_interactioncomment")
    return time.perf_counter() - started


# The log's own triggers that the fast load does the work of (see _can_skip_triggers).
KNOWN_TRIGGERS = {"interactions_log_search_entry", "interactions_log_search_new_entry"}


def _can_skip_triggers() -> bool:
    """Whether the entries may go in with the triggers off (session_replication_role =
    replica: no per-row foreign key checks, no per-row search document; seven times faster):
    only as a superuser, and only when the log has no trigger but the search document's,
    whose work the INSERT then does itself (the same function, once per distinct text).
    Any other trigger someone adds to the log makes the load take the slow, triggered way."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [LOG])
        triggers = {row[0] for row in cursor.fetchall()}
    return superuser and triggers <= KNOWN_TRIGGERS


def _insert_entries(
    *,
    first: int,
    last: int,
    canceled_share: float,
    exponent: float,
    search_documents: bool,
    dates_in_order: bool = False,
    total: int = 1,
) -> None:
    """Entries `first`..`last`; with `search_documents`, their search document too (what the
    search trigger would write on INSERT: of the description and subject, no comments yet),
    computed once for each of the 970 distinct texts."""
    documents_cte = (
        """, documents AS (
            SELECT array_agg(interactions_log_search_document(t.description, 'Subject ' || s, NULL)
                             ORDER BY t.id, s) AS document
            FROM interactions_interactiontemplate t, generate_series(0, 96) s
        )"""
        if search_documents
        else ""
    )
    document_column = ", search_document" if search_documents else ""
    document_value = ", sd.document[(d.template_rank - 1) * 97 + d.g %% 97 + 1]" if search_documents else ""
    documents_from = ", documents sd" if search_documents else ""
    date_value = (
        "current_date - 729 + floor((d.g - 1) * 730.0 / %(total)s)::int"
        if dates_in_order
        else "current_date - floor(random() * 730)::int"
    )
    _execute(
        f"""
        WITH contact_ids AS (
            SELECT array_agg(id ORDER BY id) AS id, array_agg(coalesce(company_id, id) ORDER BY id) AS company,
                   count(*) AS n
            FROM contacts_contact
        ), templates AS (
            SELECT array_agg(id ORDER BY id) AS id, array_agg(group_id ORDER BY id) AS grp,
                   array_agg(unit_cost ORDER BY id) AS cost, array_agg(unit_duration ORDER BY id) AS minutes,
                   array_agg(information_flow ORDER BY id) AS flow, array_agg(initiated_by ORDER BY id) AS initiated,
                   array_agg(description ORDER BY id) AS description, count(*) AS n
            FROM interactions_interactiontemplate
        ), draws AS (
            SELECT g,
                   1 + least(floor(power(random(), %(exponent)s) * c.n)::int, c.n::int - 1) AS contact_rank,
                   1 + floor(random() * t.n)::int AS template_rank,
                   random() AS chance
            FROM generate_series(%(first)s, %(last)s) g, contact_ids c, templates t
        ){documents_cte}
        INSERT INTO interactions_interactionlogentry
            (contact_id, contact_company_id, date, time, description, subject, information_flow, initiated_by,
             template_id, group_id, language, cost, duration, user_id, salesperson_id, campaign_id,
             campaign_target, campaign_response, segment_number, logged_segment_id, evaluation, attempt_failed,
             delivery_status, delivery_error, canceled, canceled_changed_by_id, canceled_changed_at, postponed,
             correspondence_type, contact_via, document_type, document_number, document_occurrence,
             document_version, opportunity_number, created_at{document_column})
        SELECT c.id[d.contact_rank], c.company[d.contact_rank],
               {date_value}, make_time(8 + floor(random() * 10)::int, 0, 0),
               t.description[d.template_rank], 'Subject ' || (d.g %% 97), t.flow[d.template_rank],
               t.initiated[d.template_rank], t.id[d.template_rank], t.grp[d.template_rank], 'en',
               t.cost[d.template_rank], t.minutes[d.template_rank], NULL, 1 + d.g %% 10,
               CASE WHEN d.g %% 20 = 0 THEN 1 + d.g %% 5 END, false, false, '', NULL,
               (ARRAY['', '', '', 'positive', 'neutral', 'negative'])[1 + d.g %% 6], d.chance > 0.97, '', '',
               d.chance < %(canceled)s, NULL, CASE WHEN d.chance < %(canceled)s THEN now() - interval '60 days' END,
               d.g %% 5000 = 0, 'email', 'someone@example.com', '', '', 0, 0, '', now(){document_value}
        FROM draws d, contact_ids c, templates t{documents_from}
        """,
        {"first": first, "last": last, "canceled": canceled_share, "exponent": exponent, "total": total},
    )


def entry_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM interactions_interactionlogentry")
        return cursor.fetchone()[0]


def fill(*, contacts: int, entries: int, top_share: float | None = None) -> dict:
    """A fresh data set of `contacts` contacts and `entries` log entries."""
    started = time.perf_counter()
    reset()
    master_data(contacts=contacts)
    insert_seconds = log_entries(count=entries, top_share=top_share)
    return {"contacts": contacts, "entries": entries, "insert_seconds": insert_seconds,
            "total_seconds": time.perf_counter() - started}  # fmt: skip


if __name__ == "__main__":
    import argparse

    from bench.setup import configure

    parser = argparse.ArgumentParser(description="Fill the benchmark database.")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--top-share", type=float, default=None, help="share of the entries of the first contact")
    arguments = parser.parse_args()
    configure()
    print(fill(contacts=arguments.contacts, entries=arguments.entries, top_share=arguments.top_share))
