"""The log's search document (0014) may come with the row: a new entry whose INSERT gives its
search_document keeps it, one without gets it from the trigger as before.

Why: logging a segment writes thousands of entries whose description and subject are the
same few texts; the trigger computed the same document (four to_tsvector calls) for each
row, about a tenth of logging a 100,000-line segment. The segment's INSERT ... SELECT now
computes it once per distinct text with the very function the trigger calls
(interactions_log_search_document(description, subject, NULL): a new entry has no
comments) and passes it; the trigger's WHEN clause skips those rows without calling the
function at all.

Only raw SQL can give the column (it is not a field of the Django model), so every other
writer still gets the trigger's document. An UPDATE of the description or subject (or one
setting search_document to NULL, as the comments' trigger does) recomputes it as before:
that is a trigger of its own, without the WHEN clause.
"""

from django.db import migrations

LOG = "interactions_interactionlogentry"

CREATE = f"""
DROP TRIGGER IF EXISTS interactions_log_search_entry ON {LOG};
CREATE TRIGGER interactions_log_search_entry
    BEFORE UPDATE OF description, subject, search_document ON {LOG}
    FOR EACH ROW EXECUTE FUNCTION interactions_log_search_entry();
CREATE TRIGGER interactions_log_search_new_entry
    BEFORE INSERT ON {LOG}
    FOR EACH ROW WHEN (NEW.search_document IS NULL) EXECUTE FUNCTION interactions_log_search_entry();
"""

DROP = f"""
DROP TRIGGER IF EXISTS interactions_log_search_new_entry ON {LOG};
DROP TRIGGER IF EXISTS interactions_log_search_entry ON {LOG};
CREATE TRIGGER interactions_log_search_entry
    BEFORE INSERT OR UPDATE OF description, subject, search_document ON {LOG}
    FOR EACH ROW EXECUTE FUNCTION interactions_log_search_entry();
"""


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("interactions", "0027_filter_indexes_carry_time")]

    operations = [migrations.RunPython(_create, _drop)]
