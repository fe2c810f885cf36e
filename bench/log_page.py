"""The interaction log page against its baselines, at two table sizes.

For each case: the page's server time (the whole request, in-process, through every
middleware) and its database time (the sum of its queries); baselines are the bare SQL that
fetches the same rows, and the Django admin changelist of the log entry model with the same
filter. Targets (bench/README.md): database time at most 3x the bare SQL; server time at
least 5x faster than the admin on the unfiltered first page and on page 500, and faster in
every case; from 100k to 1M entries the server time grows by at most 1.5x.
"""

import datetime
import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from . import generate
from .common import measure, record

PAGE = 50
BARE_COLUMNS = """
    e.entry_no, e.date, e.time, e.description, e.subject, e.information_flow, e.evaluation, e.cost,
    e.duration, e.canceled, e.attempt_failed, e.delivery_status, e.attachment_id, e.document_number,
    c.number, c.name, co.name, t.description, g.description, s.code, s.name
"""
BARE_FROM = """
    FROM interactions_interactionlogentry e
    JOIN contacts_contact c ON c.id = e.contact_id
    LEFT JOIN contacts_contact co ON co.id = e.contact_company_id
    LEFT JOIN interactions_interactiontemplate t ON t.id = e.template_id
    LEFT JOIN interactions_interactiongroup g ON g.id = e.group_id
    LEFT JOIN contacts_salesperson s ON s.id = e.salesperson_id
"""


def _users():
    User = get_user_model()
    manager, _created = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="Sales manager"))
    admin, _created = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return manager, admin


def _bare(where: str, params: list, *, offset: int = 0, limit: int | None = PAGE):
    sql = f"SELECT {BARE_COLUMNS} {BARE_FROM} WHERE NOT e.postponed {where} ORDER BY e.date DESC, e.entry_no DESC"
    if limit:
        sql += f" LIMIT {limit} OFFSET {offset}"

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def cases() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, id FROM contacts_contact ORDER BY id LIMIT 1")
        heavy_number, heavy_id = cursor.fetchone()
        cursor.execute("SELECT id FROM interactions_interactiontemplate WHERE code = 'OUTGOING'")
        template_id = cursor.fetchone()[0]
    today = datetime.date.today()
    date_from, date_to = (
        (today - datetime.timedelta(days=90)).isoformat(),
        (today - datetime.timedelta(days=30)).isoformat(),
    )
    return [
        {
            "case": "first page, unfiltered",
            "page": "/interactions/log/",
            "admin": "/admin/interactions/interactionlogentry/",
            "bare": _bare("", []),
        },
        {
            "case": "heavy contact",
            "page": f"/interactions/log/?contact={heavy_number}",
            "admin": f"/admin/interactions/interactionlogentry/?contact__id__exact={heavy_id}",
            "bare": _bare("AND e.contact_id = %s", [heavy_id]),
        },
        {
            "case": "date range + template",
            "page": f"/interactions/log/?date_from={date_from}&date_to={date_to}&template={template_id}",
            "admin": f"/admin/interactions/interactionlogentry/?date__gte={date_from}&date__lte={date_to}"
            f"&template__id__exact={template_id}",
            "bare": _bare("AND e.date BETWEEN %s AND %s AND e.template_id = %s", [date_from, date_to, template_id]),
        },
        {
            "case": "page 500",
            "page": "/interactions/log/?page=500",
            "admin": "/admin/interactions/interactionlogentry/?p=499",
            "bare": _bare("", [], offset=499 * PAGE),
        },
        {
            "case": f"CSV export, contact with {_count('contact_id', heavy_id):,} rows",
            "page": f"/interactions/log/?contact={heavy_number}&export=csv",
            "admin": None,
            "bare": _bare("AND e.contact_id = %s", [heavy_id], limit=None),
        },
    ]


def _count(column: str, value) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM interactions_interactionlogentry WHERE {column} = %s", [value])
        return cursor.fetchone()[0]


def run(*, sizes: list[int], contacts: int, repeat: int) -> list[dict]:
    rows = []
    for size in sizes:
        generate.fill(contacts=contacts, entries=size)
        manager, admin = _users()
        page_client, admin_client = Client(), Client()
        page_client.force_login(manager)
        admin_client.force_login(admin)
        for case in cases():
            page = measure(functools.partial(page_client.get, case["page"]), repeat=repeat)
            bare = measure(case["bare"], repeat=repeat)
            admin_page = (
                measure(functools.partial(admin_client.get, case["admin"]), repeat=repeat) if case["admin"] else None
            )
            rows.append(
                {
                    "entries": f"{size:,}",
                    "case": case["case"],
                    "page ms": page["wall_ms"],
                    "page db ms": page["db_ms"],
                    "queries": page["queries"],
                    "bare SQL ms": bare["wall_ms"],
                    "db / bare": page["db_ms"] / bare["wall_ms"],
                    "admin ms": admin_page["wall_ms"] if admin_page else "n/a",
                    "admin / page": admin_page["wall_ms"] / page["wall_ms"] if admin_page else "n/a",
                }
            )
    return rows


def growth_notes(rows: list[dict], sizes: list[int]) -> list[str]:
    if len(sizes) < 2:
        return []
    small, large = f"{sizes[0]:,}", f"{sizes[-1]:,}"
    by_case = {}
    for row in rows:
        by_case.setdefault(row["case"].split(",")[0], {})[row["entries"]] = row["page ms"]
    notes = []
    for case, times in by_case.items():
        if small in times and large in times:
            notes.append(f"{case}: server time x{times[large] / times[small]:.2f} from {small} to {large} entries")
    return notes


def main(*, sizes: list[int], contacts: int, repeat: int) -> None:
    rows = run(sizes=sizes, contacts=contacts, repeat=repeat)
    record("log_page", rows, notes=growth_notes(rows, sizes))
