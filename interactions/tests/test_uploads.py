"""Uploaded files: limited in type and size wherever a file can be attached, with a clear
message and nothing saved; attachments are served as downloads, never rendered."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.contacts.models import CorrespondenceType
from interactions.models import Attachment, InteractionLogEntry, InteractionTemplate, WizardAction

from .factories import (
    InteractionGroupFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from .test_template_pages import language_rows, template_data

pytestmark = pytest.mark.django_db

LIMIT = 1000  # bytes, for the tests


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.INTERACTIONS_ATTACHMENT_MAX_SIZE = LIMIT


REFUSED_FILES = {
    "executable": (lambda: SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/x-msdownload"),
                   "Files of type .exe cannot be attached."),
    "html": (lambda: SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html"),
             "Files of type .html cannot be attached."),
    "html disguised by case": (lambda: SimpleUploadedFile("PAGE.HTM", b"<b>x</b>", content_type="text/html"),
                               "Files of type .htm cannot be attached."),
    "oversized": (lambda: SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (2 * LIMIT), content_type="application/pdf"),
                  "The file is too large"),
}  # fmt: skip


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def client_for(*groups) -> Client:
    client = Client()
    client.force_login(UserFactory(groups=list(groups)))
    return client


@pytest.mark.parametrize("kind", REFUSED_FILES)
def test_the_template_language_form_refuses_the_file_with_a_message_and_saves_nothing(kind):
    make_file, message = REFUSED_FILES[kind]
    data = template_data(InteractionGroupFactory())
    data.update(language_rows({"language": "en", "description": "Offer", "upload": make_file()}))

    response = client_for("Administrator").post(reverse("interactions:template-create"), data)

    assert response.status_code == 200
    assert message in text(response)
    assert not InteractionTemplate.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("kind", REFUSED_FILES)
def test_the_new_interaction_import_step_refuses_the_file_with_a_message_and_saves_nothing(kind):
    make_file, message = REFUSED_FILES[kind]
    user = UserFactory(groups=["Sales staff"])
    salesperson = SalespersonFactory(user=user)
    template = InteractionTemplateFactory(wizard_action=WizardAction.IMPORT)
    person = PersonFactory()
    client = Client()
    client.force_login(user)

    response = client.post(
        reverse("interactions:new"),
        {
            "action": "save", "contact": person.number, "template": template.pk, "salesperson": salesperson.pk,
            "date": "2026-03-02", "time": "09:30", "description": "Offer", "information_flow": "outbound",
            "initiated_by": "us", "language": "en", "correspondence_type": CorrespondenceType.EMAIL,
            "cost": "1", "duration": "1", "upload": make_file(),
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert message in text(response)
    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists()


def test_a_file_within_the_limits_is_accepted():
    data = template_data(InteractionGroupFactory())
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    data.update(language_rows({"language": "en", "description": "Offer", "upload": upload}))

    response = client_for("Administrator").post(reverse("interactions:template-create"), data)

    assert response.status_code == 302
    assert Attachment.objects.get().file_name == "offer.pdf"


def test_the_limit_defaults_to_ten_megabytes(settings):
    from interactions.services.attachments import attachment_max_size

    del settings.INTERACTIONS_ATTACHMENT_MAX_SIZE
    assert attachment_max_size() == 10 * 1024 * 1024


def test_request_body_limits_are_set(settings):
    from django.conf import global_settings

    assert 0 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert 0 < settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= global_settings.FILE_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.parametrize(
    "file_name, content_type",
    [("letter.pdf", "application/pdf"), ("notes <b>.txt", "text/html"), ("report\u202egpj.exe", "")],
)
def test_attachments_are_served_as_downloads_that_the_browser_must_not_sniff(file_name, content_type):
    attachment = Attachment.objects.create(
        file=SimpleUploadedFile("stored.bin", b"<html><script>alert(1)</script>"),
        file_name=file_name,
        content_type=content_type,
        size=32,
    )

    response = client_for("Sales staff").get(reverse("interactions:attachment-download", args=[attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script>"


def test_a_missing_stored_file_is_a_404_not_a_server_error():
    attachment = Attachment.objects.create(file="attachments/gone.pdf", file_name="gone.pdf", size=1)
    response = client_for("Sales staff").get(reverse("interactions:attachment-download", args=[attachment.pk]))
    assert response.status_code == 404
