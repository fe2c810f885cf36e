from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    """The composition root: project pages, the roles (crm/roles.py), the registries the
    installed apps fill (demo data, page panels) and the demo data command."""

    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_migrate

        from . import roles, search, sqlite
        from .login_throttle import clear_after_login, count_failed_login

        sqlite.connect()

        # The groups and what the installed apps grant them, after every migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="crm-sync-roles")

        user_login_failed.connect(count_failed_login, dispatch_uid="crm-login-throttle-failed")
        user_logged_in.connect(clear_after_login, dispatch_uid="crm-login-throttle-success")

        # The host's own pages in the search (crm/search); each app registers its own.
        search.register_page(
            "home", name=_("Dashboard"), keywords=["Home", "Role Center", "Главная", "Ролевой центр"], order=0
        )
        search.register_page(
            "admin:index",
            name=_("Administration"),
            allowed=lambda user: user.is_active and user.is_staff,
            keywords=["Admin", "Django admin", "Администрирование", "Администратор"],
            order=90,
        )
