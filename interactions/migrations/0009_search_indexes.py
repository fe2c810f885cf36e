"""The search (crm/search) finds segments by a part of their number or description and
logged segments by a part of their description: trigram indexes on PostgreSQL (nothing on
SQLite). Log entries are found by their number (the primary key), templates by code in a
table of a few dozen rows: neither needs an index of its own."""

from django.db import migrations

from crm.search.indexes import trigram_indexes, upper


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0008_segment_lines_repeat_contacts_salesperson_time"),
        ("contacts", "0004_contact_search_indexes"),  # creates the pg_trgm extension
    ]

    operations = [
        trigram_indexes(
            "interactions_segment",
            {"segment_number_trgm": upper("number"), "segment_description_trgm": upper("description")},
        ),
        trigram_indexes("interactions_loggedsegment", {"logged_segment_description_trgm": upper("description")}),
    ]
