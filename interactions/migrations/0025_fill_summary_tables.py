"""Fill the summary tables from the existing log (as `manage.py rebuild_interaction_summaries`).

A migration of its own: the tables' unique indexes, which the rebuild's upserts need, are
created at the end of the migration that creates the tables.

On PostgreSQL the tables leave a fifth of each page free (fillfactor 80): adding to a row
changes no indexed column, so the new row version then fits on the same page and no index
is written (a HOT update); logging a segment updates a row per contact."""

from django.db import migrations


SUMMARY_TABLES = (
    "interactions_interactiondaysummary",
    "interactions_contactmonthsummary",
    "interactions_companymonthsummary",
)


def leave_room_for_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in SUMMARY_TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 80)")


def fill_summaries(apps, schema_editor):
    from interactions.services.summaries import rebuild

    # Without the canceled count: its column comes in 0029, which fills it.
    rebuild(canceled=False)


class Migration(migrations.Migration):
    dependencies = [("interactions", "0024_summary_tables")]

    operations = [
        migrations.RunPython(leave_room_for_updates, migrations.RunPython.noop),
        migrations.RunPython(fill_summaries, migrations.RunPython.noop),
    ]
