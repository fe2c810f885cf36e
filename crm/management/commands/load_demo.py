"""Demo data and demo logins; running it again changes nothing."""

import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.contacts.demo import load_contacts_demo
from crm.documents.demo import load_documents_demo
from interactions.demo import load_interactions_demo

# username, password, group, salesperson code, staff (reaches the Django admin)
DEMO_LOGINS = [
    ("admin", "demo-admin", "Administrator", "", True),
    ("manager", "demo-manager", "Sales manager", "DS", False),
    ("sales", "demo-sales", "Sales staff", "OI", False),
]
NAMES = {"admin": ("Ada", "Admin"), "manager": ("Dmitry", "Sokolov"), "sales": ("Olga", "Ivanova")}


class Command(BaseCommand):
    help = (
        "Load demo contacts, templates, two years of interactions and business documents, and create demo "
        "logins (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-known-passwords",
            action="store_true",
            help="Create the demo logins even with DEBUG off (their passwords are published in the README).",
        )
        parser.add_argument("--no-logins", action="store_true", help="Load the data only; create no logins.")
        parser.add_argument("--entries", type=int, default=3000, help="Number of log entries to generate.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (the same seed, the same data).")

    def handle(self, *args, allow_known_passwords, no_logins, entries, seed, **options):
        if entries < 0:
            raise CommandError("--entries cannot be negative.")
        create_logins = not no_logins
        if create_logins and not settings.DEBUG and not allow_known_passwords:
            raise CommandError(
                "DEBUG is off: refusing to create demo logins with published passwords. "
                "Pass --allow-known-passwords to create them anyway, or --no-logins to load the data only."
            )
        rng = random.Random(seed)
        with transaction.atomic():
            users = self._logins() if create_logins else {}
            users_by_salesperson = {
                code: users[name] for name, _p, _g, code, _s in DEMO_LOGINS if code and name in users
            }
            contacts = load_contacts_demo(rng=rng, users_by_salesperson=users_by_salesperson)
            created = load_interactions_demo(
                rng=rng, contacts=contacts, users_by_salesperson=users_by_salesperson, entry_count=entries
            )
            # After the interactions: printing with logging needs the template setup.
            documents = load_documents_demo(rng=rng, contacts=contacts, users_by_salesperson=users_by_salesperson)
        self.stdout.write(
            f"Demo data: {len(contacts.companies)} companies, {len(contacts.persons)} persons, "
            f"{len(contacts.salespeople)} salespeople; {created} interaction log entries created"
            f"{'' if created else ' (already present)'}; {documents.documents_created} documents, "
            f"{documents.prints_logged} printed with an interaction logged."
        )
        if create_logins:
            self.stdout.write("Demo logins (username / password, group):")
            for name, password, group, _code, _staff in DEMO_LOGINS:
                self.stdout.write(f"  {name} / {password}  ({group})")

    def _logins(self):
        User = get_user_model()
        users = {}
        for name, password, group, _code, staff in DEMO_LOGINS:
            first, last = NAMES[name]
            user, created = User.objects.get_or_create(
                username=name, defaults={"first_name": first, "last_name": last, "email": f"{name}@cronus-demo.example"}
            )
            if created:
                user.set_password(password)
            user.is_staff = staff
            user.save()
            user.groups.add(Group.objects.get(name=group))
            users[name] = user
        return users
