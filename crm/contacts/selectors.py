"""Reads of the contacts app that other apps share."""

from .models import Contact


def contact_by_number(number: str | None) -> Contact | None:
    """The contact whose number a user typed: surrounding spaces ignored, letters in any case
    (numbers are stored in capitals, so this is an exact match on the indexed column). Every
    page, filter and command that takes a contact number looks it up here. Carries the
    contact's company and salesperson."""
    number = Contact.normalize_number(number)
    if not number or "\x00" in number:  # no number holds NUL, and PostgreSQL refuses it in a query
        return None
    try:  # `get`, not `first`: the number is unique, and first()'s ORDER BY costs CPU on every call
        return Contact.objects.select_related("company", "salesperson").get(number=number)
    except Contact.DoesNotExist:
        return None
