"""A person's company must be a contact of type company: a rule across two rows, so a
CHECK constraint cannot hold it. Triggers keep it on PostgreSQL and SQLite alike, on
insert and update of the person and on a change of the company's type."""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE FUNCTION contacts_contact_company_is_company() RETURNS trigger AS $$
    BEGIN
        IF NEW.company_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM contacts_contact WHERE id = NEW.company_id AND type = 'company'
        ) THEN
            RAISE EXCEPTION 'a person''s company must be a contact of type company'
                USING ERRCODE = 'check_violation';
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.type <> 'company' AND EXISTS (
            SELECT 1 FROM contacts_contact WHERE company_id = NEW.id
        ) THEN
            RAISE EXCEPTION 'a company with persons cannot change its type'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER contacts_contact_company_is_company
    BEFORE INSERT OR UPDATE OF company_id, type ON contacts_contact
    FOR EACH ROW EXECUTE FUNCTION contacts_contact_company_is_company();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS contacts_contact_company_is_company ON contacts_contact;",
    "DROP FUNCTION IF EXISTS contacts_contact_company_is_company();",
]

SQLITE = [
    """
    CREATE TRIGGER contacts_contact_company_is_company_insert
    BEFORE INSERT ON contacts_contact
    WHEN NEW.company_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM contacts_contact WHERE id = NEW.company_id AND type = 'company'
    )
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: a person''s company must be a contact of type company'); END;
    """,
    """
    CREATE TRIGGER contacts_contact_company_is_company_update
    BEFORE UPDATE OF company_id, type ON contacts_contact
    WHEN NEW.company_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM contacts_contact WHERE id = NEW.company_id AND type = 'company'
    )
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: a person''s company must be a contact of type company'); END;
    """,
    """
    CREATE TRIGGER contacts_contact_company_keeps_type
    BEFORE UPDATE OF type ON contacts_contact
    WHEN NEW.type <> 'company' AND EXISTS (SELECT 1 FROM contacts_contact WHERE company_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: a company with persons cannot change its type'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS contacts_contact_company_is_company_insert;",
    "DROP TRIGGER IF EXISTS contacts_contact_company_is_company_update;",
    "DROP TRIGGER IF EXISTS contacts_contact_company_keeps_type;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
