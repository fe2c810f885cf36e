"""The search (crm/search) finds contacts by a part of their name, e-mail, number or of
the digits of their phone numbers: trigram indexes on PostgreSQL (nothing on SQLite).
The phone expression is the one `crm.contacts.search.PhoneDigits` compiles to."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from crm.search.indexes import trigram_indexes, upper


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_contact_numbers_in_capitals")]

    operations = [
        TrigramExtension(),
        trigram_indexes(
            "contacts_contact",
            {
                "contact_name_trgm": upper("name"),
                "contact_email_trgm": upper("email"),
                "contact_number_trgm": upper("number"),
                "contact_phone_digits_trgm": """regexp_replace(("phone" || ',' || "mobile"), '[^0-9,]', '', 'g')""",
            },
        ),
    ]
