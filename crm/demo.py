"""The registry of demo data: each installed app adds its own, the host never names them.

An app's `demo` module registers a loader, as an app's `admin` module registers its models:

    from crm import demo

    @demo.register("documents", after=["contacts"])
    def load(context: demo.DemoContext):
        contacts = context.results["contacts"]      # what the "contacts" loader returned
        ...
        context.report(f"{created} documents")    # a part of the summary load_demo prints
        return result                              # kept as context.results["documents"]

`autodiscover()` imports the `demo` module of every installed app; `load_demo` runs the
loaders in dependency order: each after the loaders it names in `after`, and before those
it names in `before` (a module declares that it must come before a host app's loader,
which cannot name it). Names in `before` that nobody registered are ignored; a name in
`after` that nobody registered is an error. Among loaders free to go, the order of
INSTALLED_APPS. Loaders must be idempotent: `load_demo` may run again on the same data.

A loader may add command-line options (`add_arguments(parser)`) and check them before any
loader runs (`check_options(options)`, raising ValueError with the message for the user).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from crm.roles import ADMINISTRATOR, SALES_MANAGER, SALES_STAFF

# The demo logins `load_demo` creates: username, password, group, salesperson code, staff
# (reaches the Django admin). Their passwords are published (README, the login page while
# DEBUG is on).
DEMO_LOGINS = [
    ("admin", "demo-admin", ADMINISTRATOR, "", True),
    ("manager", "demo-manager", SALES_MANAGER, "DS", False),
    ("sales", "demo-sales", SALES_STAFF, "OI", False),
]
# The groups' names as the login page shows them.
ROLE_NAMES = {SALES_STAFF: _("Sales staff"), SALES_MANAGER: _("Sales manager"), ADMINISTRATOR: _("Administrator")}


def demo_logins_present() -> list[tuple[str, str, str]]:
    """The demo logins that exist in the database (username, password, group name), in
    the order of DEMO_LOGINS: one query. For the login page while DEBUG is on."""
    from django.contrib.auth import get_user_model

    usernames = set(
        get_user_model().objects.filter(username__in=[row[0] for row in DEMO_LOGINS]).values_list("username", flat=True)
    )
    return [(name, password, ROLE_NAMES[group]) for name, password, group, _c, _s in DEMO_LOGINS if name in usernames]


@dataclass
class DemoContext:
    """What loaders share: one random generator (the same seed, the same data), the demo
    logins by salesperson code, the command's options and what earlier loaders returned."""

    rng: random.Random
    users_by_salesperson: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def report(self, text: str) -> None:
        """Add a part to the summary line `load_demo` prints."""
        self.summary.append(text)


@dataclass(frozen=True)
class DemoLoader:
    name: str
    load: Callable[[DemoContext], Any]
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    add_arguments: Callable[[Any], None] | None = None
    check_options: Callable[[dict[str, Any]], None] | None = None


_registry: dict[str, DemoLoader] = {}


def register(
    name: str,
    *,
    after=(),
    before=(),
    add_arguments: Callable[[Any], None] | None = None,
    check_options: Callable[[dict[str, Any]], None] | None = None,
):
    """Register the decorated function as the demo data loader `name`."""

    def decorator(load: Callable[[DemoContext], Any]) -> Callable[[DemoContext], Any]:
        _registry[name] = DemoLoader(
            name=name,
            load=load,
            after=tuple(after),
            before=tuple(before),
            add_arguments=add_arguments,
            check_options=check_options,
        )
        return load

    return decorator


def autodiscover() -> None:
    """Import the `demo` module of every installed app, which registers its loader."""
    autodiscover_modules("demo")


def loaders() -> list[DemoLoader]:
    """The registered loaders in the order they run (see the module's docstring)."""
    registered = list(_registry.values())
    needs: dict[str, set[str]] = {loader.name: set() for loader in registered}
    for loader in registered:
        for name in loader.after:
            if name not in needs:
                raise ImproperlyConfigured(
                    f"The demo data {loader.name!r} comes after {name!r}, which no installed app provides."
                )
            needs[loader.name].add(name)
        for name in loader.before:
            if name in needs:
                needs[name].add(loader.name)
    ordered: list[DemoLoader] = []
    done: set[str] = set()
    while len(ordered) < len(registered):
        ready = next((loader for loader in registered if loader.name not in done and needs[loader.name] <= done), None)
        if ready is None:
            waiting = sorted(name for name in needs if name not in done)
            raise ImproperlyConfigured(f"The demo data {waiting} wait for each other.")
        ordered.append(ready)
        done.add(ready.name)
    return ordered
