"""Demo documents: customers and vendors for the demo companies, a year of sales, purchase
and service documents, and some of them printed with "Log interaction" through the print
service, so that whoever records prints (the interactions module) logs them. Idempotent:
once documents exist, nothing more is created or printed.

Registered as the demo data "documents" (crm/demo.py), after "contacts". A module that
records prints registers its own demo data before "documents": its setup decides what
printing records. Without such a module the prints are made and nothing is logged.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm import demo
from crm.contacts.demo import ContactsDemo
from crm.contacts.models import Contact

from .models import Customer, Document, Vendor
from .permissions import PRINT_PERMISSION
from .selectors import documents_for_printing
from .services import LineInput, create_document, delete_document, print_document
from .types import KIND_INFO, PURCHASE_KINDS, DocumentKind

K = DocumentKind
# How many documents of each kind: invoices, orders and quotes above all, as in real life.
KIND_COUNTS = {
    K.SALES_QUOTE: 16, K.SALES_BLANKET_ORDER: 3, K.SALES_ORDER: 16, K.SALES_DRAFT_INVOICE: 4,
    K.SALES_INVOICE: 26, K.SALES_CREDIT_MEMO: 4, K.SALES_SHIPMENT: 10, K.SALES_STATEMENT: 3,
    K.SALES_REMINDER: 4, K.SALES_FINANCE_CHARGE_MEMO: 2, K.SALES_RETURN_ORDER: 2, K.SALES_RETURN_RECEIPT: 2,
    K.PURCHASE_QUOTE: 4, K.PURCHASE_BLANKET_ORDER: 2, K.PURCHASE_ORDER: 10, K.PURCHASE_INVOICE: 8,
    K.PURCHASE_CREDIT_MEMO: 2, K.PURCHASE_RECEIPT: 6, K.PURCHASE_RETURN_SHIPMENT: 1, K.PURCHASE_RETURN_ORDER: 1,
    K.SERVICE_ORDER: 6, K.SERVICE_CONTRACT: 3, K.SERVICE_CONTRACT_QUOTE: 2, K.SERVICE_QUOTE: 3,
}  # fmt: skip
# (English, Russian, unit price)
ITEMS = [
    ("ATHENS Desk", "Стол письменный ATHENS", "649.40"),
    ("ATHENS Mobile Pedestal", "Тумба мобильная ATHENS", "281.40"),
    ("PARIS Guest Chair, black", "Стул для посетителей PARIS, чёрный", "125.10"),
    ("LONDON Swivel Chair, blue", "Кресло вращающееся LONDON, синее", "123.30"),
    ("ANTWERP Conference Table", "Стол для переговоров ANTWERP", "420.40"),
    ("AMSTERDAM Lamp", "Светильник AMSTERDAM", "35.60"),
    ("BERLIN Guest Chair, yellow", "Стул для посетителей BERLIN, жёлтый", "125.10"),
    ("ROME Guest Chair, green", "Стул для посетителей ROME, зелёный", "125.10"),
    ("SYDNEY Swivel Chair, green", "Кресло вращающееся SYDNEY, зелёное", "123.30"),
    ("ATLANTA Whiteboard, base", "Доска маркерная ATLANTA", "1397.30"),
    ("GUILDFORD Bookcase", "Стеллаж GUILDFORD", "312.00"),
]
PURCHASED = [
    ("Office chair frames", "Каркасы офисных кресел", "48.20"),
    ("Upholstery fabric, 50 m roll", "Ткань обивочная, рулон 50 м", "410.00"),
    ("Desk tops, oak veneer", "Столешницы, шпон дуба", "96.50"),
    ("Gas lift cylinders", "Газлифты", "12.80"),
    ("Packaging cartons", "Упаковочные коробки", "1.90"),
]
SERVICES = [
    ("Assembly and installation", "Сборка и монтаж", "85.00"),
    ("Annual maintenance visit", "Ежегодное техническое обслуживание", "240.00"),
    ("Swivel mechanism repair", "Ремонт механизма качания", "65.00"),
    ("Service hour", "Час работы сервисного инженера", "55.00"),
]
DESCRIPTIONS = {
    "en": ["New branch office", "Replacement chairs", "Meeting room refit", "Spring order", "Reception area", ""],
    "ru": ["Новый офис", "Замена кресел", "Переговорная комната", "Весенний заказ", "Зона ресепшн", ""],
}
CUSTOMERS_WITHOUT_CONTACT = [
    ("Walk-in customer", "London", "GB"),
    ("Розничный покупатель", "Москва", "RU"),
]
VENDOR_COUNT = 6
PRINTED_KINDS = [
    K.SALES_INVOICE, K.SALES_INVOICE, K.SALES_INVOICE, K.SALES_ORDER, K.SALES_ORDER, K.SALES_QUOTE, K.SALES_QUOTE,
    K.SALES_SHIPMENT, K.SALES_REMINDER, K.PURCHASE_ORDER, K.PURCHASE_ORDER, K.SERVICE_ORDER, K.SERVICE_QUOTE,
]  # fmt: skip


@dataclass
class DocumentsDemo:
    customers: list[Customer] = field(default_factory=list)
    vendors: list[Vendor] = field(default_factory=list)
    documents_created: int = 0
    prints: int = 0
    prints_logged: int = 0


def _partner_fields(contact: Contact) -> dict:
    return {
        "name": contact.name,
        "salesperson": contact.salesperson,
        "address": contact.address,
        "post_code": contact.post_code,
        "city": contact.city,
        "country": contact.country,
    }


def _partners(contacts: ContactsDemo) -> tuple[list[Customer], list[Vendor]]:
    customers = [
        Customer.objects.get_or_create(contact=company, defaults=_partner_fields(company))[0]
        for company in contacts.companies
    ]
    for name, city, country in CUSTOMERS_WITHOUT_CONTACT:
        customers.append(
            Customer.objects.get_or_create(
                name=name,
                contact=None,
                defaults={"city": city, "country": country, "salesperson": contacts.salespeople[0]},
            )[0]
        )
    # Every fifth company also supplies us, as companies do.
    vendors = [
        Vendor.objects.get_or_create(contact=company, defaults=_partner_fields(company))[0]
        for company in contacts.companies[2::5][:VENDOR_COUNT]
    ]
    return customers, vendors


def _language_of(partner: Customer | Vendor) -> str:
    if partner.contact is not None and partner.contact.language:
        return partner.contact.language
    return "ru" if partner.country == "RU" else "en"


def _invoice_line(invoice: Document, *, russian: bool) -> LineInput:
    if russian:
        text = f"Счёт {invoice.number} от {invoice.date:%d.%m.%Y}"
    else:
        text = f"Invoice {invoice.number} of {invoice.date:%d %b %Y}"
    return LineInput(description=text, quantity=Decimal(1), unit_price=invoice.amount)


def _lines(rng: random.Random, kind: str, language: str, invoices: list[Document]) -> list[LineInput]:
    russian = language == "ru"
    if kind in (K.SALES_STATEMENT, K.SALES_REMINDER):
        # The customer's invoices, as if overdue; a customer without any gets its balance.
        overdue = rng.sample(invoices, min(len(invoices), rng.randint(1, 3)))
        if overdue:
            return [_invoice_line(invoice, russian=russian) for invoice in overdue]
        text = "Сальдо на начало периода" if russian else "Opening balance"
        return [LineInput(description=text, quantity=Decimal(1), unit_price=Decimal("0.00"))]
    if kind == K.SALES_FINANCE_CHARGE_MEMO:
        base = Decimal(rng.randint(800, 9000))
        if russian:
            text = f"Пени 1,5% в месяц на просроченную сумму {base}"
        else:
            text = f"Interest of 1.5% a month on the overdue {base}"
        interest = (base * Decimal("0.015")).quantize(Decimal("0.01"))
        return [LineInput(description=text, quantity=Decimal(1), unit_price=interest)]
    if kind in PURCHASE_KINDS:
        catalogue = PURCHASED
    elif KIND_INFO[kind].area == "service":
        catalogue = SERVICES
    else:
        catalogue = ITEMS
    picked = rng.sample(catalogue, rng.randint(1, min(4, len(catalogue))))
    return [
        LineInput(
            description=russian_name if russian else english_name,
            quantity=Decimal(rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 20, 50])),
            unit_price=Decimal(price),
        )
        for english_name, russian_name, price in picked
    ]


def _print_user(document: Document, users_by_salesperson: dict):
    """The salesperson's login, when it may print (its group gives it the permission);
    else the demo loader prints as the system, and the entry has no user."""
    user = users_by_salesperson.get(document.salesperson.code) if document.salesperson else None
    return user if user is not None and user.has_perm(PRINT_PERMISSION) else None


def _print(document: Document, *, users_by_salesperson: dict, result: DocumentsDemo) -> None:
    document = documents_for_printing().get(pk=document.pk)
    printed = print_document(
        document=document,
        user=_print_user(document, users_by_salesperson),
        log_interaction=True,
        preview=False,
        language="ru" if _language_of(document.partner) == "ru" else "en",
    )
    result.prints += 1
    result.prints_logged += printed.logged


@transaction.atomic
def load_documents_demo(
    *, rng: random.Random, contacts: ContactsDemo, users_by_salesperson: dict, document_count: int = 150
) -> DocumentsDemo:
    """Create the demo documents, once, and print some of them with "Log interaction".

    `document_count` scales the mix of KIND_COUNTS (about 150 documents by default)."""
    result = DocumentsDemo()
    result.customers, result.vendors = _partners(contacts)
    if Document.objects.exists():
        return result

    today = timezone.localdate()
    persons_by_company: dict[int, list[Contact]] = {}
    for person in contacts.persons:
        persons_by_company.setdefault(person.company_id, []).append(person)
    scale = document_count / sum(KIND_COUNTS.values())
    plan = [kind for kind, count in KIND_COUNTS.items() for _ in range(max(1, round(count * scale)))]
    dates = sorted(today - datetime.timedelta(days=rng.randint(0, 365)) for _ in plan)
    rng.shuffle(plan)
    created: list[Document] = []
    invoices_by_customer: dict[int, list[Document]] = {}
    for kind, date in zip(plan, dates, strict=True):
        purchase = kind in PURCHASE_KINDS
        partner = rng.choice(result.vendors if purchase else result.customers)
        contact = partner.contact
        language = _language_of(partner)
        persons = persons_by_company.get(contact.pk, []) if contact is not None else []
        document = create_document(
            kind=kind,
            customer=None if purchase else partner,
            vendor=partner if purchase else None,
            date=date,
            contact=rng.choice(persons) if persons and rng.random() < 0.6 else None,
            campaign=rng.choice(contacts.campaigns) if contacts.campaigns and rng.random() < 0.15 else None,
            description=rng.choice(DESCRIPTIONS["ru" if language == "ru" else "en"]),
            posted=kind == K.SERVICE_ORDER and rng.random() < 0.5,
            lines=_lines(rng, kind, language, invoices_by_customer.get(partner.pk, [])),
            user=None,
        )
        created.append(document)
        if kind == K.SALES_INVOICE:
            invoices_by_customer.setdefault(partner.pk, []).append(document)
    result.documents_created = len(created)

    # Prints with "Log interaction": the newest documents of the printed kinds, a quote
    # twice (two archived versions), and a document of a customer without contact (whose
    # print is not logged, and says why).
    newest_first = sorted(created, key=lambda d: (d.date, d.pk), reverse=True)
    to_print: list[Document] = []
    for kind in PRINTED_KINDS:
        candidate = next((d for d in newest_first if d.kind == kind and d not in to_print), None)
        if candidate is not None:
            to_print.append(candidate)
    quote = next((d for d in to_print if d.kind == K.SALES_QUOTE), None)
    if quote is not None:
        to_print.append(quote)
    without_contact = next(
        (d for d in newest_first if d.customer_id and d.customer.contact_id is None and d.contact_id is None), None
    )
    if without_contact is not None:
        to_print.append(without_contact)
    for document in to_print:
        _print(document, users_by_salesperson=users_by_salesperson, result=result)

    # A number used twice: a quote printed, then deleted, and its number given to a new
    # quote, which is occurrence 2 (the log entry of the first still says occurrence 1).
    old_quote = next((d for d in reversed(newest_first) if d.kind == K.SALES_QUOTE and d not in to_print), None)
    if old_quote is not None:
        _print(old_quote, users_by_salesperson=users_by_salesperson, result=result)
        number, customer = old_quote.number, old_quote.customer
        language = _language_of(customer)
        delete_document(document=old_quote, user=None)
        create_document(
            kind=K.SALES_QUOTE,
            number=number,
            customer=customer,
            date=today,
            description=rng.choice(DESCRIPTIONS["ru" if language == "ru" else "en"]),
            lines=_lines(rng, K.SALES_QUOTE, language, []),
            user=None,
        )
    return result


@demo.register("documents", after=["contacts"])
def load_demo(context: demo.DemoContext) -> DocumentsDemo:
    documents = load_documents_demo(
        rng=context.rng, contacts=context.results["contacts"], users_by_salesperson=context.users_by_salesperson
    )
    context.report(
        f"{documents.documents_created} documents, {documents.prints_logged} printed with an interaction logged"
    )
    return documents
