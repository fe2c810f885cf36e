"""The groups' permissions, as the pages check them (interactions/permissions.py), by view
action. The services check again."""

from rest_framework.permissions import BasePermission


class RequiredPermissions(BasePermission):
    """Every permission that the view names for the action (`required_permissions`, by
    action for view sets, by HTTP method for plain views)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        by_key = getattr(view, "required_permissions", {})
        key = getattr(view, "action", None) or request.method.lower()
        needed = by_key.get(key, by_key.get("*", ()))
        return all(request.user.has_perm(name) for name in needed)
