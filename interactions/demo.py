"""Demo data of the interactions module: the groups and templates of a NAV demo company,
the template setup, and two years of interaction log entries. Idempotent."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm import demo
from crm.contacts.demo import ContactsDemo
from crm.contacts.models import Contact, CorrespondenceType
from crm.documents.types import DocumentType

from .models import (
    DeliveryStatus,
    Evaluation,
    InformationFlow,
    InitiatedBy,
    InteractionComment,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    LoggedSegment,
    Segment,
    SegmentLine,
    WizardAction,
)

GROUPS = [
    ("LETTER", "Letters"),
    ("MEETING", "Meetings"),
    ("PHONE", "Telephone calls"),
    ("EMAIL", "E-mails"),
    ("SALES", "Sales documents"),
    ("PURCHASES", "Purchase documents"),
    ("SERVICE", "Service documents"),
]

OUT, IN = InformationFlow.OUTBOUND, InformationFlow.INBOUND
US, THEM = InitiatedBy.US, InitiatedBy.THEM
HARD, MAIL = CorrespondenceType.HARD_COPY, CorrespondenceType.EMAIL

# code, group, description, cost, minutes, flow, initiated by, correspondence type, wizard action, weight
TEMPLATES = [
    ("BUS", "LETTER", "Business letter", "2.50", 10, OUT, US, HARD, WizardAction.MERGE, 6),
    ("INTRO", "LETTER", "Introduction letter", "2.50", 10, OUT, US, HARD, WizardAction.MERGE, 4),
    ("ABSTRACT", "LETTER", "Abstract of meeting", "1.00", 15, OUT, US, MAIL, WizardAction.IMPORT, 3),
    ("INLETTER", "LETTER", "Incoming letter", "0.00", 5, IN, THEM, HARD, WizardAction.IMPORT, 3),
    ("COVERSH", "LETTER", "Cover sheet", "0.50", 2, OUT, US, HARD, "", 0),
    ("EMAIL", "EMAIL", "E-mail", "0.00", 5, OUT, US, MAIL, "", 14),
    ("EMAIL-IN", "EMAIL", "Incoming e-mail", "0.00", 5, IN, THEM, MAIL, "", 10),
    ("OUTGOING", "PHONE", "Outgoing phone call", "1.20", 15, OUT, US, "", "", 16),
    ("INCOMING", "PHONE", "Incoming phone call", "0.00", 10, IN, THEM, "", "", 12),
    ("MEETINV", "MEETING", "Meeting invitation", "0.00", 5, OUT, US, MAIL, "", 3),
    ("MEETING", "MEETING", "Meeting at the customer", "45.00", 90, OUT, US, "", "", 5),
    ("PRESENT", "MEETING", "Product presentation", "120.00", 120, OUT, US, "", "", 2),
    ("GOLF", "MEETING", "Golf event", "250.00", 240, OUT, US, "", "", 1),
    ("S-QUOTE", "SALES", "Sales quote", "0.00", 0, OUT, US, HARD, "", 4),
    ("S-BLANKET", "SALES", "Sales blanket order", "0.00", 0, OUT, US, HARD, "", 1),
    ("S-ORDER", "SALES", "Order confirmation", "0.00", 0, OUT, US, HARD, "", 4),
    ("S-DRAFT", "SALES", "Draft sales invoice", "0.00", 0, OUT, US, HARD, "", 1),
    ("S-INVOICE", "SALES", "Sales invoice", "0.00", 0, OUT, US, HARD, "", 6),
    ("S-CR-MEMO", "SALES", "Sales credit memo", "0.00", 0, OUT, US, HARD, "", 1),
    ("S-SHIP", "SALES", "Shipment note", "0.00", 0, OUT, US, HARD, "", 2),
    ("S-STMT", "SALES", "Customer statement", "0.00", 0, OUT, US, HARD, "", 1),
    ("S-REMIND", "SALES", "Payment reminder", "0.00", 0, OUT, US, HARD, "", 1),
    ("S-FIN-CHG", "SALES", "Finance charge memo", "0.00", 0, OUT, US, HARD, "", 0),
    ("S-RET-ORD", "SALES", "Sales return order", "0.00", 0, OUT, US, HARD, "", 0),
    ("S-RET-RCPT", "SALES", "Sales return receipt", "0.00", 0, OUT, US, HARD, "", 0),
    ("P-QUOTE", "PURCHASES", "Purchase quote", "0.00", 0, OUT, US, HARD, "", 1),
    ("P-BLANKET", "PURCHASES", "Purchase blanket order", "0.00", 0, OUT, US, HARD, "", 0),
    ("P-ORDER", "PURCHASES", "Purchase order", "0.00", 0, OUT, US, HARD, "", 1),
    ("P-INVOICE", "PURCHASES", "Purchase invoice", "0.00", 0, OUT, US, HARD, "", 0),
    ("P-CR-MEMO", "PURCHASES", "Purchase credit memo", "0.00", 0, OUT, US, HARD, "", 0),
    ("P-RCPT", "PURCHASES", "Purchase receipt", "0.00", 0, OUT, US, HARD, "", 0),
    ("P-RET-SHIP", "PURCHASES", "Purchase return shipment", "0.00", 0, OUT, US, HARD, "", 0),
    ("P-RET-ORD", "PURCHASES", "Purchase return order", "0.00", 0, OUT, US, HARD, "", 0),
    ("SV-ORD-NEW", "SERVICE", "Service order created", "0.00", 0, OUT, US, HARD, "", 1),
    ("SV-ORD-PST", "SERVICE", "Service order posted", "0.00", 0, OUT, US, HARD, "", 0),
    ("SV-CONTR", "SERVICE", "Service contract", "0.00", 0, OUT, US, HARD, "", 0),
    ("SV-CON-QTE", "SERVICE", "Service contract quote", "0.00", 0, OUT, US, HARD, "", 0),
    ("SV-QUOTE", "SERVICE", "Service quote", "0.00", 0, OUT, US, HARD, "", 0),
]

SETUP = {
    "emails": "EMAIL",
    "email_drafts": "EMAIL",
    DocumentType.COVER_SHEET: "COVERSH",
    "outgoing_calls": "OUTGOING",
    "meeting_invitations": "MEETINV",
    DocumentType.SALES_QUOTE: "S-QUOTE",
    DocumentType.SALES_BLANKET_ORDER: "S-BLANKET",
    DocumentType.SALES_ORDER_CONFIRMATION: "S-ORDER",
    DocumentType.SALES_DRAFT_INVOICE: "S-DRAFT",
    DocumentType.SALES_INVOICE: "S-INVOICE",
    DocumentType.SALES_CREDIT_MEMO: "S-CR-MEMO",
    DocumentType.SALES_SHIPMENT_NOTE: "S-SHIP",
    DocumentType.SALES_STATEMENT: "S-STMT",
    DocumentType.SALES_REMINDER: "S-REMIND",
    DocumentType.SALES_FINANCE_CHARGE_MEMO: "S-FIN-CHG",
    DocumentType.SALES_RETURN_ORDER: "S-RET-ORD",
    DocumentType.SALES_RETURN_RECEIPT: "S-RET-RCPT",
    DocumentType.PURCHASE_QUOTE: "P-QUOTE",
    DocumentType.PURCHASE_BLANKET_ORDER: "P-BLANKET",
    DocumentType.PURCHASE_ORDER: "P-ORDER",
    DocumentType.PURCHASE_INVOICE: "P-INVOICE",
    DocumentType.PURCHASE_CREDIT_MEMO: "P-CR-MEMO",
    DocumentType.PURCHASE_RECEIPT: "P-RCPT",
    DocumentType.PURCHASE_RETURN_SHIPMENT: "P-RET-SHIP",
    DocumentType.PURCHASE_RETURN_ORDER_CONFIRMATION: "P-RET-ORD",
    DocumentType.SERVICE_ORDER_CREATED: "SV-ORD-NEW",
    DocumentType.SERVICE_ORDER_POSTED: "SV-ORD-PST",
    DocumentType.SERVICE_CONTRACT: "SV-CONTR",
    DocumentType.SERVICE_CONTRACT_QUOTE: "SV-CON-QTE",
    DocumentType.SERVICE_QUOTE: "SV-QUOTE",
}
DOCUMENT_TYPE_BY_TEMPLATE = {code: event for event, code in SETUP.items() if event in DocumentType.values}

MERGE_BODIES = {
    ("BUS", "en"): "Dear {contact.name},\n\nThank you for your interest in our products. "
    "I will gladly answer any questions you have.\n\nKind regards,\n{salesperson.name}\n{salesperson.email}",
    ("BUS", "ru"): "Уважаемый(ая) {contact.name}!\n\nБлагодарим вас за интерес к нашей продукции. "
    "С удовольствием отвечу на ваши вопросы.\n\nС уважением,\n{salesperson.name}\n{salesperson.email}",
    ("INTRO", "en"): "Dear {contact.name},\n\nLet me introduce myself: I am {salesperson.name}, "
    "your contact person for {contact.company_name}.\n\nBest regards,\n{salesperson.name}",
    ("INTRO", "ru"): "Уважаемый(ая) {contact.name}!\n\nРазрешите представиться: я {salesperson.name}, "
    "ваш менеджер по работе с {contact.company_name}.\n\nС уважением,\n{salesperson.name}",
}

SUBJECTS = {
    "PHONE": ["Delivery dates", "Price list question", "Follow-up on the quote", "Payment terms", "Service visit"],
    "EMAIL": ["Price list 2026", "Meeting agenda", "Order status", "Product catalogue", "Invoice copy"],
    "MEETING": ["Annual contract review", "New product line", "Project kick-off", "Partnership"],
    "LETTER": ["Thank you", "Introduction", "Contract renewal", "Season greetings"],
}
COMMENTS = [
    "Asked to call back next week.",
    "Very interested in the new product line.",
    "Перезвонить после праздников.",
    "Клиент просит скидку 5% при оплате вперёд.",
    "Sent the price list as agreed.",
    "Decision maker is on holiday until the 15th.",
]


# `load_demo --language ru`: the descriptions in Russian (the codes stay, as in NAV).
RUSSIAN = {
    # groups
    "Letters": "Письма",
    "Meetings": "Встречи",
    "Telephone calls": "Телефонные звонки",
    "E-mails": "Эл. почта",
    "Sales documents": "Документы продаж",
    "Purchase documents": "Документы закупок",
    "Service documents": "Сервисные документы",
    # templates
    "Business letter": "Деловое письмо",
    "Introduction letter": "Письмо-знакомство",
    "Abstract of meeting": "Протокол встречи",
    "Incoming letter": "Входящее письмо",
    "Cover sheet": "Сопроводительный лист",
    "E-mail": "Эл. письмо",
    "Incoming e-mail": "Входящее эл. письмо",
    "Outgoing phone call": "Исходящий звонок",
    "Incoming phone call": "Входящий звонок",
    "Meeting invitation": "Приглашение на встречу",
    "Meeting at the customer": "Встреча у клиента",
    "Product presentation": "Презентация продукции",
    "Golf event": "Турнир по гольфу",
    "Sales quote": "Предложение продажи",
    "Sales blanket order": "Рамочный заказ продажи",
    "Order confirmation": "Подтверждение заказа",
    "Draft sales invoice": "Черновик счета продажи",
    "Sales invoice": "Счет продажи",
    "Sales credit memo": "Кредит-нота продажи",
    "Shipment note": "Накладная на отгрузку",
    "Customer statement": "Акт сверки с клиентом",
    "Payment reminder": "Напоминание об оплате",
    "Finance charge memo": "Уведомление о пенях",
    "Sales return order": "Заказ на возврат продажи",
    "Sales return receipt": "Поступление возврата продажи",
    "Purchase quote": "Запрос предложения поставщику",
    "Purchase blanket order": "Рамочный заказ покупки",
    "Purchase order": "Заказ покупки",
    "Purchase invoice": "Счет покупки",
    "Purchase credit memo": "Кредит-нота покупки",
    "Purchase receipt": "Поступление покупки",
    "Purchase return shipment": "Отгрузка возврата покупки",
    "Purchase return order": "Заказ на возврат покупки",
    "Service order created": "Сервисный заказ создан",
    "Service order posted": "Сервисный заказ учтен",
    "Service contract": "Сервисный договор",
    "Service contract quote": "Предложение сервисного договора",
    "Service quote": "Сервисное предложение",
    # segments
    "Invitation to the spring trade fair": "Приглашение на весеннюю выставку",
    "New product line: introduction letter": "Новая линейка продукции: письмо-знакомство",
    "Price list 2026 by e-mail": "Прайс-лист 2026 по эл. почте",
    "Customers in Moscow: autumn visit": "Клиенты в Москве: осенний визит",
    # subjects
    "Delivery dates": "Сроки поставки",
    "Price list question": "Вопрос по прайс-листу",
    "Follow-up on the quote": "По предложению",
    "Payment terms": "Условия оплаты",
    "Service visit": "Сервисный визит",
    "Price list 2026": "Прайс-лист 2026",
    "Meeting agenda": "Повестка встречи",
    "Order status": "Статус заказа",
    "Product catalogue": "Каталог продукции",
    "Invoice copy": "Копия счета",
    "Annual contract review": "Ежегодный пересмотр договора",
    "New product line": "Новая линейка продукции",
    "Project kick-off": "Старт проекта",
    "Partnership": "Партнерство",
    "Thank you": "Благодарность",
    "Introduction": "Знакомство",
    "Contract renewal": "Продление договора",
    "Season greetings": "Поздравление с праздниками",
}


def in_language(text: str, language: str) -> str:
    """`text` of the demo data in `language` ("en" or "ru"): the Russian of RUSSIAN, else as it is."""
    return RUSSIAN.get(text, text) if language == "ru" else text


def load_templates_demo(*, language: str = "en") -> dict[str, InteractionTemplate]:
    groups = {
        code: InteractionGroup.objects.update_or_create(
            code=code, defaults={"description": in_language(description, language)}
        )[0]
        for code, description in GROUPS
    }
    templates = {}
    for code, group, description, cost, minutes, flow, initiated, correspondence, wizard, _weight in TEMPLATES:
        has_languages = any(key[0] == code for key in MERGE_BODIES)
        templates[code], _created = InteractionTemplate.objects.update_or_create(
            code=code,
            defaults={
                "group": groups[group],
                "description": in_language(description, language),
                "unit_cost": Decimal(cost),
                "unit_duration": minutes,
                "information_flow": flow,
                "initiated_by": initiated,
                "correspondence_type": correspondence,
                "wizard_action": wizard,
                "language_default": "en" if has_languages else "",
            },
        )
    for (code, language), body in MERGE_BODIES.items():
        InteractionTemplateLanguage.objects.update_or_create(
            template=templates[code],
            language=language,
            defaults={"description": templates[code].description, "merge_body": body},
        )
    setup = InteractionTemplateSetup.load()
    for event, code in SETUP.items():
        setattr(setup, str(event), templates[code])
    setup.full_clean()
    setup.save()
    return templates


def _contact_via(template: InteractionTemplate, contact: Contact) -> str:
    if template.group.code == "PHONE":
        return contact.mobile or contact.phone
    if template.correspondence_type == CorrespondenceType.EMAIL:
        return contact.email
    if template.correspondence_type == CorrespondenceType.HARD_COPY:
        return ", ".join(part for part in [contact.address, contact.post_code, contact.city] if part)
    return ""


@transaction.atomic
def load_interactions_demo(
    *,
    rng: random.Random,
    contacts: ContactsDemo,
    users_by_salesperson: dict,
    entry_count: int = 3000,
    language: str = "en",
) -> int:
    """Create the demo log, once: returns the number of entries created (0 when present).
    The groups', templates' and segments' descriptions and the subjects are in `language`
    (the templates' and groups' are brought to it on every run)."""
    templates = load_templates_demo(language=language)
    demo_contacts = contacts.companies + contacts.persons
    if InteractionLogEntry.objects.filter(contact__in=demo_contacts).exists():
        return 0

    today = timezone.localdate()
    weighted = [templates[row[0]] for row in TEMPLATES for _ in range(row[-1])]
    # Skewed: a few contacts have long histories, as in real life.
    contact_weights = [rng.paretovariate(1.2) for _ in demo_contacts]
    evaluations = [e for e in Evaluation.values] + [""] * 6
    entries = []
    for _number in range(entry_count):
        contact = rng.choices(demo_contacts, weights=contact_weights)[0]
        template = rng.choice(weighted)
        salesperson = contact.salesperson or rng.choice(contacts.salespeople)
        day = today - datetime.timedelta(days=int(rng.triangular(0, 730, 0)))
        is_call = template.group.code == "PHONE"
        document_type = DOCUMENT_TYPE_BY_TEMPLATE.get(template.code, "")
        entries.append(
            InteractionLogEntry(
                contact=contact,
                contact_company_id=contact.company_or_self_id,
                date=day,
                time=datetime.time(rng.randint(8, 18), rng.choice([0, 10, 15, 20, 30, 40, 45, 50])),
                description=template.description,
                subject=in_language(rng.choice(SUBJECTS.get(template.group.code, [""])), language),
                information_flow=template.information_flow,
                initiated_by=template.initiated_by,
                template=template,
                group=template.group,
                language=contact.language,
                cost=template.unit_cost,
                duration=template.unit_duration + (rng.randint(-5, 20) if is_call else 0),
                user=users_by_salesperson.get(salesperson.code),
                salesperson=salesperson,
                evaluation=rng.choice(evaluations),
                attempt_failed=is_call and rng.random() < 0.08,
                delivery_status=DeliveryStatus.ERROR if template.code == "EMAIL" and rng.random() < 0.03 else "",
                canceled=rng.random() < 0.04,
                correspondence_type=template.correspondence_type or contact.correspondence_type,
                contact_via=_contact_via(template, contact),
                document_type=document_type,
                document_number=f"{template.code[:5]}-{rng.randint(100000, 109999)}" if document_type else "",
                document_occurrence=1 if document_type else 0,
                created_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0))),
            )
        )
    for entry in entries:
        if entry.delivery_status == DeliveryStatus.ERROR:
            entry.delivery_error = "550 5.1.1 Mailbox unavailable"
        if entry.duration < 0:
            entry.duration = 0
        if entry.canceled:
            entry.canceled_changed_at = timezone.now()
    # A few interactions saved with "finish later".
    for entry in rng.sample(entries, min(12, len(entries))):
        entry.postponed = True
        entry.canceled = False
        entry.date = today - datetime.timedelta(days=rng.randint(0, 10))
    created = InteractionLogEntry.objects.bulk_create(entries, batch_size=1000)

    comments = [
        InteractionComment(entry=entry, date=entry.date, text=rng.choice(COMMENTS))
        for entry in rng.sample(created, len(created) // 10)
    ]
    InteractionComment.objects.bulk_create(comments, batch_size=1000)
    created_count = len(created) + _load_segments_demo(
        rng=rng, contacts=contacts, templates=templates, today=today, language=language
    )
    return created_count + _load_communication_demo(
        rng=rng, contacts=contacts, users_by_salesperson=users_by_salesperson, today=today
    )


def _load_segments_demo(*, rng, contacts: ContactsDemo, templates, today, language: str = "en") -> int:
    """Three logged segments (one of them canceled) and one segment still being built."""
    created = 0
    plans = [
        ("Invitation to the spring trade fair", "MEETINV", contacts.campaigns[0], 120, False),
        ("New product line: introduction letter", "INTRO", contacts.campaigns[2], 40, False),
        ("Price list 2026 by e-mail", "EMAIL", None, 200, True),
    ]
    for english, code, campaign, days_ago, canceled in plans:
        description = in_language(english, language)
        template = templates[code]
        segment = Segment.objects.create(
            description=description,
            salesperson=contacts.salespeople[0],
            date=today - datetime.timedelta(days=days_ago),
            template=template,
            campaign=campaign,
            campaign_target=campaign is not None,
            unit_cost=template.unit_cost,
            unit_duration=template.unit_duration,
            information_flow=template.information_flow,
            initiated_by=template.initiated_by,
        )
        logged = LoggedSegment.objects.create(
            segment_number=segment.number,
            description=description,
            created_at=timezone.make_aware(datetime.datetime.combine(segment.date, datetime.time(9, 0))),
            canceled=canceled,
        )
        members = [p for p in contacts.persons if not p.company.exclude_from_segments]
        members = rng.sample(members, min(25, len(members)))
        entries = [
            InteractionLogEntry(
                contact=person,
                contact_company_id=person.company_id,
                date=segment.date,
                time=datetime.time(9, 0),
                description=description,
                information_flow=template.information_flow,
                initiated_by=template.initiated_by,
                template=template,
                group=template.group,
                language=person.language,
                cost=template.unit_cost,
                duration=template.unit_duration,
                salesperson=segment.salesperson,
                campaign=campaign,
                campaign_target=campaign is not None,
                segment_number=segment.number,
                logged_segment=logged,
                canceled=canceled,
                correspondence_type=template.correspondence_type,
                contact_via=_contact_via(template, person),
            )
            for person in members
        ]
        created += len(InteractionLogEntry.objects.bulk_create(entries))

    draft = Segment.objects.create(
        description=in_language("Customers in Moscow: autumn visit", language),
        salesperson=contacts.salespeople[1],
        template=templates["MEETING"],
        unit_cost=templates["MEETING"].unit_cost,
        unit_duration=templates["MEETING"].unit_duration,
        information_flow=OUT,
        initiated_by=US,
    )
    moscow = [p for p in contacts.persons if p.city == "Москва"]
    SegmentLine.objects.bulk_create(
        SegmentLine(
            segment=draft,
            contact=person,
            contact_company_id=person.company_id,
            template=draft.template,
            language=person.language,
            cost=draft.unit_cost,
            duration=draft.unit_duration,
            information_flow=OUT,
            initiated_by=US,
        )
        for person in moscow
    )
    return created


# E-mails as the e-mail service records them (the message kept as an .eml, contact via the
# address), some of them not delivered; calls with the number dialled; meeting invitations
# with their .ics. Built with the services' own building blocks, but not sent: demo history.
DEMO_DELIVERY_ERRORS = [
    "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table",
    "[Errno 111] Connection refused",
    "452 4.2.2 Mailbox full",
]
DEMO_EMAILS = [
    ("Price list 2026", "Dear {name},\n\nplease find our price list for 2026 attached.\n\nKind regards"),
    ("Order status", "Dear {name},\n\nyour order has been shipped today.\n\nKind regards"),
    ("Meeting agenda", "Dear {name},\n\nhere is the agenda of our meeting.\n\nKind regards"),
]


def _load_communication_demo(*, rng: random.Random, contacts: ContactsDemo, users_by_salesperson: dict, today) -> int:
    from .services.communication.automatic_entries import automatic_entry
    from .services.communication.emails import (
        OutgoingFile,
        compose_email,
        message_bytes,
        recipient,
        salesperson_reply_to,
        store_message,
    )
    from .services.communication.meetings import Meeting, meeting_calendar, organizer_address

    setup = InteractionTemplateSetup.load()
    email_template, call_template, meeting_template = setup.emails, setup.outgoing_calls, setup.meeting_invitations
    with_email = [person for person in contacts.persons if person.email]
    with_phone = [person for person in contacts.persons if person.mobile or person.phone]
    created = 0

    def dated(entry: InteractionLogEntry, days_ago: int) -> InteractionLogEntry:
        entry.date = today - datetime.timedelta(days=days_ago)
        entry.time = datetime.time(rng.randint(9, 17), rng.choice([0, 15, 30, 45]))
        entry.created_at = timezone.make_aware(datetime.datetime.combine(entry.date, entry.time))
        return entry

    def user_of(contact: Contact):
        return users_by_salesperson.get(contact.salesperson.code) if contact.salesperson_id else None

    for index, person in enumerate(rng.sample(with_email, min(24, len(with_email)))):
        subject, body = rng.choice(DEMO_EMAILS)
        salesperson = person.salesperson
        raw = message_bytes(
            compose_email(
                to=[recipient(name=person.name, address=person.email)],
                subject=subject,
                body=body.format(name=person.name),
                reply_to=salesperson_reply_to(salesperson),
            )
        )
        attachment = store_message(raw=raw, contact=person)
        failed = index % 8 == 0  # three of them did not reach the contact
        entry = automatic_entry(
            template=email_template,
            contact=person,
            user=user_of(person),
            correspondence_type=CorrespondenceType.EMAIL,
            contact_via=person.email,
            subject=subject,
            attachment=attachment,
            salesperson=salesperson,
            delivery_status=DeliveryStatus.ERROR if failed else DeliveryStatus.BLANK,
            delivery_error=DEMO_DELIVERY_ERRORS[index // 8 % len(DEMO_DELIVERY_ERRORS)].format(address=person.email)
            if failed
            else "",
        )
        dated(entry, rng.randint(0, 60)).save()
        created += 1

    for person in rng.sample(with_phone, min(30, len(with_phone))):
        answered = rng.random() > 0.2
        entry = automatic_entry(
            template=call_template,
            contact=person,
            user=user_of(person),
            correspondence_type="",
            contact_via=person.mobile or person.phone,
            subject=rng.choice(SUBJECTS["PHONE"]),
            salesperson=person.salesperson,
            duration=rng.randint(3, 25) if answered else 1,
            attempt_failed=not answered,
            evaluation=rng.choice(Evaluation.values) if answered else "",
        )
        dated(entry, rng.randint(0, 90)).save()
        created += 1

    companies = [company for company in contacts.companies if company.persons.exclude(email="").count() >= 2]
    for company in rng.sample(companies, min(4, len(companies))):
        attendees = list(company.persons.exclude(email="").order_by("number")[:3])
        salesperson = company.salesperson or contacts.salespeople[0]
        days_ago = rng.randint(1, 45)
        start = timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=days_ago - 7), datetime.time(10, 0))
        )
        meeting = Meeting(subject=rng.choice(SUBJECTS["MEETING"]), start=start, duration=90, place=company.city)
        ics = meeting_calendar(
            meeting=meeting, uid=f"demo-{company.number}@cronus-demo.example",
            organizer=organizer_address(salesperson), attendees=attendees,
        )  # fmt: skip
        for attendee in attendees:
            raw = message_bytes(
                compose_email(
                    to=[recipient(name=attendee.name, address=attendee.email)],
                    subject=meeting.subject,
                    body=meeting.subject,
                    files=[OutgoingFile(name="invitation.ics", content=ics, content_type="text/calendar")],
                    reply_to=salesperson_reply_to(salesperson),
                )
            )
            attachment = store_message(raw=raw, contact=attendee, prefix="meeting")
            entry = automatic_entry(
                template=meeting_template,
                contact=attendee,
                user=users_by_salesperson.get(salesperson.code),
                correspondence_type=CorrespondenceType.EMAIL,
                contact_via=attendee.email,
                subject=meeting.subject,
                attachment=attachment,
                salesperson=salesperson,
            )
            dated(entry, days_ago).save()
            created += 1
    return created


def _add_arguments(parser) -> None:
    parser.add_argument("--entries", type=int, default=3000, help="Number of interaction log entries to generate.")


def _check_options(options: dict) -> None:
    if options["entries"] < 0:
        raise ValueError("--entries cannot be negative.")


# Before the documents: printing with logging needs the template setup.
@demo.register(
    "interactions",
    after=["contacts"],
    before=["documents"],
    add_arguments=_add_arguments,
    check_options=_check_options,
)
def load_demo(context: demo.DemoContext) -> int:
    created = load_interactions_demo(
        rng=context.rng,
        contacts=context.results["contacts"],
        users_by_salesperson=context.users_by_salesperson,
        entry_count=context.options["entries"],
        language=context.options.get("language") or "en",
    )
    if created:
        # The demo writes the log in bulk, past the services: count it once, from the log.
        from .services import summaries

        summaries.rebuild()
    context.report(f"{created} interaction log entries created{'' if created else ' (already present)'}")
    return created
