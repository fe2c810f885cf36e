"""The log's Excel export: built by a task with a progress page, downloaded by the user who
asked for it alone, kept for a day, up to the row limit, every row once in the log's order
whatever the chunks it is read in; a broker that cannot be reached gives a message."""

import datetime
import io
from urllib.parse import urlencode

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation

from interactions.models import LogExport, LogExportState
from interactions.selectors.log import EXPORT_COLUMNS
from interactions.services import log_exports

from .export_support import xlsx_export
from .factories import InteractionLogEntryFactory, UserFactory

pytestmark = pytest.mark.django_db
LOG = reverse("interactions:log")
EXPORTS = reverse("interactions:log-exports")


def sheet_rows(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_the_log_page_offers_the_excel_export_as_a_form_that_posts_its_filter(sales_client):
    page = sales_client.get(LOG, {"evaluation": "negative"}).content.decode()
    assert f'action="{EXPORTS}?evaluation=negative"' in page
    assert 'id="log-export-xlsx" method="post"' in page


def test_every_entry_is_written_once_newest_first_whatever_the_chunks(sales_client, tasks_in_process, monkeypatch):
    monkeypatch.setattr(log_exports, "CHUNK_ROWS", 2)
    day = datetime.date(2026, 3, 10)
    entries = [InteractionLogEntryFactory(date=day - datetime.timedelta(days=index % 3)) for index in range(7)]
    InteractionLogEntryFactory(postponed=True)
    rows = sheet_rows(xlsx_export(sales_client))
    expected = sorted(entries, key=lambda entry: (entry.date, entry.entry_no), reverse=True)
    assert [row[0] for row in rows[1:]] == [entry.entry_no for entry in expected]
    export = LogExport.objects.get()
    assert (export.state, export.rows_total, export.rows_done) == (LogExportState.DONE, 7, 7)


def test_the_export_follows_the_filter_and_the_users_language(sales_client, tasks_in_process):
    wanted = InteractionLogEntryFactory(evaluation="negative")
    InteractionLogEntryFactory(evaluation="positive")
    with translation.override("ru"):
        russian_page = reverse("interactions:log-exports")
    sales_client.post(russian_page + "?" + urlencode({"evaluation": "negative"}))
    export = LogExport.objects.get()
    assert export.filters == {"evaluation": "negative"}
    content = sales_client.get(reverse("interactions:log-export-download", args=[export.pk]))
    rows = sheet_rows(b"".join(content.streaming_content))
    assert [row[0] for row in rows[1:]] == [wanted.entry_no]
    with translation.override("ru"):
        russian = str(EXPORT_COLUMNS[0][0])
    assert export.language == "ru" and rows[0][0] == russian != "Entry No."


def test_more_entries_than_the_limit_fail_with_a_message(sales_client, tasks_in_process, settings):
    settings.INTERACTIONS_XLSX_EXPORT_LIMIT = 3
    InteractionLogEntryFactory.create_batch(4)
    page = sales_client.post(EXPORTS, follow=True)
    assert "More than 3 entries match the filter" in page.content.decode()
    assert LogExport.objects.get().state == LogExportState.FAILED
    assert 'hx-get="' not in page.content.decode()  # finished: the page stops polling


def test_an_export_under_way_shows_its_progress_and_is_polled(sales_client, sales_user):
    export = LogExport.objects.create(
        user=sales_user,
        state=LogExportState.RUNNING,
        rows_total=200,
        rows_done=50,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    url = reverse("interactions:log-export", args=[export.pk])
    page = sales_client.get(url).content.decode()
    assert f'hx-get="{url}"' in page and 'aria-valuenow="25"' in page
    assert "50 of 200 entries written" in page
    fragment = sales_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="export-progress"') and "<html" not in fragment
    assert sales_client.get(reverse("interactions:log-export-download", args=[export.pk])).status_code == 404


def test_only_the_user_who_asked_sees_and_downloads_the_export(client, sales_client, tasks_in_process):
    InteractionLogEntryFactory()
    sales_client.post(EXPORTS)
    export = LogExport.objects.get()
    assert export.state == LogExportState.DONE
    for other in (UserFactory(groups=["Sales manager"]), UserFactory(is_superuser=True, is_staff=True)):
        client.force_login(other)
        assert client.get(reverse("interactions:log-export", args=[export.pk])).status_code == 404
        assert client.get(reverse("interactions:log-export-download", args=[export.pk])).status_code == 404
        assert str(export.pk) not in client.get(EXPORTS).content.decode()


def test_an_expired_export_cannot_be_downloaded_and_the_cleanup_deletes_it(sales_client, tasks_in_process):
    InteractionLogEntryFactory()
    sales_client.post(EXPORTS)
    sales_client.post(EXPORTS)
    old, recent = LogExport.objects.order_by("created_at")
    assert default_storage.exists(old.file) and old.file.startswith("exports/")
    LogExport.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert sales_client.get(reverse("interactions:log-export-download", args=[old.pk])).status_code == 404
    assert str(old.pk) not in sales_client.get(EXPORTS).content.decode()
    assert log_exports.delete_expired_log_exports() == 1
    assert not default_storage.exists(old.file)
    assert list(LogExport.objects.all()) == [recent] and default_storage.exists(recent.file)


def test_the_export_is_kept_for_the_configured_hours(sales_client, tasks_in_process, settings):
    settings.INTERACTIONS_EXPORT_RETENTION_HOURS = 2
    sales_client.post(EXPORTS)
    export = LogExport.objects.get()
    assert datetime.timedelta(hours=2) - (export.expires_at - export.created_at) < datetime.timedelta(seconds=5)


def test_a_broker_that_cannot_be_reached_gives_a_message_and_keeps_nothing(sales_client, broker_down):
    response = sales_client.post(EXPORTS + "?evaluation=negative", follow=True)
    assert response.status_code == 200
    assert "The task queue cannot be reached" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{LOG}?evaluation=negative"
    assert not LogExport.objects.exists()


def test_an_invalid_filter_starts_no_export(sales_client, tasks_in_process):
    response = sales_client.post(EXPORTS + "?date_from=31.02.2026", follow=True)
    assert "Correct the filter before exporting." in response.content.decode()
    assert not LogExport.objects.exists()


def test_without_the_export_permission_nothing_is_exported(client):
    from django.contrib.auth.models import Permission

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_interactionlogentry"))
    client.force_login(user)
    assert client.post(EXPORTS).status_code == 403
    assert client.get(EXPORTS).status_code == 403
    assert not LogExport.objects.exists()


def test_starting_an_export_needs_a_post(sales_client, tasks_in_process):
    assert sales_client.get(EXPORTS).status_code == 200  # the list of the user's exports
    assert not LogExport.objects.exists()
