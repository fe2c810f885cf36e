"""Demo data and demo logins; running it again changes nothing.

The data come from the installed apps (their `demo` modules register loaders in crm/demo.py);
this command creates the demo logins and runs the loaders in order, in one transaction."""

import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm import demo
from crm.demo import DEMO_LOGINS

NAMES = {"admin": ("Ada", "Admin"), "manager": ("Dmitry", "Sokolov"), "sales": ("Olga", "Ivanova")}


class Command(BaseCommand):
    help = "Load the demo data of every installed app and create demo logins (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-known-passwords",
            action="store_true",
            help="Create the demo logins even with DEBUG off (their passwords are published in the README).",
        )
        parser.add_argument("--no-logins", action="store_true", help="Load the data only; create no logins.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (the same seed, the same data).")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default="en",
            help="Language of the demo data's descriptions (groups, templates, campaigns, segments); "
            "running again in another language changes those of groups, templates and campaigns.",
        )
        demo.autodiscover()
        for loader in demo.loaders():
            if loader.add_arguments is not None:
                loader.add_arguments(parser)

    def handle(self, *args, allow_known_passwords, no_logins, seed, **options):
        demo.autodiscover()
        loaders = demo.loaders()
        for loader in loaders:
            if loader.check_options is not None:
                try:
                    loader.check_options(options)
                except ValueError as error:
                    raise CommandError(str(error)) from error
        create_logins = not no_logins
        if create_logins and not settings.DEBUG and not allow_known_passwords:
            raise CommandError(
                "DEBUG is off: refusing to create demo logins with published passwords. "
                "Pass --allow-known-passwords to create them anyway, or --no-logins to load the data only."
            )
        with transaction.atomic():
            users = self._logins() if create_logins else {}
            context = demo.DemoContext(
                rng=random.Random(seed),
                users_by_salesperson={
                    code: users[name] for name, _p, _g, code, _s in DEMO_LOGINS if code and name in users
                },
                options=options,
            )
            for loader in loaders:
                context.results[loader.name] = loader.load(context)
        self.stdout.write(f"Demo data: {'; '.join(context.summary) or 'none'}.")
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
