"""A template's language rows: besides import, open, export and remove, "Create" starts an
attachment from a blank text or a typed one, and "Copy from" copies the attachment of
another language row, of this template or another one (as the original's language rows)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from interactions.models import Attachment, InteractionTemplateLanguage

from .factories import InteractionTemplateFactory, InteractionTemplateLanguageFactory
from .test_template_pages import client_for, language_rows, page_text, template_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator_client():
    return client_for("Administrator")


def edit_url(code):
    return reverse("interactions:template-edit", args=[code])


def post_rows(client, template, *rows, initial):
    data = template_data(template.group, code=template.code, description=template.description, language_default="")
    data.update(language_rows(*rows, initial=initial))
    return client.post(edit_url(template.code), data)


def content_of(row) -> bytes:
    row.refresh_from_db()
    with row.attachment.file.open("rb") as file:
        return file.read()


def test_create_makes_a_text_attachment_from_the_typed_text(administrator_client):
    template = InteractionTemplateFactory(code="LETTER")
    english = InteractionTemplateLanguageFactory(template=template, language="en")
    response = post_rows(
        administrator_client, template,
        {"id": english.pk, "language": "en", "create_attachment": "on", "attachment_text": "Dear customer,"},
        initial=1,
    )  # fmt: skip
    assert response.status_code == 302
    assert content_of(english) == b"Dear customer,"
    assert english.attachment.file_name == "LETTER-en.txt"


def test_create_without_text_makes_a_blank_attachment_on_a_new_row(administrator_client):
    template = InteractionTemplateFactory(code="LETTER")
    post_rows(administrator_client, template, {"language": "de", "create_attachment": "on"}, initial=0)
    row = InteractionTemplateLanguage.objects.get(template=template, language="de")
    assert content_of(row) == b""


def test_copy_from_copies_the_attachment_of_another_templates_row(administrator_client):
    source_template = InteractionTemplateFactory(code="OFFER")
    original = Attachment.objects.create(file=SimpleUploadedFile("offer.pdf", b"%PDF offer"), file_name="offer.pdf",
                                         content_type="application/pdf", size=10)  # fmt: skip
    source = InteractionTemplateLanguageFactory(template=source_template, language="en", attachment=original)
    template = InteractionTemplateFactory(code="LETTER")
    target = InteractionTemplateLanguageFactory(template=template, language="ru")

    form = page_text(administrator_client.get(edit_url("LETTER")))
    assert f'<option value="{source.pk}">OFFER · English · offer.pdf</option>' in form

    response = post_rows(administrator_client, template, {"id": target.pk, "language": "ru", "copy_from": source.pk},
                         initial=1)  # fmt: skip
    assert response.status_code == 302
    assert content_of(target) == b"%PDF offer"
    assert (target.attachment.file_name, target.attachment.content_type) == ("offer.pdf", "application/pdf")
    assert target.attachment_id != original.pk  # a copy: removing one leaves the other
    assert content_of(source) == b"%PDF offer"


def test_one_attachment_action_at_a_time(administrator_client):
    template = InteractionTemplateFactory(code="LETTER")
    row = InteractionTemplateLanguageFactory(template=template, language="en")
    response = post_rows(
        administrator_client, template,
        {"id": row.pk, "language": "en", "create_attachment": "on",
         "upload": SimpleUploadedFile("a.pdf", b"%PDF")},
        initial=1,
    )  # fmt: skip
    assert response.status_code == 200
    assert "one of them at a time" in page_text(response)
    row.refresh_from_db()
    assert row.attachment is None
