"""Permissions of the documents app.

`require_permission` is the documents' own copy of the rule the interactions module
follows (a host app does not import the module): services check the permission of the
user they are given; `user=None` is a system caller (the demo loader, a command).

`GROUP_PERMISSIONS` says which permissions of this app each group of the project needs.
The groups belong to the composition (they are created by a migration of the interactions
module), so the assignment is made there, from this list.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

VIEW_PERMISSION = "documents.view_document"
PRINT_PERMISSION = "documents.print_document"
ARCHIVE_PERMISSION = "documents.add_documentversion"

_READ = [
    "documents.view_customer",
    "documents.view_vendor",
    "documents.view_document",
    "documents.view_documentline",
    "documents.view_documentversion",
]
GROUP_PERMISSIONS: dict[str, list[str]] = {
    # Sales staff read documents and print them (printing with "Log interaction" also
    # needs interactions.add_interactionlogentry, which they have).
    "Sales staff": [*_READ, PRINT_PERMISSION],
    # Sales managers also archive versions by hand.
    "Sales manager": [*_READ, PRINT_PERMISSION, ARCHIVE_PERMISSION],
    # Administrators get every permission of the app (interactions/migrations/0002_groups.py
    # gives them all of "documents" already when this app's tables exist first).
}


def require_permission(user, permission: str) -> None:
    if user is None:
        return
    if not user.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))
