"""The three groups of users and their permissions.

Sales staff record interactions, comment, evaluate, build and log segments and read
everything; sales managers also cancel and restore entries and logged segments and delete
canceled entries; administrators set everything up (and reach the Django admin).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES_STAFF = [
    "contacts.view_contact",
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.view_salesperson",
    "contacts.view_campaign",
    "interactions.view_interactiongroup",
    "interactions.view_interactiontemplate",
    "interactions.view_interactiontemplatelanguage",
    "interactions.view_interactiontemplatesetup",
    "interactions.view_attachment",
    "interactions.add_attachment",
    "interactions.view_interactionlogentry",
    "interactions.add_interactionlogentry",
    "interactions.evaluate_interactionlogentry",
    "interactions.export_interactionlogentry",
    "interactions.view_interactioncomment",
    "interactions.add_interactioncomment",
    "interactions.view_segment",
    "interactions.add_segment",
    "interactions.change_segment",
    "interactions.delete_segment",
    "interactions.view_segmentline",
    "interactions.add_segmentline",
    "interactions.change_segmentline",
    "interactions.delete_segmentline",
    "interactions.view_loggedsegment",
    "interactions.add_loggedsegment",
]
SALES_MANAGER = SALES_STAFF + [
    "contacts.delete_contact",
    "contacts.add_campaign",
    "contacts.change_campaign",
    "interactions.cancel_interactionlogentry",
    "interactions.purge_interactionlogentry",
    "interactions.cancel_loggedsegment",
    "interactions.delete_loggedsegment",
]
# Administrators get every permission of these apps.
ADMINISTRATOR_APPS = ["auth", "contacts", "documents", "interactions"]

GROUPS = {"Sales staff": SALES_STAFF, "Sales manager": SALES_MANAGER}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names):
        wanted = {tuple(name.split(".", 1)) for name in names}
        found = [
            p
            for p in Permission.objects.select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        if missing:
            raise RuntimeError(f"permissions missing: {sorted(missing)}")
        return found

    for name, perms in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions(perms))
    administrator, _created = Group.objects.get_or_create(name="Administrator")
    administrator.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Sales staff", "Sales manager", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contacts", "0002_person_company_is_a_company"),
        ("interactions", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
