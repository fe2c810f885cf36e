from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    """The composition root: project pages, the demo data command."""

    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import sqlite
        from .login_throttle import clear_after_login, count_failed_login

        sqlite.connect()

        user_login_failed.connect(count_failed_login, dispatch_uid="crm-login-throttle-failed")
        user_logged_in.connect(clear_after_login, dispatch_uid="crm-login-throttle-success")
