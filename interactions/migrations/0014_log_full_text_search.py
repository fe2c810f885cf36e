"""The log's free-text filter searches words on PostgreSQL: a full-text document per entry,
of its description, subject and comments, in a GIN index; and a trigram index for a part of
a document number. SQLite (development) has neither and compares substrings.

Why a stored column kept by triggers: the comments are another table, so neither a
generated column nor an expression index can hold them; triggers keep the document exact
whoever writes (the services, a bulk INSERT ... SELECT, the purge's archive restoring rows),
in the writer's transaction. The column is not a field of the Django model: nothing but
the search reads it (selectors/log.py), and no page loads it with the rows.

- `search_document`: the text in both languages the site offers, weighted A (description,
  subject) and B (comments), so that a query parsed with the user's language's
  configuration ('russian' or 'english', selectors/log.py) finds it: each configuration
  stems its own words (the 'russian' one stems Latin words as the 'english' one does).
- The entry's trigger fills it on INSERT and when the description or subject change (not
  on cancel, evaluate and the other updates of bulk actions); the comments' trigger
  rebuilds the entry's document when a comment is added, edited, moved or deleted.
- Both indexes leave out postponed entries, as the log does.
"""

from django.db import migrations

LOG = "interactions_interactionlogentry"
COMMENTS = "interactions_interactioncomment"

CREATE = f"""
ALTER TABLE {LOG} ADD COLUMN search_document tsvector;

CREATE FUNCTION interactions_log_search_document(description text, subject text, comments text)
RETURNS tsvector IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
    SELECT setweight(to_tsvector('russian'::regconfig, description || ' ' || subject)
                     || to_tsvector('english'::regconfig, description || ' ' || subject), 'A')
        || setweight(to_tsvector('russian'::regconfig, coalesce(comments, ''))
                     || to_tsvector('english'::regconfig, coalesce(comments, '')), 'B')
$$;

CREATE FUNCTION interactions_log_comments_text(entry bigint) RETURNS text STABLE LANGUAGE sql AS $$
    SELECT string_agg(text, ' ' ORDER BY id) FROM {COMMENTS} WHERE entry_id = entry
$$;

CREATE FUNCTION interactions_log_search_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := interactions_log_search_document(
        NEW.description, NEW.subject,
        CASE WHEN TG_OP = 'UPDATE' THEN interactions_log_comments_text(NEW.entry_no) END
    );
    RETURN NEW;
END;
$$;

CREATE TRIGGER interactions_log_search_entry
    BEFORE INSERT OR UPDATE OF description, subject, search_document ON {LOG}
    FOR EACH ROW EXECUTE FUNCTION interactions_log_search_entry();

CREATE FUNCTION interactions_log_search_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE {LOG} SET search_document = NULL WHERE entry_no = OLD.entry_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.entry_id <> OLD.entry_id) THEN
        UPDATE {LOG} SET search_document = NULL WHERE entry_no = NEW.entry_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER interactions_log_search_comment
    AFTER INSERT OR UPDATE OF text, entry_id OR DELETE ON {COMMENTS}
    FOR EACH ROW EXECUTE FUNCTION interactions_log_search_comment();

UPDATE {LOG} SET search_document = NULL;

CREATE INDEX log_search_document_idx ON {LOG} USING gin (search_document) WHERE NOT postponed;
CREATE INDEX log_document_number_trgm ON {LOG} USING gin ((UPPER(document_number::text)) gin_trgm_ops)
    WHERE NOT postponed;
"""

DROP = f"""
DROP INDEX IF EXISTS log_document_number_trgm;
DROP INDEX IF EXISTS log_search_document_idx;
DROP TRIGGER IF EXISTS interactions_log_search_comment ON {COMMENTS};
DROP FUNCTION IF EXISTS interactions_log_search_comment();
DROP TRIGGER IF EXISTS interactions_log_search_entry ON {LOG};
DROP FUNCTION IF EXISTS interactions_log_search_entry();
DROP FUNCTION IF EXISTS interactions_log_comments_text(bigint);
DROP FUNCTION IF EXISTS interactions_log_search_document(text, text, text);
ALTER TABLE {LOG} DROP COLUMN IF EXISTS search_document;
"""


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0013_log_indexes_for_every_filter_and_sort"),
        ("contacts", "0004_contact_search_indexes"),  # creates the pg_trgm extension
    ]

    operations = [migrations.RunPython(_create, _drop)]
