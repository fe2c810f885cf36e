"""The groups' permissions, now that the host creates the groups (crm/roles.py) and each
app declares its grants (crm/contacts/roles.py, crm/documents/roles.py,
interactions/roles.py), are those that the old group migrations of the interactions module
(0002, 0004, 0005) gave them: on a fresh database and on one migrated before."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from crm import roles
from crm.tests.test_roles import every_permission_of, group_permissions

pytestmark = pytest.mark.django_db

OLD_GROUP_MIGRATIONS = [
    ("interactions.migrations.0002_groups", "create_groups"),
    ("interactions.migrations.0004_segment_criteria", "grant_permissions"),
    ("interactions.migrations.0005_document_permissions", "grant_permissions"),
]

# What the old group migrations gave each group: history, it never changes.
OLD_SALES_STAFF = [
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.view_campaign",
    "contacts.view_contact",
    "contacts.view_salesperson",
    "documents.print_document",
    "documents.view_customer",
    "documents.view_document",
    "documents.view_documentline",
    "documents.view_documentversion",
    "documents.view_vendor",
    "interactions.add_attachment",
    "interactions.add_interactioncomment",
    "interactions.add_interactionlogentry",
    "interactions.add_loggedsegment",
    "interactions.add_savedsegmentcriteria",
    "interactions.add_segment",
    "interactions.add_segmentline",
    "interactions.change_savedsegmentcriteria",
    "interactions.change_segment",
    "interactions.change_segmentline",
    "interactions.delete_savedsegmentcriteria",
    "interactions.delete_segment",
    "interactions.delete_segmentline",
    "interactions.evaluate_interactionlogentry",
    "interactions.export_interactionlogentry",
    "interactions.view_attachment",
    "interactions.view_interactioncomment",
    "interactions.view_interactiongroup",
    "interactions.view_interactionlogentry",
    "interactions.view_interactiontemplate",
    "interactions.view_interactiontemplatelanguage",
    "interactions.view_interactiontemplatesetup",
    "interactions.view_loggedsegment",
    "interactions.view_savedsegmentcriteria",
    "interactions.view_segment",
    "interactions.view_segmentline",
]
OLD_SALES_MANAGER = [
    *OLD_SALES_STAFF,
    "contacts.add_campaign",
    "contacts.change_campaign",
    "contacts.delete_contact",
    "documents.add_documentversion",
    "interactions.cancel_interactionlogentry",
    "interactions.cancel_loggedsegment",
    "interactions.delete_loggedsegment",
    "interactions.purge_interactionlogentry",
]
# What the roles grant today: the old grants, and those of permissions added since.
SALES_STAFF = [*OLD_SALES_STAFF]
SALES_MANAGER = [
    *OLD_SALES_MANAGER,
    "interactions.act_on_others_interactionlogentry",
    # E-mail capture: the health pages and skipped messages (issue 16).
    "interactions.view_mailbox",
    "interactions.view_mail_capture_health",
    "interactions.view_skippedmessage",
    "interactions.log_skippedmessage",
]
# Administrators: every permission of these apps, then and now; and of the API's tokens
# (crm/api: seeing and revoking every user's), added since.
ADMINISTRATOR_APPS = ("auth", "contacts", "documents", "interactions")
ADMINISTRATOR_APPS_NOW = (*ADMINISTRATOR_APPS, "api")


def expected(sales_staff=SALES_STAFF, sales_manager=SALES_MANAGER, administrator_apps=ADMINISTRATOR_APPS_NOW):
    return {
        "Administrator": every_permission_of(*administrator_apps),
        "Sales manager": sorted(sales_manager),
        "Sales staff": sorted(sales_staff),
    }


def run_old_group_migrations() -> None:
    """The old migrations' functions, on their own (historical) models."""
    state = MigrationLoader(connection).project_state()
    for module, function in OLD_GROUP_MIGRATIONS:
        getattr(importlib.import_module(module), function)(state.apps, None)


def test_the_declared_roles_grant_what_the_old_group_migrations_granted_and_no_more():
    Group.objects.all().delete()
    roles.sync_roles()
    assert group_permissions() == expected()


def test_the_old_group_migrations_gave_these_groups():
    Group.objects.all().delete()
    run_old_group_migrations()
    assert group_permissions() == expected(OLD_SALES_STAFF, OLD_SALES_MANAGER, ADMINISTRATOR_APPS)


def test_a_database_migrated_before_the_roles_ends_as_a_fresh_one():
    Group.objects.all().delete()
    run_old_group_migrations()
    roles.sync_roles()  # the next migrate, with the roles
    migrated_before = group_permissions()
    Group.objects.all().delete()
    roles.sync_roles()  # a fresh database's groups, had no migration created them
    assert migrated_before == group_permissions()


def test_the_migrated_test_database_has_nothing_more_than_the_declarations_grant():
    """The test database went through every migration (those that grant permissions to the
    groups included) and the roles: whatever a migration grants is declared too."""
    migrated = group_permissions()
    Group.objects.all().delete()
    roles.sync_roles()
    assert migrated == group_permissions()
