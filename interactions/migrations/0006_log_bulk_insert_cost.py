"""Logging in bulk costs less per row (measured in bench/segment_logging.py).

- The log's indexes become ascending (read backward by the log): new entries land at the
  right end of each range.
- Four foreign keys of the log lose their database constraint, checked on every inserted
  row (see NO_DATABASE_FOREIGN_KEY in interactions/models/log.py). What the constraint did
  on delete moves to triggers on the referenced tables, where deleting is rare: a company
  or group the log refers to cannot be deleted (or have its id changed); deleting a user or
  a logged segment clears the log's reference, as ON DELETE SET NULL did. Django's
  on_delete (PROTECT, SET_NULL) does the same first; the triggers hold for any other
  writer. Unlike a constraint, they do not see a concurrent transaction's uncommitted
  entries: the values are copied from rows that keep their constraints (contact,
  template), and logged segments and users are created before the entries that name them.
  The triggers are PostgreSQL's, where the project runs in production and the bulk cost
  was measured. On SQLite (development) Django's on_delete alone holds these references:
  a trigger there fires at once, and Django's flush, which deletes table after table and
  relies on constraints being checked at commit, would be refused.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


LOG = "interactions_interactionlogentry"

# (trigger name, referenced model, the log's column, what deleting a referenced row does)
REFERENCES = [
    ("interactions_log_company_reference", "contacts.Contact", "contact_company_id", "protect"),
    ("interactions_log_group_reference", "interactions.InteractionGroup", "group_id", "protect"),
    ("interactions_log_user_reference", settings.AUTH_USER_MODEL, "user_id", "set_null"),
    ("interactions_log_logged_segment_reference", "interactions.LoggedSegment", "logged_segment_id", "set_null"),
]

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION interactions_log_reference() RETURNS trigger AS $$
DECLARE
    log_column text := TG_ARGV[0];
    on_delete text := TG_ARGV[1];
    referenced boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND on_delete = 'set_null' THEN
        EXECUTE format('UPDATE {LOG} SET %I = NULL WHERE %I = $1', log_column, log_column) USING OLD.id;
        RETURN OLD;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM {LOG} WHERE %I = $1)', log_column) INTO referenced USING OLD.id;
    IF referenced THEN
        RAISE EXCEPTION '% on table "%" violates the reference %.% of interaction log entries',
            TG_OP, TG_TABLE_NAME, '{LOG}', log_column
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # see the module's docstring
    schema_editor.execute(POSTGRESQL_FUNCTION, params=None)  # its % are format()'s, not parameters
    for name, model, column, on_delete in REFERENCES:
        meta = apps.get_model(model)._meta
        if meta.pk.column != "id":  # the function names the key column
            raise ValueError(f"{meta.label}: the triggers expect the primary key column 'id'")
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE DELETE OR UPDATE OF id ON {schema_editor.quote_name(meta.db_table)} "
            f"FOR EACH ROW EXECUTE FUNCTION interactions_log_reference('{column}', '{on_delete}')"
        )


def _drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, model, _column, _on_delete in REFERENCES:
        table = schema_editor.quote_name(apps.get_model(model)._meta.db_table)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS interactions_log_reference()")

class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0002_person_company_is_a_company'),
        ('interactions', '0005_document_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_contact_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_company_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_salesperson_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_template_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_group_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_campaign_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_segment_date_idx',
        ),
        migrations.RemoveIndex(
            model_name='interactionlogentry',
            name='log_date_idx',
        ),
        migrations.AlterField(
            model_name='interactionlogentry',
            name='contact_company',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='company_interaction_log_entries', to='contacts.contact', verbose_name='contact company'),
        ),
        migrations.AlterField(
            model_name='interactionlogentry',
            name='group',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='log_entries', to='interactions.interactiongroup', verbose_name='interaction group'),
        ),
        migrations.AlterField(
            model_name='interactionlogentry',
            name='logged_segment',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='entries', to='interactions.loggedsegment', verbose_name='logged segment'),
        ),
        migrations.AlterField(
            model_name='interactionlogentry',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(condition=models.Q(('postponed', False)), fields=['date', 'entry_no'], name='log_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(fields=['contact', 'date', 'entry_no'], name='log_contact_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(fields=['contact_company', 'date', 'entry_no'], name='log_company_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(fields=['salesperson', 'date', 'entry_no'], name='log_salesperson_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(fields=['template', 'date', 'entry_no'], name='log_template_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(fields=['group', 'date', 'entry_no'], name='log_group_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(condition=models.Q(('campaign__isnull', False)), fields=['campaign', 'date', 'entry_no'], name='log_campaign_date_idx'),
        ),
        migrations.AddIndex(
            model_name='interactionlogentry',
            index=models.Index(condition=models.Q(('segment_number', ''), _negated=True), fields=['segment_number', 'date', 'entry_no'], name='log_segment_date_idx'),
        ),
        migrations.RunPython(_create_triggers, _drop_triggers),
    ]
