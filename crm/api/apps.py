from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "crm.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete

        from . import schema  # noqa: F401  (registers the authentication schemes)
        from .permission_cache import forget_all

        # A change of anyone's permissions makes every permission set kept for a token stale.
        user_model = get_user_model()
        for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
            m2m_changed.connect(forget_all, sender=through, dispatch_uid=f"api-permissions-{through._meta.label}")
        for model in (Group, Permission):
            post_delete.connect(forget_all, sender=model, dispatch_uid=f"api-permissions-{model._meta.label}")
