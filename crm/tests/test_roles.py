"""The roles (crm/roles.py): the host creates the groups after every migrate and grants what
the installed apps declare. These hold with and without the interactions module; what the
module grants, and the comparison with the old group migrations: tests/test_roles.py."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import checks
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal

from crm import roles

pytestmark = pytest.mark.django_db

HOST_APPS = ("auth", "contacts", "documents")
CONTACTS_SALES_STAFF = [
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.view_campaign",
    "contacts.view_contact",
    "contacts.view_salesperson",
]
DOCUMENTS_READ = [
    "documents.view_customer",
    "documents.view_document",
    "documents.view_documentline",
    "documents.view_documentversion",
    "documents.view_vendor",
]
# What the host's apps grant, as the group migrations granted it before the roles existed.
HOST_GRANTS = {
    "Sales staff": sorted([*CONTACTS_SALES_STAFF, *DOCUMENTS_READ, "documents.print_document"]),
    "Sales manager": sorted(
        [
            *CONTACTS_SALES_STAFF,
            "contacts.add_campaign",
            "contacts.change_campaign",
            "contacts.delete_contact",
            *DOCUMENTS_READ,
            "documents.print_document",
            "documents.add_documentversion",
        ]
    ),
}


def group_permissions(apps=None) -> dict[str, list[str]]:
    """Each group's permissions, "app_label.codename", optionally of some apps only."""
    return {
        group.name: sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.all()
            if apps is None or p.content_type.app_label in apps
        )
        for group in Group.objects.prefetch_related("permissions__content_type").order_by("name")
    }


def every_permission_of(*apps) -> list[str]:
    return sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(content_type__app_label__in=apps).select_related("content_type")
    )


def test_migrate_creates_the_three_groups_with_what_the_host_apps_grant():
    granted = group_permissions(HOST_APPS)
    assert sorted(granted) == ["Administrator", "Sales manager", "Sales staff"]
    assert granted["Sales staff"] == HOST_GRANTS["Sales staff"]
    assert granted["Sales manager"] == HOST_GRANTS["Sales manager"]
    assert granted["Administrator"] == every_permission_of(*HOST_APPS)


def test_the_groups_come_back_after_the_next_migrate_as_they_were():
    before = group_permissions()
    Group.objects.all().delete()
    emit_post_migrate_signal(0, False, "default")  # what every migrate (and flush) ends with
    assert group_permissions() == before


def test_running_again_changes_nothing_and_keeps_what_was_granted_by_hand():
    staff = Group.objects.get(name=roles.SALES_STAFF)
    by_hand = Permission.objects.get(content_type__app_label="contacts", codename="delete_campaign")
    staff.permissions.add(by_hand)
    before = group_permissions()
    roles.sync_roles()
    roles.sync_roles()
    assert group_permissions() == before
    assert "contacts.delete_campaign" in group_permissions()["Sales staff"]


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_its_groups_back():
    before = group_permissions()
    call_command("flush", interactive=False, verbosity=0)
    assert group_permissions() == before


def test_an_app_grants_only_its_own_permissions_to_known_roles():
    with pytest.raises(ValueError, match="unknown role"):
        roles.declare("contacts", {"Sales intern": ["contacts.view_contact"]})
    with pytest.raises(ValueError, match="only grant its own permissions"):
        roles.declare("contacts", {roles.SALES_STAFF: ["documents.view_document"]})


def test_a_declared_permission_that_no_model_defines_fails_the_checks(monkeypatch):
    monkeypatch.setitem(roles._declarations, "contacts", {roles.SALES_STAFF: frozenset({"contacts.view_contcat"})})
    errors = roles.check_declared_permissions()
    assert [error.id for error in errors] == ["crm.E001"]
    assert "contacts.view_contcat" in errors[0].msg
    assert isinstance(errors[0], checks.Error)


def test_the_declarations_pass_the_checks():
    assert roles.check_declared_permissions() == []
