"""The roles of the project's users, and what each installed app grants to each of them.

The host defines the roles, one Django group each, named by these exact strings (stored
data and the demo logins use them). Each app declares what its models grant to each role,
in its `roles` module, which `autodiscover()` imports:

    from crm import roles

    roles.declare(
        "documents",
        {
            roles.SALES_STAFF: ["documents.view_document", "documents.print_document"],
            roles.SALES_MANAGER: [...],
            roles.ADMINISTRATOR: roles.ALL_PERMISSIONS,   # every permission of the app
        },
    )

After every `migrate` (and `flush`, which tests run) `sync_roles()` creates the groups and
grants them the declared permissions of the installed apps. It only adds: a permission
given to a group by hand stays, and running it again changes nothing. A declared permission
that does not exist in the database yet (its model is not migrated) is granted by the
migrate that creates it; one that no model defines is reported by `manage.py check`.
"""

from collections.abc import Iterable, Mapping

from django.apps import apps as global_apps
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, router
from django.utils.module_loading import autodiscover_modules

SALES_STAFF = "Sales staff"
SALES_MANAGER = "Sales manager"
ADMINISTRATOR = "Administrator"
ROLES = (SALES_STAFF, SALES_MANAGER, ADMINISTRATOR)


class _AllPermissions:
    def __repr__(self) -> str:
        return "ALL_PERMISSIONS"


# Grants every permission of the declaring app, those of models added later included.
ALL_PERMISSIONS = _AllPermissions()

# app label -> role -> the app's permission names ("app_label.codename"), or ALL_PERMISSIONS
_declarations: dict[str, dict[str, frozenset[str] | _AllPermissions]] = {}


def declare(app_label: str, grants: Mapping[str, Iterable[str] | _AllPermissions]) -> None:
    """Declare what the app `app_label` grants to each role. Declaring again replaces."""
    declared: dict[str, frozenset[str] | _AllPermissions] = {}
    for role, names in grants.items():
        if role not in ROLES:
            raise ValueError(f"{app_label}: unknown role {role!r}; the roles are {', '.join(ROLES)}.")
        if names is ALL_PERMISSIONS:
            declared[role] = ALL_PERMISSIONS
            continue
        names = frozenset([names] if isinstance(names, str) else names)
        foreign = sorted(name for name in names if name.partition(".")[0] != app_label or "." not in name)
        if foreign:
            raise ValueError(f"{app_label} can only grant its own permissions ({app_label}.<codename>): {foreign}")
        declared[role] = names
    _declarations[app_label] = declared


# The host owns users and groups: administrators manage them.
declare("auth", {ADMINISTRATOR: ALL_PERMISSIONS})


def autodiscover() -> None:
    """Import the `roles` module of every installed app, which declares its grants."""
    autodiscover_modules("roles")


def declarations() -> dict[str, dict[str, frozenset[str] | _AllPermissions]]:
    """The grants of the installed apps: app label -> role -> names or ALL_PERMISSIONS."""
    autodiscover()
    return {label: grants for label, grants in _declarations.items() if _installed(label)}


def _installed(app_label: str) -> bool:
    try:
        global_apps.get_app_config(app_label)
    except LookupError:
        return False
    return True


def sync_roles(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the groups and add the declared permissions that exist (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    if not router.allow_migrate_model(using, Group):
        return
    wanted: dict[str, set[tuple[str, str]]] = {role: set() for role in ROLES}
    every_permission_of: dict[str, set[str]] = {role: set() for role in ROLES}
    for app_label, grants in declarations().items():
        for role, names in grants.items():
            if names is ALL_PERMISSIONS:
                every_permission_of[role].add(app_label)
            else:
                wanted[role].update(tuple(name.split(".", 1)) for name in names)
    permissions = Permission.objects.using(using).select_related("content_type")
    for role in ROLES:
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.add(
            *(
                permission
                for permission in permissions
                if permission.content_type.app_label in every_permission_of[role]
                or (permission.content_type.app_label, permission.codename) in wanted[role]
            )
        )


def sync_roles_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """post_migrate receiver: once per migrate (or flush), after the last app's signal, when
    every app's permissions have been created."""
    if sender is not [config for config in global_apps.get_app_configs() if config.models_module is not None][-1]:
        return
    try:
        apps.get_model("auth", "Group")
        apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated (yet, or any more)
        return
    sync_roles(using=using)


@checks.register(checks.Tags.models)
def check_declared_permissions(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every declared permission is one that a model of its app defines."""
    errors = []
    for app_label, grants in declarations().items():
        defined = {
            f"{app_label}.{codename}"
            for model in global_apps.get_app_config(app_label).get_models()
            for codename in [
                *(f"{action}_{model._meta.model_name}" for action in model._meta.default_permissions),
                *(codename for codename, _name in model._meta.permissions),
            ]
        }
        for role, names in grants.items():
            if names is ALL_PERMISSIONS:
                continue
            for name in sorted(names - defined):
                errors.append(
                    checks.Error(
                        f"The role {role!r} is granted {name!r}, which no model of {app_label!r} defines.",
                        hint=f"Correct the declaration in the roles module of {app_label!r}.",
                        obj=app_label,
                        id="crm.E001",
                    )
                )
    return errors
