"""Printing a sales invoice with and without "Log interaction": time and queries.
Target: logging adds at most 3 queries and 10 ms."""

import statistics
import time
from decimal import Decimal

from django.db import connection

from . import generate
from .common import record, timed_queries


def _invoice():
    from crm.contacts.models import Contact
    from crm.documents.models import Customer
    from crm.documents.services import LineInput, create_document
    from crm.documents.types import DocumentKind
    from interactions.models import InteractionTemplate, InteractionTemplateSetup

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contacts_contact")
        if not cursor.fetchone()[0]:
            generate.master_data(contacts=1000)
    setup = InteractionTemplateSetup.load()
    setup.sales_invoice = InteractionTemplate.objects.get(code="S-INVOICE")
    setup.save()
    company = Contact.objects.filter(type=Contact.Type.COMPANY).order_by("id").first()
    customer, _created = Customer.objects.get_or_create(
        contact=company, defaults={"name": company.name, "salesperson_id": company.salesperson_id}
    )
    lines = [LineInput(f"Item {n}", Decimal(n), Decimal("19.90")) for n in range(1, 11)]
    return create_document(kind=DocumentKind.SALES_INVOICE, customer=customer, lines=lines, user=None)


def main(*, repeat: int) -> None:
    from crm.documents.services import print_document

    document = _invoice()
    timings = {False: [], True: []}
    queries = {False: 0, True: 0}
    for run in range(repeat + 2):
        for log in (False, True):  # alternate, so that drift hits both alike
            with timed_queries() as timer:
                started = time.perf_counter()
                result = print_document(document=document, user=None, log_interaction=log, preview=False, language="en")
                elapsed = time.perf_counter() - started
            if log:
                assert result.logged_entry_no, result.not_logged_reason
            if run >= 2:
                timings[log].append(elapsed * 1000)
                queries[log] = timer.queries
    without, with_logging = statistics.median(timings[False]), statistics.median(timings[True])
    record(
        "printing",
        [
            {
                "document": "sales invoice, 10 lines, PDF",
                "without logging ms": without,
                "with logging ms": with_logging,
                "difference ms": with_logging - without,
                "queries without": queries[False],
                "queries with": queries[True],
                "extra queries": queries[True] - queries[False],
            }
        ],
        notes=[f"medians of {repeat} prints each, alternating; the PDF is rendered (xhtml2pdf) in both"],
    )
