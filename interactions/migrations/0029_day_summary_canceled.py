"""The day summary counts the canceled entries (what the purge page counts): the column, then
its figures from the existing log, in one statement of its own SQL (not the service's
rebuild: the other figures are already exact, and the migration must not change with the
service)."""

from django.db import migrations, models


def count_canceled_entries(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    keys = ["template_id", "group_id", "salesperson_id", "campaign_id"]
    columns = ", ".join(quote(column) for column in ["date", *keys])
    conflict = ", ".join([quote("date"), *(f"COALESCE({quote(column)}, 0)" for column in keys)])
    # The other figures have no default in the database: a new row counts nothing else.
    figures = ["count", "cost", "duration", "campaign_targets", "campaign_responses"]
    schema_editor.execute(
        f"INSERT INTO interactions_interactiondaysummary ({columns}, "
        f"{', '.join(quote(column) for column in figures)}, {quote('canceled')}) "
        f"SELECT {columns}, {', '.join('0' for _ in figures)}, COUNT(*) "
        f"FROM interactions_interactionlogentry WHERE canceled = %s "
        f"GROUP BY {columns} ORDER BY {columns} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {quote('canceled')} = excluded.{quote('canceled')}",
        [True],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0028_log_search_document_given"),
    ]

    operations = [
        migrations.AddField(
            model_name="interactiondaysummary",
            name="canceled",
            field=models.BigIntegerField(db_default=0, default=0, verbose_name="canceled interactions"),
        ),
        migrations.RunPython(count_canceled_entries, migrations.RunPython.noop),
    ]
