"""Fill PostgreSQL with realistic data fast: everything is generated inside the database
with INSERT ... SELECT over generate_series (one million log entries in well under a minute
on two cores, indexes included).

Shape: several groups and templates, 5 % canceled, a few postponed, and skewed contacts:
the contact at rank k gets entries in proportion to k^-0.75, so the first contacts have tens
of thousands of entries each, as long-standing customers do.
"""

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


def log_entries(*, count: int, canceled_share: float = 0.05, comment_share: float = 0.02) -> float:
    """Append `count` entries (and comments on some); returns the seconds it took."""
    started = time.perf_counter()
    _execute(
        """
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
                   1 + least(floor(power(random(), 4) * c.n)::int, c.n::int - 1) AS contact_rank,
                   1 + floor(random() * t.n)::int AS template_rank,
                   random() AS chance
            FROM generate_series(1, %(count)s) g, contact_ids c, templates t
        )
        INSERT INTO interactions_interactionlogentry
            (contact_id, contact_company_id, date, time, description, subject, information_flow, initiated_by,
             template_id, group_id, language, cost, duration, user_id, salesperson_id, campaign_id,
             campaign_target, campaign_response, segment_number, logged_segment_id, evaluation, attempt_failed,
             delivery_status, delivery_error, canceled, canceled_changed_by_id, canceled_changed_at, postponed,
             correspondence_type, contact_via, document_type, document_number, document_occurrence,
             document_version, opportunity_number, created_at)
        SELECT c.id[d.contact_rank], c.company[d.contact_rank],
               current_date - floor(random() * 730)::int, make_time(8 + floor(random() * 10)::int, 0, 0),
               t.description[d.template_rank], 'Subject ' || (d.g %% 97), t.flow[d.template_rank],
               t.initiated[d.template_rank], t.id[d.template_rank], t.grp[d.template_rank], 'en',
               t.cost[d.template_rank], t.minutes[d.template_rank], NULL, 1 + d.g %% 10,
               CASE WHEN d.g %% 20 = 0 THEN 1 + d.g %% 5 END, false, false, '', NULL,
               (ARRAY['', '', '', 'positive', 'neutral', 'negative'])[1 + d.g %% 6], d.chance > 0.97, '', '',
               d.chance < %(canceled)s, NULL, CASE WHEN d.chance < %(canceled)s THEN now() - interval '60 days' END,
               d.g %% 5000 = 0, 'email', 'someone@example.com', '', '', 0, 0, '', now()
        FROM draws d, contact_ids c, templates t
        """,
        {"count": count, "canceled": canceled_share},
    )
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


def entry_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM interactions_interactionlogentry")
        return cursor.fetchone()[0]


def fill(*, contacts: int, entries: int) -> dict:
    """A fresh data set of `contacts` contacts and `entries` log entries."""
    started = time.perf_counter()
    reset()
    master_data(contacts=contacts)
    insert_seconds = log_entries(count=entries)
    return {"contacts": contacts, "entries": entries, "insert_seconds": insert_seconds,
            "total_seconds": time.perf_counter() - started}  # fmt: skip


if __name__ == "__main__":
    import argparse

    from bench.setup import configure

    parser = argparse.ArgumentParser(description="Fill the benchmark database.")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    arguments = parser.parse_args()
    configure()
    print(fill(contacts=arguments.contacts, entries=arguments.entries))
