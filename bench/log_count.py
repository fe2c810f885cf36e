"""The log's count at 1M entries: what the bounded count (`selectors.log.bounded_count`,
exact up to INTERACTIONS_LOG_COUNT_LIMIT, then "more than") costs the database, for the
unfiltered log and the page's usual filters, against a plain COUNT(*) of the same filter.
Target (issue 18): under 50 ms per count at 1M entries, on PostgreSQL; the whole page
with its count is measured too (server and database time).
"""

import datetime
import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from . import generate
from .common import measure, record

TARGET_MS = 50


def _plain_count(entries):
    return entries.order_by().count()


def cases() -> list[dict]:
    from interactions.filters import InteractionLogFilter
    from interactions.selectors.log import log_entries

    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM contacts_contact ORDER BY id LIMIT 1")
        heavy_number = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM interactions_interactiontemplate WHERE code = 'OUTGOING'")
        template_id = cursor.fetchone()[0]
    today = datetime.date.today()
    filters = [
        ("unfiltered", {}),
        ("heavy contact", {"contact": heavy_number}),
        (
            "date range + template",
            {
                "date_from": (today - datetime.timedelta(days=90)).isoformat(),
                "date_to": (today - datetime.timedelta(days=30)).isoformat(),
                "template": str(template_id),
            },
        ),
        (
            "one day",
            {
                "date_from": (today - datetime.timedelta(days=10)).isoformat(),
                "date_to": (today - datetime.timedelta(days=10)).isoformat(),
            },
        ),  # fmt: skip
        ("canceled", {"canceled": "true"}),
    ]
    result = []
    for name, data in filters:
        filterset = InteractionLogFilter(data or None, queryset=log_entries())
        assert not filterset.is_bound or filterset.is_valid(), filterset.form.errors
        result.append({"case": name, "entries": filterset.qs, "query": data})
    return result


def run(*, entries: int, contacts: int, repeat: int) -> list[dict]:
    from interactions import conf
    from interactions.selectors.log import bounded_count

    if generate.entry_count() != entries:
        generate.fill(contacts=contacts, entries=entries)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE interactions_interactionlogentry")
    limit = conf.settings.LOG_COUNT_LIMIT
    manager, _created = get_user_model().objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="Sales manager"))
    client = Client()
    client.force_login(manager)
    rows = []
    for case in cases():
        counted = bounded_count(case["entries"], limit=limit)
        bounded = measure(functools.partial(bounded_count, case["entries"], limit=limit), repeat=repeat)
        plain = measure(functools.partial(_plain_count, case["entries"]), repeat=repeat)
        page = measure(
            functools.partial(client.get, "/interactions/log/", {**case["query"], "all": "1"}), repeat=repeat
        )
        rows.append(
            {
                "entries": f"{entries:,}",
                "case": case["case"],
                "shown": f"{counted.count:,}" if counted.exact else f"more than {limit:,}",
                "count ms": bounded["db_ms"],
                "target ms": TARGET_MS,
                "met": "yes" if bounded["db_ms"] < TARGET_MS else "no",
                "plain COUNT(*) ms": plain["db_ms"],
                "page ms": page["wall_ms"],
                "page db ms": page["db_ms"],
            }
        )
    return rows


def main(*, entries: int, contacts: int, repeat: int) -> None:
    from interactions import conf

    rows = run(entries=entries, contacts=contacts, repeat=repeat)
    record(
        "log_count",
        rows,
        notes=[
            f"count limit (INTERACTIONS_LOG_COUNT_LIMIT) {conf.settings.LOG_COUNT_LIMIT:,}; "
            "count ms is the database time of the bounded count alone (median)"
        ],
    )
