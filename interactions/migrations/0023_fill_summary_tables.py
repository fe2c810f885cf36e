"""Fill the summary tables from the existing log (as `manage.py rebuild_interaction_summaries`).

A migration of its own: the tables' unique indexes, which the rebuild's upserts need, are
created at the end of the migration that creates the tables."""

from django.db import migrations


def fill_summaries(apps, schema_editor):
    from interactions.services.summaries import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [("interactions", "0022_summary_tables")]

    operations = [migrations.RunPython(fill_summaries, migrations.RunPython.noop)]
