"""What the contacts app grants to the project's roles (crm/roles.py)."""

from crm import roles

SALES_STAFF = [
    "contacts.view_contact",
    "contacts.add_contact",
    "contacts.change_contact",
    "contacts.view_salesperson",
    "contacts.view_campaign",
]

roles.declare(
    "contacts",
    {
        # Sales staff read everything, and add and correct contacts.
        roles.SALES_STAFF: SALES_STAFF,
        # Sales managers also delete contacts and run campaigns.
        roles.SALES_MANAGER: [
            *SALES_STAFF,
            "contacts.delete_contact",
            "contacts.add_campaign",
            "contacts.change_campaign",
        ],
        # Administrators set everything up.
        roles.ADMINISTRATOR: roles.ALL_PERMISSIONS,
    },
)
