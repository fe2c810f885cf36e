"""The log's free-text filter: words of the description, subject and comments (PostgreSQL:
full-text search in the user's language, web-search syntax, best matches first; SQLite: a
substring), and a part of a document number."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from interactions.models import InteractionComment, InteractionLogEntry
from interactions.services.segments import log_segment

from .factories import InteractionCommentFactory, InteractionLogEntryFactory, SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db
LOG = reverse("interactions:log")


def found(client, text: str, **parameters) -> list[int]:
    response = client.get(LOG, {"q": text, **parameters})
    assert response.status_code == 200
    table = response.context["table"]
    return [row.record.entry_no for row in table.page.object_list] if table.page else []


def test_the_search_finds_the_description_the_subject_and_the_comments(sales_client):
    by_description = InteractionLogEntryFactory(description="Warehouse visit", subject="")
    by_subject = InteractionLogEntryFactory(description="Call", subject="About the warehouse")
    by_comment = InteractionLogEntryFactory(description="Meeting", subject="")
    InteractionCommentFactory(entry=by_comment, text="We also saw the warehouse")
    InteractionLogEntryFactory(description="Letter", subject="Invoice")
    InteractionLogEntryFactory(description="Warehouse draft", postponed=True)
    assert set(found(sales_client, "warehouse")) == {by_description.entry_no, by_subject.entry_no, by_comment.entry_no}


def test_a_part_of_a_document_number_finds_its_entry(sales_client):
    invoice = InteractionLogEntryFactory(document_type="sales_invoice", document_number="INV-004711")
    InteractionLogEntryFactory(document_type="sales_invoice", document_number="INV-009999")
    assert found(sales_client, "4711") == [invoice.entry_no]


def test_a_blank_search_filters_nothing(sales_client):
    entries = InteractionLogEntryFactory.create_batch(2)
    assert set(found(sales_client, "   ")) == {entry.entry_no for entry in entries}


# --- PostgreSQL: full-text search ----------------------------------------------------------


def test_words_are_found_in_any_form_of_the_users_language(postgresql, sales_client):
    english = InteractionLogEntryFactory(description="Contract renewals discussed")
    russian = InteractionLogEntryFactory(description="Отправили предложение клиентам")
    assert found(sales_client, "renewal") == [english.entry_no]
    with translation.override("ru"):
        russian_log = reverse("interactions:log")
    response = sales_client.get(russian_log, {"q": "клиенты"})
    assert [row.record.entry_no for row in response.context["table"].page.object_list] == [russian.entry_no]


def test_web_search_syntax_phrases_and_exclusions(postgresql, sales_client):
    both = InteractionLogEntryFactory(description="Price list and contract sent")
    contract_only = InteractionLogEntryFactory(description="Contract signed")
    InteractionLogEntryFactory(description="Contract price agreed")  # the words, not the phrase
    assert set(found(sales_client, "contract -price")) == {contract_only.entry_no}
    assert found(sales_client, '"price list"') == [both.entry_no]
    assert set(found(sales_client, "signed or list")) == {both.entry_no, contract_only.entry_no}


def test_best_matches_come_first_until_the_user_sorts(postgresql, sales_client):
    day = datetime.date(2026, 3, 10)
    in_a_comment = InteractionLogEntryFactory(description="Call", date=day)
    InteractionCommentFactory(entry=in_a_comment, text="asked about the tender")
    in_the_description = InteractionLogEntryFactory(description="Tender documents", date=day - datetime.timedelta(1))
    assert found(sales_client, "tender") == [in_the_description.entry_no, in_a_comment.entry_no]
    assert found(sales_client, "tender", sort="-date") == [in_a_comment.entry_no, in_the_description.entry_no]


def test_the_search_follows_comments_and_descriptions_as_they_change(postgresql, sales_client):
    entry = InteractionLogEntryFactory(description="Call")
    assert found(sales_client, "quotation") == []
    comment = InteractionCommentFactory(entry=entry, text="Quotation requested")
    assert found(sales_client, "quotation") == [entry.entry_no]
    InteractionComment.objects.filter(pk=comment.pk).update(text="Nothing to add")
    assert found(sales_client, "quotation") == []
    assert found(sales_client, "nothing") == [entry.entry_no]
    InteractionComment.objects.filter(pk=comment.pk).delete()
    assert found(sales_client, "nothing") == []
    entry.description = "Quotation sent"
    entry.save()
    assert found(sales_client, "quotation") == [entry.entry_no]


def test_search_text_that_is_no_valid_query_matches_safely(postgresql, sales_client):
    entry = InteractionLogEntryFactory(description="O'Brien & partners (call)")
    for text in ["O'Brien", "& | ! ( )", '"', "-", "partners)", "a:*"]:
        assert sales_client.get(LOG, {"q": text}).status_code == 200, text
    assert found(sales_client, "O'Brien") == [entry.entry_no]


def test_a_logged_segments_entries_are_found_as_entries_written_one_by_one(postgresql, sales_client, sales_user):
    # Logging a segment computes the search document once per distinct description and
    # subject of its lines instead of the trigger once per entry: the same document the
    # trigger gives an entry written alone, whether a line has its own texts or the header's.
    segment = SegmentFactory(description="Spring catalogue", subject_default="Garden furniture")
    header_texts = SegmentLineFactory.create_batch(3, segment=segment)
    own_description = SegmentLineFactory(segment=segment, description="Autumn catalogue")
    own_subject = SegmentLineFactory(segment=segment, subject="Shovels and rakes")
    log_segment(segment=segment, user=sales_user)

    entries = InteractionLogEntry.objects.filter(segment_number=segment.number)
    number = {entry.contact_id: entry.entry_no for entry in entries}
    assert len(number) == 5
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM interactions_interactionlogentry WHERE segment_number = %s AND search_document "
            "IS DISTINCT FROM interactions_log_search_document(description, subject, NULL)",
            [segment.number],
        )
        assert cursor.fetchone()[0] == 0
    assert set(found(sales_client, "catalogue")) == set(number.values())
    header_subject = [*header_texts, own_description]
    assert set(found(sales_client, "furniture")) == {number[line.contact_id] for line in header_subject}
    assert found(sales_client, "autumn") == [number[own_description.contact_id]]
    assert found(sales_client, "rake") == [number[own_subject.contact_id]]
