"""The groups' permissions on business documents (crm.documents).

The groups belong to the composition and are kept here; the documents app lists what each
group needs (crm/documents/permissions.py: GROUP_PERMISSIONS), frozen below as migrations
must be.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view_customer", "view_vendor", "view_document", "view_documentline", "view_documentversion"]
GRANTS = {
    "Sales staff": [*READ, "print_document"],
    "Sales manager": [*READ, "print_document", "add_documentversion"],
}


def grant_permissions(apps, schema_editor):
    for label in ("documents", "interactions"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    documents = Permission.objects.filter(content_type__app_label="documents")
    for name, codenames in GRANTS.items():
        group = Group.objects.get(name=name)
        wanted = documents.filter(codename__in=codenames)
        if wanted.count() != len(codenames):
            raise RuntimeError(f"documents permissions missing for {name}")
        group.permissions.add(*wanted)
    Group.objects.get(name="Administrator").permissions.add(*documents)


def revoke_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    documents = Permission.objects.filter(content_type__app_label="documents")
    for group in Group.objects.filter(name__in=[*GRANTS, "Administrator"]):
        group.permissions.remove(*documents)


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0004_segment_criteria"),
        ("documents", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
