"""Objects that the security tests (URL walk, CSRF, escaping) share: one of everything a
page can be about, and a logged-in client per group."""

import dataclasses
import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from crm.contacts.tests.factories import (
    CampaignFactory,
    CompanyFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from crm.documents.services import archive_document
from crm.documents.tests.factories import CustomerFactory, DocumentFactory, grant_document_permissions_to_groups
from interactions.models import Attachment, InteractionTemplateLanguage, WebhookSubscription
from interactions.tests.factories import (
    InteractionCommentFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    SegmentFactory,
    SegmentLineFactory,
)

ROLES = ("anonymous", "sales", "manager", "admin")
GROUP_OF_ROLE = {"sales": "Sales staff", "manager": "Sales manager", "admin": "Administrator"}

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT}{IMG}"


def user_of(role: str):
    """The user of a role; the administrator reaches the Django admin (is_staff), as the
    demo's admin login does."""
    return UserFactory(username=f"{role}-user", groups=[GROUP_OF_ROLE[role]], is_staff=role == "admin")


def client_of(role: str, **client_options) -> Client:
    client = Client(**client_options)
    if role != "anonymous":
        client.force_login(user_of(role))
    return client


@dataclasses.dataclass
class World:
    company: object
    person: object
    salesperson: object
    group: object
    template: object
    attachment: object
    entry: object
    email_entry: object
    postponed: object
    segment: object
    line: object
    logged_segment: object
    document: object
    version: object
    campaign: object
    webhook: object
    # Another user's draft too, for the API's "resume" (the page's delete takes the first).
    other_postponed: object = None
    # Another user's e-mail draft (its message kept as an .eml).
    email_draft: object = None


def build_world(text: str = "") -> World:
    """One of every object a page shows. `text`, when given, goes into every user-entered
    field (names, descriptions, comments, file names) that can hold it."""
    grant_document_permissions_to_groups()
    label = text or "Plain"
    # Someone else's draft: the test's sales staff user is not its owner.
    owner = UserFactory(username="other-sales", groups=[GROUP_OF_ROLE["sales"]])
    salesperson = SalespersonFactory(code="SPX", name=f"Sam {label}")
    company = CompanyFactory(name=f"Acme {label}", salesperson=salesperson, city=f"Paris {label}"[:30])
    person = PersonFactory(name=f"Anna {label}", company=company)
    group = InteractionGroupFactory(code="GRPX", description=f"Group {label}")
    template = InteractionTemplateFactory(code="TPLX", group=group, description=f"Template {label}"[:50])
    attachment = Attachment.objects.create(
        file=SimpleUploadedFile("letter.pdf", b"%PDF-1.4 letter"),
        file_name=f"{label}.pdf"[:255],
        content_type="application/pdf",
        size=15,
    )
    InteractionTemplateLanguage.objects.create(
        template=template, language="en", description=f"Letter {label}"[:50], attachment=attachment
    )
    entry = InteractionLogEntryFactory(
        contact=person, template=template, description=f"Call {label}"[:100], subject=f"Re {label}"[:100],
        attachment=attachment,
    )  # fmt: skip
    InteractionCommentFactory(entry=entry, text=f"Comment {label}")
    email_entry = InteractionLogEntryFactory(contact=person, template=template, description="E-mail")
    postponed = InteractionLogEntryFactory(
        contact=person, template=template, postponed=True, user=owner, description=f"Draft {label}"[:100]
    )
    other_postponed = InteractionLogEntryFactory(
        contact=person, template=template, postponed=True, user=owner, description=f"Draft 2 {label}"[:100]
    )
    eml = f"To: {label} <anna@example.com>\r\nSubject: Draft {label}\r\n\r\nText {label}\r\n".encode()
    email_draft = InteractionLogEntryFactory(
        contact=person, template=template, user=owner, description=f"E-mail draft {label}"[:100],
        delivery_status="draft", attachment=Attachment.objects.create(
            file=SimpleUploadedFile("draft.eml", eml), file_name="draft.eml", content_type="message/rfc822",
            size=len(eml),
        ),
    )  # fmt: skip
    campaign = CampaignFactory(description=f"Campaign {label}"[:100], salesperson=salesperson)
    segment = SegmentFactory(
        description=f"Segment {label}"[:100], salesperson=salesperson, template=template, campaign=campaign
    )
    line = SegmentLineFactory(segment=segment, contact=person, contact_company=company)
    # Logged from a segment of its own: a logged segment's segment is read-only, and the
    # pages of the world's segment must stay editable.
    logged_from = SegmentFactory(description=f"Logged {label}"[:100], salesperson=salesperson, template=template)
    logged_segment = LoggedSegmentFactory(description=f"Logged {label}"[:100], segment_number=logged_from.number)
    InteractionLogEntryFactory(contact=person, template=template, logged_segment=logged_segment, campaign=campaign)
    customer = CustomerFactory(contact=company, name=f"Acme {label}"[:100])
    document = DocumentFactory(customer=customer, date=datetime.date(2026, 3, 10), description=f"Quote {label}"[:100])
    version = archive_document(document=document, user=None)
    # Disabled, and nothing listens at its address: a test event sent by a test fails at once.
    webhook = WebhookSubscription.objects.create(
        description=f"Hook {label}"[:100],
        url="http://127.0.0.1:9/hooks",
        events=["entry.created"],
        secret="whsec_x",
        active=False,
    )
    return World(
        company=company,
        person=person,
        salesperson=salesperson,
        group=group,
        template=template,
        attachment=attachment,
        entry=entry,
        email_entry=email_entry,
        postponed=postponed,
        segment=segment,
        line=line,
        logged_segment=logged_segment,
        document=document,
        version=version,
        campaign=campaign,
        webhook=webhook,
        other_postponed=other_postponed,
        email_draft=email_draft,
    )
