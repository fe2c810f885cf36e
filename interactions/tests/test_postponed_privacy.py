"""Another user's postponed interaction is private by every path: its page, its comments,
the log's actions (evaluate, cancel, restore), its attachment, an e-mail answering it, the
exports, the contact card. Sales staff are refused (403, as for resuming or deleting it);
its user and sales managers read and act on it as before (the owner rule of
interactions/permissions.py)."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from interactions.models import Attachment, InteractionComment, InteractionLogEntry
from interactions.services import log_entries
from interactions.services.communication import emails
from interactions.tests.export_support import xlsx_export

from .factories import (
    InteractionCommentFactory,
    InteractionLogEntryFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ACTIONS = reverse("interactions:log-actions")
LOG = reverse("interactions:log")
SECRET = "Draft offer: 12 % discount if they sign by Friday"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def attachment(name: str) -> Attachment:
    return Attachment.objects.create(file=ContentFile(b"%PDF-1.4 draft", name=name), file_name=name)


@pytest.fixture
def owner():
    return UserFactory(username="owner", groups=["Sales staff"])


@pytest.fixture
def draft(owner):
    """The owner's postponed interaction, with a comment and an attachment of its own."""
    entry = InteractionLogEntryFactory(
        postponed=True,
        user=owner,
        contact=PersonFactory(name="Anna Smith", email="anna@example.com"),
        description=SECRET[:40],
        subject="Spring order",
        attachment=attachment("draft-offer.pdf"),
    )
    InteractionCommentFactory(entry=entry, text=SECRET)
    return entry


def entry_url(entry) -> str:
    return reverse("interactions:entry-detail", args=[entry.entry_no])


def evaluation_of(entry) -> str:
    return InteractionLogEntry.objects.get(pk=entry.pk).evaluation


# --- The entry's page and its comments -----------------------------------------------------


def test_sales_staff_cannot_open_another_users_postponed_entry(sales_client, draft):
    response = sales_client.get(entry_url(draft))
    assert response.status_code == 403
    assert SECRET not in response.content.decode()


def test_its_user_and_a_sales_manager_open_it(owner, manager_user, draft):
    for user in (owner, manager_user):
        response = logged_in(user).get(entry_url(draft))
        assert response.status_code == 200
        assert SECRET in response.content.decode()


def test_an_entry_in_the_log_stays_readable_by_everyone(sales_client, owner):
    entry = InteractionLogEntryFactory(user=owner)
    assert sales_client.get(entry_url(entry)).status_code == 200


def test_sales_staff_cannot_comment_on_another_users_postponed_entry(sales_client, draft):
    response = sales_client.post(entry_url(draft), {"text": "Seen it", "date": "2026-05-01"})
    assert response.status_code == 403
    assert list(InteractionComment.objects.filter(entry=draft).values_list("text", flat=True)) == [SECRET]


def test_its_user_and_a_sales_manager_comment_on_it(owner, manager_user, draft):
    for user in (owner, manager_user):
        response = logged_in(user).post(entry_url(draft), {"text": f"Noted by {user.username}", "date": "2026-05-01"})
        assert response.status_code == 302
    assert InteractionComment.objects.filter(entry=draft).count() == 3


def test_the_comment_service_refuses_another_users_postponed_entry(sales_user, draft):
    with pytest.raises(PermissionDenied):
        log_entries.add_comment(entry=draft, text="Seen it", user=sales_user)
    assert InteractionComment.objects.filter(entry=draft).count() == 1


# --- The log's actions ------------------------------------------------------------------


def test_sales_staff_cannot_evaluate_another_users_postponed_entry(sales_client, draft):
    other = InteractionLogEntryFactory()
    response = sales_client.post(
        ACTIONS, {"action": "evaluate", "evaluation": "negative", "entry": [draft.pk, other.pk]}
    )
    assert response.status_code == 403
    assert evaluation_of(draft) == ""
    assert evaluation_of(other) == ""  # nothing of the selection is done


def test_its_user_and_a_sales_manager_evaluate_it(owner, manager_user, draft):
    logged_in(owner).post(ACTIONS, {"action": "evaluate", "evaluation": "positive", "entry": [draft.pk]})
    assert evaluation_of(draft) == "positive"
    logged_in(manager_user).post(ACTIONS, {"action": "evaluate", "evaluation": "negative", "entry": [draft.pk]})
    assert evaluation_of(draft) == "negative"


def test_the_evaluate_service_refuses_another_users_postponed_entry(sales_user, draft):
    with pytest.raises(PermissionDenied):
        log_entries.evaluate_entries(entry_numbers=[draft.pk], evaluation="negative", user=sales_user)
    assert evaluation_of(draft) == ""


@pytest.mark.parametrize("action", ["cancel", "restore"])
@pytest.mark.parametrize("confirmed", [False, True], ids=["asking", "confirmed"])
def test_a_canceler_who_may_not_act_on_others_is_refused_another_users_postponed_entry(draft, action, confirmed):
    canceler = UserFactory(username="canceler")
    canceler.user_permissions.set(
        Permission.objects.filter(codename__in=["view_interactionlogentry", "cancel_interactionlogentry"])
    )
    data = {"action": action, "entry": [draft.pk]} | ({"confirmed": "on"} if confirmed else {})
    response = logged_in(canceler).post(ACTIONS, data)
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        getattr(log_entries, f"{action}_entries")(entry_numbers=[draft.pk], user=canceler)


# --- Its attachment, an e-mail answering it ---------------------------------------------


def test_sales_staff_cannot_download_the_attachment_of_another_users_postponed_entry(sales_client, draft):
    response = sales_client.get(reverse("interactions:attachment-download", args=[draft.attachment_id]))
    assert response.status_code == 403


def test_its_user_and_a_sales_manager_download_its_attachment(owner, manager_user, draft):
    url = reverse("interactions:attachment-download", args=[draft.attachment_id])
    for user in (owner, manager_user):
        response = logged_in(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 draft"


def test_an_attachment_that_a_template_or_a_logged_entry_also_uses_stays_readable(sales_client, owner):
    of_template, of_log = attachment("price-list.pdf"), attachment("letter.pdf")
    InteractionTemplateLanguageFactory(attachment=of_template)
    InteractionLogEntryFactory(attachment=of_log)
    for shared in (of_template, of_log):
        InteractionLogEntryFactory(postponed=True, user=owner, attachment=shared)
        assert sales_client.get(reverse("interactions:attachment-download", args=[shared.pk])).status_code == 200


def test_sales_staff_cannot_answer_another_users_postponed_entry_by_email(sales_client, sales_user, draft):
    url = reverse("interactions:email-new") + f"?entry={draft.pk}"
    response = sales_client.get(url)
    assert response.status_code == 403
    assert "draft-offer.pdf" not in response.content.decode()
    response = sales_client.post(url, {"address": "me@example.com", "subject": "Fwd", "body": "See attached",
                                       "attach_entry_attachment": "on"})  # fmt: skip
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        emails.send_email(contact=draft.contact, subject="Fwd", body="See attached", attachments=[],
                          user=sales_user, reply_to_entry=draft)  # fmt: skip
    assert InteractionLogEntry.objects.count() == 1


# --- Lists that leave postponed entries out (every user's, the owner's too) ---------------


def test_the_log_and_its_exports_leave_postponed_entries_out(sales_client, draft, tasks_in_process):
    logged = InteractionLogEntryFactory(contact=draft.contact, description="Logged call")
    page = sales_client.get(LOG, {"contact": draft.contact.number}).content.decode()
    assert "Logged call" in page and SECRET[:40] not in page
    body = b"".join(sales_client.get(LOG, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert [int(row[0]) for row in list(csv.reader(io.StringIO(body)))[1:]] == [logged.pk]

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx_export(sales_client)))
    assert [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)] == [logged.pk]


def test_the_contact_card_leaves_postponed_entries_out(sales_client, draft):
    InteractionLogEntryFactory(contact=draft.contact, description="Logged call")
    page = sales_client.get(reverse("contacts:detail", args=[draft.contact.number])).content.decode()
    assert "Logged call" in page
    assert SECRET[:40] not in page
    assert f'data-entry="{draft.pk}"' not in page
