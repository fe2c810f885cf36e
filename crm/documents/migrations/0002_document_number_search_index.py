"""The search (crm/search) finds documents by a part of their number: a trigram index on
PostgreSQL (nothing on SQLite)."""

from django.db import migrations

from crm.search.indexes import trigram_indexes, upper


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("contacts", "0004_contact_search_indexes"),  # creates the pg_trgm extension
    ]

    operations = [trigram_indexes("documents_document", {"document_number_trgm": upper("number")})]
