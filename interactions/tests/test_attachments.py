"""Attachments: one service stores them (bytes under a name and type, an upload it has
checked), deletes the stored files of a transaction that rolls back, and deletes the
attachments that nothing uses any more. Every writer goes through it."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.documents.models import Document
from crm.documents.tests.factories import DocumentFactory, grant_document_permissions_to_groups
from crm.documents.types import DocumentType
from interactions.models import (
    Attachment,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    WizardAction,
)
from interactions.services import attachments
from interactions.services import recording as recording_services
from interactions.services import setup as setup_services
from interactions.services.communication import emails as email_services
from interactions.services.communication.meetings import Meeting, invite_to_meeting
from interactions.services.purge import archive as archive_module
from interactions.services.purge.archive import restore_purged_interactions
from interactions.services.purge.service import purge_canceled_interactions

from .email_support import set_up_templates
from .factories import (
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from .purge_support import canceled_entry
from .test_print_logging import print_it, set_up_template

pytestmark = pytest.mark.django_db

LIMIT = 1000  # bytes, for the tests


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.INTERACTIONS_ATTACHMENT_MAX_SIZE = LIMIT


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def stored_content(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


class Refused(Exception):
    """Raised by a test where a write fails."""


# --- Storing ------------------------------------------------------------------------------


def test_stored_bytes_keep_their_name_and_type():
    attachment = attachments.store_attachment(content=b"%PDF-1.4 offer", file_name="offer.pdf", content_type="x/y")

    stored = Attachment.objects.get()
    assert stored == attachment
    assert (stored.file_name, stored.content_type, stored.size) == ("offer.pdf", "x/y", 14)
    # The folder is the month in the site's time zone (Django's upload_to formats local time):
    # in UTC it differs for the hours around a month's turn.
    assert stored.file.name == timezone.localtime().strftime("attachments/%Y/%m/offer.pdf")
    assert stored_content(stored) == b"%PDF-1.4 offer"
    assert stored_files() == [Path(stored.file.path)]


def test_without_a_type_it_is_guessed_from_the_name():
    assert attachments.store_attachment(content=b"a;b", file_name="list.csv").content_type == "text/csv"
    assert attachments.store_attachment(content=b"?", file_name="blob").content_type == "application/octet-stream"


def test_an_upload_keeps_the_users_file_name_and_its_type_comes_from_the_name_not_the_browser():
    upload = SimpleUploadedFile("Price list.pdf", b"%PDF-1.4 prices", content_type="text/html")

    attachment = attachments.store_upload(upload)

    assert (attachment.file_name, attachment.content_type, attachment.size) == ("Price list.pdf", "application/pdf", 15)
    assert stored_content(attachment) == b"%PDF-1.4 prices"


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("setup.exe", b"MZ"), "Files of type .exe cannot be attached."),
        (SimpleUploadedFile("PAGE.HTM", b"<b>x</b>"), "Files of type .htm cannot be attached."),
        (SimpleUploadedFile("big.pdf", b"0" * (2 * LIMIT)), "The file is too large (0.0 MB); the limit is 0.0 MB."),
    ],
    ids=["executable", "html", "oversized"],
)
def test_an_upload_of_a_refused_type_or_size_is_refused_with_its_message_and_nothing_is_stored(upload, message):
    with pytest.raises(ValidationError) as refused:
        attachments.store_upload(upload)

    [refusal] = refused.value.messages
    assert refusal.startswith(message)
    assert not Attachment.objects.exists() and stored_files() == []


def test_many_files_saved_under_one_name_each_keep_their_own_content_and_go_with_a_rollback():
    """save_new_file (the mail capture's .eml writer): one file per row even under one name."""
    with attachments.atomic_with_files():
        kept = [Attachment(file_name="email.eml", content_type="message/rfc822", size=1) for _ in range(3)]
        for number, attachment in enumerate(kept):
            attachments.save_new_file(attachment.file, attachment.file_name, b"message %d" % number)
        Attachment.objects.bulk_create(kept)
    with pytest.raises(Refused), attachments.atomic_with_files():
        attachments.save_new_file(Attachment(file_name="email.eml").file, "email.eml", b"rolled back")
        raise Refused

    assert [stored_content(attachment) for attachment in Attachment.objects.order_by("id")] == [
        b"message 0",
        b"message 1",
        b"message 2",
    ]
    assert sorted(stored_files()) == sorted(Path(attachment.file.path) for attachment in kept)


# --- A rolled-back transaction leaves no stored file ------------------------------------


def test_a_block_that_fails_deletes_the_files_stored_in_it():
    with pytest.raises(Refused), attachments.atomic_with_files():
        attachments.store_attachment(content=b"x", file_name="a.txt")
        raise Refused

    assert not Attachment.objects.exists() and stored_files() == []


def test_a_block_rolled_back_without_an_exception_deletes_its_files_too():
    with attachments.atomic_with_files():
        attachments.store_attachment(content=b"x", file_name="a.txt")
        transaction.set_rollback(True)

    assert not Attachment.objects.exists() and stored_files() == []


def test_a_nested_block_that_succeeded_loses_its_files_when_the_outer_one_fails():
    with pytest.raises(Refused), attachments.atomic_with_files():
        with attachments.atomic_with_files():
            attachments.store_attachment(content=b"inner", file_name="inner.txt")
        raise Refused

    assert stored_files() == []


def test_a_nested_block_that_failed_takes_only_its_own_files():
    with attachments.atomic_with_files():
        kept = attachments.store_attachment(content=b"outer", file_name="outer.txt")
        with pytest.raises(Refused), attachments.atomic_with_files():
            attachments.store_attachment(content=b"inner", file_name="inner.txt")
            raise Refused

    assert list(Attachment.objects.all()) == [kept]
    assert stored_files() == [Path(kept.file.path)]


@pytest.fixture
def printer(db):
    grant_document_permissions_to_groups()
    return UserFactory(username="printer", groups=["Sales staff"])


def test_a_print_whose_log_entry_fails_after_the_pdf_was_stored_leaves_no_file(printer, monkeypatch):
    set_up_template(DocumentType.SALES_INVOICE)
    invoice = DocumentFactory()

    def failing_create(**fields):
        assert Attachment.objects.exists() and stored_files()  # the PDF is stored by now
        raise Refused

    monkeypatch.setattr(InteractionLogEntry.objects, "create", failing_create)
    with pytest.raises(Refused):
        print_it(invoice, user=printer)

    assert Document.objects.get(pk=invoice.pk).no_printed == 0
    assert not Attachment.objects.exists() and stored_files() == []


@pytest.fixture
def failing_entry_writes(monkeypatch):
    """The database refuses the `after`-th log entry written (counting from 1)."""

    def fail(after: int = 1):
        written = []
        save = InteractionLogEntry.save

        def failing_save(entry, *args, **kwargs):
            written.append(entry)
            if len(written) >= after:
                assert stored_files()
                raise Refused
            return save(entry, *args, **kwargs)

        monkeypatch.setattr(InteractionLogEntry, "save", failing_save)

    return fail


def test_an_email_whose_entry_cannot_be_written_leaves_no_stored_message(sales_user, failing_entry_writes):
    set_up_templates()
    failing_entry_writes()

    with pytest.raises(Refused):
        email_services.send_email(
            contact=PersonFactory(email="anna@example.com"), subject="Prices", body="Dear Anna", attachments=[],
            user=sales_user,
        )  # fmt: skip

    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists() and stored_files() == []


def test_a_meeting_invitation_whose_second_entry_fails_leaves_no_stored_message(sales_user, failing_entry_writes):
    set_up_templates()
    company = CompanyFactory()
    anna = PersonFactory(company=company, email="anna@example.com")
    boris = PersonFactory(company=company, email="boris@example.com")
    failing_entry_writes(after=2)
    start = timezone.localtime() + datetime.timedelta(days=3)

    with pytest.raises(Refused):
        invite_to_meeting(
            contact=anna, attendees=[anna, boris], meeting=Meeting(subject="Kick-off", start=start, duration=60),
            user=sales_user,
        )  # fmt: skip

    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists() and stored_files() == []


def test_an_imported_interaction_whose_comment_fails_leaves_no_stored_file(sales_user, monkeypatch):
    template = InteractionTemplateFactory(wizard_action=WizardAction.IMPORT)

    def failing_comment(**kwargs):
        assert stored_files()
        raise Refused

    monkeypatch.setattr(recording_services, "add_comment", failing_comment)
    details = recording_services.InteractionDetails(
        contact=PersonFactory(), template=template, salesperson=SalespersonFactory(),
        date=datetime.date(2026, 3, 2), description="Offer", first_comment="Sent by post too",
        upload=SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer"),
    )  # fmt: skip

    with pytest.raises(Refused):
        recording_services.record_interaction(details=details, user=sales_user)

    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists() and stored_files() == []


def test_a_template_language_save_that_fails_leaves_no_uploaded_file():
    group = InteractionGroupFactory()
    values = setup_services.TemplateValues(code="OFFER", group=group, description="Offer", language_default="ru")
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer")

    # The default language has no row: refused after the upload was stored.
    with pytest.raises(ValidationError, match="The default language Russian has no language row"):
        setup_services.save_template(
            values=values, languages=[setup_services.TemplateLanguageChange(language="en", upload=upload)], user=None
        )

    assert not InteractionTemplate.objects.exists() and not InteractionTemplateLanguage.objects.exists()
    assert not Attachment.objects.exists() and stored_files() == []


def test_a_restore_that_fails_leaves_no_restored_file(tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    file = attachments.store_attachment(content=b"%PDF-1.4 quote", file_name="quote.pdf")
    canceled_entry(attachment=file)
    archive = tmp_path / "purge.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        purge_canceled_interactions(archive_path=archive)
    assert stored_files() == []

    def failing(models):
        assert stored_files()
        raise Refused

    monkeypatch.setattr(archive_module, "_keep_sequences_ahead", failing)
    with pytest.raises(Refused):
        restore_purged_interactions(path=archive)

    assert not InteractionLogEntry.objects.exists()
    assert not Attachment.objects.exists() and stored_files() == []


# --- Deleting unused attachments ----------------------------------------------------------


def test_only_attachments_that_nothing_uses_are_deleted_and_their_files_after_the_commit(
    django_capture_on_commit_callbacks,
):
    by_entry, by_template, unused = (
        attachments.store_attachment(content=name.encode(), file_name=f"{name}.txt")
        for name in ("entry", "template", "unused")
    )
    InteractionLogEntryFactory(attachment=by_entry)
    InteractionTemplateLanguageFactory(attachment=by_template)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deleted = attachments.delete_unused_attachments(attachment_ids={by_entry.pk, by_template.pk, unused.pk})
    assert set(deleted) == {unused.pk}
    assert set(Attachment.objects.values_list("pk", flat=True)) == {by_entry.pk, by_template.pk}
    assert Path(unused.file.path).exists()  # not committed yet

    for callback in callbacks:
        callback()
    assert sorted(stored_files()) == sorted(Path(a.file.path) for a in (by_entry, by_template))


# --- Setting up with plain values, no form ---------------------------------------------------


@pytest.fixture
def administrator():
    return UserFactory(username="administrator", groups=["Administrator"], is_staff=True)


def test_setup_services_work_with_plain_values(administrator, django_capture_on_commit_callbacks):
    group = setup_services.save_group(code=" letter ", description="Letters", user=administrator)
    assert (group.code, InteractionGroup.objects.get().description) == ("LETTER", "Letters")

    values = setup_services.TemplateValues(
        code="offer", group=group, description="Written offer", unit_cost=Decimal("2.50"), language_default="en"
    )
    template = setup_services.save_template(
        values=values,
        languages=[
            setup_services.TemplateLanguageChange(
                language="en", description="Offer", upload=SimpleUploadedFile("offer.pdf", b"%PDF-1.4 first")
            ),
            setup_services.TemplateLanguageChange(language="ru", merge_body="Уважаемый {contact.name}!"),
        ],
        user=administrator,
    )
    assert (template.code, template.unit_cost) == ("OFFER", Decimal("2.50"))
    english = template.languages.get(language="en")
    first = english.attachment
    assert (first.file_name, stored_content(first)) == ("offer.pdf", b"%PDF-1.4 first")
    assert template.languages.get(language="ru").merge_body == "Уважаемый {contact.name}!"

    # Only the rows change: the English attachment is replaced, the Russian row deleted.
    with django_capture_on_commit_callbacks(execute=True):
        setup_services.save_template(
            template=template,
            languages=[
                setup_services.TemplateLanguageChange(
                    id=english.pk, language="en", upload=SimpleUploadedFile("offer-2.pdf", b"%PDF-1.4 second")
                ),
                setup_services.TemplateLanguageChange(id=template.languages.get(language="ru").pk, delete=True),
            ],
            user=administrator,
        )
    english.refresh_from_db()
    assert english.attachment.file_name == "offer-2.pdf"
    assert list(template.languages.values_list("language", flat=True)) == ["en"]
    assert not Attachment.objects.filter(pk=first.pk).exists()
    assert stored_files() == [Path(english.attachment.file.path)]

    call = setup_services.save_template(
        values=setup_services.TemplateValues(code="CALL", group=group, description="Call"), user=administrator
    )
    setup_services.save_template_setup(templates_by_event={"outgoing_calls": call.pk}, user=administrator)
    assert InteractionTemplateSetup.template_for("outgoing_calls") == call
    with pytest.raises(ValidationError, match="has language rows"):
        setup_services.save_template_setup(templates_by_event={"emails": template}, user=administrator)


def test_setup_services_refuse_a_bad_code_and_users_without_the_permission():
    with pytest.raises(ValidationError, match="A code cannot contain a slash"):
        setup_services.save_group(code="A/B", description="x", user=None)
    sales = UserFactory(groups=["Sales staff"])
    with pytest.raises(PermissionDenied):
        setup_services.save_group(code="VISIT", description="Visits", user=sales)
    with pytest.raises(PermissionDenied):
        setup_services.save_template_setup(templates_by_event={"emails": None}, user=sales)
    assert not InteractionGroup.objects.exists()


def test_deleting_a_template_deletes_its_attachments_unless_an_entry_uses_them(django_capture_on_commit_callbacks):
    template = InteractionTemplateFactory(code="OLD")
    kept, gone = (attachments.store_attachment(content=b"x", file_name=f"{name}.pdf") for name in ("kept", "gone"))
    InteractionTemplateLanguageFactory(template=template, language="en", attachment=kept)
    InteractionTemplateLanguageFactory(template=template, language="ru", attachment=gone)
    InteractionLogEntryFactory(attachment=kept)

    with django_capture_on_commit_callbacks(execute=True):
        setup_services.delete_template(template=template, user=None)

    assert list(Attachment.objects.all()) == [kept]
    assert stored_files() == [Path(kept.file.path)]


def test_the_setup_forms_only_validate():
    from interactions.forms.setup import InteractionGroupForm

    form = InteractionGroupForm({"code": "visit", "description": "Visits"})
    assert form.is_valid()
    with pytest.raises(TypeError, match="only validates"):
        form.save()
    assert not InteractionGroup.objects.exists()


# --- The Django admin saves through the services ---------------------------------------------


def admin_template_data(group, **changes) -> dict:
    data = {
        "code": "OFFER", "group": group.pk, "description": "Offer", "unit_cost": "0", "unit_duration": "0",
        "information_flow": "", "initiated_by": "", "campaign": "", "correspondence_type": "",
        "language_default": "en", "wizard_action": WizardAction.OPEN,
        "languages-TOTAL_FORMS": "1", "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0", "languages-MAX_NUM_FORMS": "1000",
        "languages-0-language": "en", "languages-0-description": "Offer", "languages-0-merge_body": "",
        "_save": "Save",
    }  # fmt: skip
    data.update(changes)
    return data


def test_an_attachment_uploaded_in_the_admin_is_stored_and_the_replaced_one_goes(
    administrator, django_capture_on_commit_callbacks
):
    group = InteractionGroupFactory()
    client = Client()
    client.force_login(administrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:interactions_interactiontemplate_add"),
            admin_template_data(group, **{"languages-0-upload": SimpleUploadedFile("first.pdf", b"%PDF-1.4 first")}),
        )
    assert response.status_code == 302, response.content.decode()
    template = InteractionTemplate.objects.get(code="OFFER")
    row = template.languages.get()
    first = row.attachment
    assert (first.file_name, stored_content(first)) == ("first.pdf", b"%PDF-1.4 first")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:interactions_interactiontemplate_change", args=[template.pk]),
            admin_template_data(
                group,
                description="Offer, changed",
                **{
                    "languages-INITIAL_FORMS": "1", "languages-0-id": row.pk, "languages-0-template": template.pk,
                    "languages-0-upload": SimpleUploadedFile("second.pdf", b"%PDF-1.4 second"),
                },
            ),
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    row.refresh_from_db()
    assert row.attachment.file_name == "second.pdf"
    assert InteractionTemplate.objects.get().description == "Offer, changed"
    assert list(Attachment.objects.all()) == [row.attachment]
    assert stored_files() == [Path(row.attachment.file.path)]
    history = client.get(reverse("admin:interactions_interactiontemplate_history", args=[template.pk]))
    assert "Changed Description" in history.content.decode()
    assert "interaction template language" in history.content.decode()
