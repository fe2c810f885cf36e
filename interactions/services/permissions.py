from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require_permission(user, permission: str) -> None:
    """Services check permissions too, not only views: a service called with a user who
    lacks `permission` ("app_label.codename") refuses. `user=None` means a system caller
    (a task, a management command, a signal receiver) and is always allowed."""
    if user is None:
        return
    if not user.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))
