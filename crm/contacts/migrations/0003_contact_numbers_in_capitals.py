"""Contact numbers are stored in capitals, without surrounding spaces, so that a number typed
in any case finds its contact with an exact match on the indexed column. Numbers typed
by hand before are brought to that form, except where it is taken by another contact
(those two stay as they are, for an administrator to renumber)."""

from django.db import migrations


def store_contact_numbers_in_capitals(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    rows = Contact.objects.values_list("pk", "number").order_by("pk").iterator(chunk_size=5000)
    changes = [(pk, number.strip().upper()) for pk, number in rows if number != number.strip().upper()]
    for pk, number in changes:
        if number and not Contact.objects.filter(number=number).exists():
            Contact.objects.filter(pk=pk).update(number=number)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_person_company_is_a_company")]

    operations = [migrations.RunPython(store_contact_numbers_in_capitals, migrations.RunPython.noop, elidable=True)]
