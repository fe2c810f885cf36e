"""Sales staff log a segment with "Deliver": the log dialog lists what lines lack, the
delivery page shows the e-mails queued (the task queue is down), its counts change by
themselves as they are delivered to a real SMTP server (aiosmtpd), and "Retry failed" sends
again only the one the server refused."""

import pytest
from playwright.sync_api import expect

from crm.contacts.models import Contact, CorrespondenceType
from interactions.models import (
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
    Segment,
    SegmentLine,
    WizardAction,
)
from interactions.tasks import deliver_segment_emails
from interactions.tests.conftest import broker_down  # noqa: F401 - a fixture
from interactions.tests.smtp_server import SmtpServer, use_smtp_server

from .helpers import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp_server(settings):
    with SmtpServer() as server:
        use_smtp_server(settings, server)
        yield server


def deliver_queued(logged: LoggedSegment) -> None:
    """What a worker does once the queue is back (the sweep queues them; run here)."""
    queued = list(
        InteractionLogEntry.objects.filter(logged_segment=logged, delivery_status="in_progress").values_list(
            "entry_no", flat=True
        )
    )
    deliver_segment_emails.apply(args=[queued]).get()


def test_log_and_deliver_a_segment_watch_the_delivery_page_and_retry_failed(page, smtp_server, broker_down):  # noqa: F811
    template = (
        InteractionTemplate.objects.filter(languages__isnull=False).first() or InteractionTemplate.objects.first()
    )
    template.wizard_action = WizardAction.MERGE
    template.language_default = "en"
    template.save()
    InteractionTemplateLanguage.objects.update_or_create(
        template=template, language="en", defaults={"merge_body": "Dear {contact.name}, see you in {contact.city}."}
    )
    people = list(Contact.objects.filter(type=Contact.Type.PERSON).exclude(email="").order_by("number")[:3])
    Contact.objects.filter(pk=people[2].pk).update(city="")
    smtp_server.reject_recipient(people[1].email, "550 5.2.2 Mailbox full")
    segment = Segment.objects.create(
        description="Spring news", template=template, salesperson_id=people[0].salesperson_id or None
    )
    if segment.salesperson_id is None:
        from crm.contacts.models import Salesperson

        segment.salesperson = Salesperson.objects.first()
        segment.save()
    for person in people:
        SegmentLine.objects.create(
            segment=segment, contact=person, template=template, language="en",
            correspondence_type=CorrespondenceType.EMAIL,
        )  # fmt: skip

    log_in(page, "sales")
    page.goto(f"/interactions/segments/{segment.number}/")
    page.locator("#log-segment").get_by_role("button", name="Log segment").click()
    # The dialog: the line whose contact has no city, before anything is logged.
    expect(page.locator("#line-remarks")).to_contain_text(people[2].name)
    expect(page.locator("#line-remarks")).to_contain_text("{contact.city}")
    page.get_by_label("Deliver").check()
    page.locator("#log-segment").get_by_role("button", name="Log segment").click()

    logged = LoggedSegment.objects.get(segment_number=segment.number)
    expect(page.get_by_role("heading", name=f"Delivery of logged segment {logged.pk}")).to_be_visible()
    expect(page.locator("[data-count=queued]")).to_contain_text("3")
    expect(page.get_by_role("alert").filter(has_text="task queue cannot be reached")).to_be_visible()

    deliver_queued(logged)  # the queue is back: the page updates by itself
    expect(page.locator("[data-count=sent]")).to_have_text("2")
    expect(page.locator("[data-count=failed]")).to_have_text("1")
    expect(page.locator("[data-count=queued]")).to_contain_text("0")
    assert smtp_server.received == 2

    page.reload()
    expect(page.locator("#undelivered")).to_contain_text("550 5.2.2 Mailbox full")
    smtp_server.rejected.clear()
    page.get_by_role("button", name="Retry failed").click()
    expect(page.locator("[data-count=queued]")).to_contain_text("1")
    deliver_queued(logged)
    expect(page.locator("[data-count=sent]")).to_have_text("3")
    expect(page.locator("[data-count=failed]")).to_have_text("0")
    assert smtp_server.received == 3 and smtp_server.duplicates == 0
