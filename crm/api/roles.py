"""What the API's models grant: administrators see and revoke every user's tokens. Every
user manages their own tokens without a permission."""

from crm import roles

roles.declare("api", {roles.ADMINISTRATOR: roles.ALL_PERMISSIONS})
