"""Acting on other users' entries becomes a permission of its own.

Until now the cancel permission stood in for "sales manager" when a user resumed or
deleted someone else's postponed interaction or resent someone else's e-mail. The new
permission goes to the groups "Sales manager" and "Administrator", and to every other group
and user that holds the cancel permission, so that nobody can do less or more than before.
Sales staff do not get it.
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAME = "act_on_others_interactionlogentry"
STAND_IN = "cancel_interactionlogentry"
GROUPS = ["Sales manager", "Administrator"]


def grant_permission(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need this one now.
    app_config = apps.get_app_config("interactions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="interactions", codename=CODENAME)
    stand_in = Permission.objects.filter(content_type__app_label="interactions", codename=STAND_IN)
    groups = Group.objects.filter(name__in=GROUPS) | Group.objects.filter(permissions__in=stand_in)
    for group in groups.distinct():
        group.permissions.add(permission)
    if any(field.name == "user_permissions" for field in User._meta.get_fields()):
        for user in User.objects.filter(user_permissions__in=stand_in).distinct():
            user.user_permissions.add(permission)


def revoke_permission(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="interactions", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("interactions", "0006_log_bulk_insert_cost"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="interactionlogentry",
            options={
                "ordering": ["-date", "-entry_no"],
                "permissions": [
                    ("cancel_interactionlogentry", "Can cancel and restore interaction log entries"),
                    ("evaluate_interactionlogentry", "Can evaluate interaction log entries"),
                    ("purge_interactionlogentry", "Can delete canceled interaction log entries"),
                    ("export_interactionlogentry", "Can export interaction log entries"),
                    ("act_on_others_interactionlogentry", "Can act on other users' interaction log entries"),
                ],
                "verbose_name": "interaction log entry",
                "verbose_name_plural": "interaction log entries",
            },
        ),
        migrations.RunPython(grant_permission, revoke_permission),
    ]
