"""What the documents app grants to the project's roles (crm/roles.py)."""

from crm import roles

from .permissions import ARCHIVE_PERMISSION, PRINT_PERMISSION

READ = [
    "documents.view_customer",
    "documents.view_vendor",
    "documents.view_document",
    "documents.view_documentline",
    "documents.view_documentversion",
]

roles.declare(
    "documents",
    {
        # Sales staff read documents and print them (printing with "Log interaction" also
        # needs the permission to record interactions, which the module that records them
        # grants).
        roles.SALES_STAFF: [*READ, PRINT_PERMISSION],
        # Sales managers also archive versions by hand.
        roles.SALES_MANAGER: [*READ, PRINT_PERMISSION, ARCHIVE_PERMISSION],
        # Administrators set everything up.
        roles.ADMINISTRATOR: roles.ALL_PERMISSIONS,
    },
)
