"""Permissions of the documents app.

`require_permission` is the documents' own copy of the rule the interactions module
follows (a host app does not import the module): services check the permission of the
user they are given; `user=None` is a system caller (the demo loader, a command).

What this app grants to each of the project's roles is declared in `roles.py`.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

VIEW_PERMISSION = "documents.view_document"
PRINT_PERMISSION = "documents.print_document"
ARCHIVE_PERMISSION = "documents.add_documentversion"


def require_permission(user, permission: str) -> None:
    if user is None:
        return
    if not user.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))
