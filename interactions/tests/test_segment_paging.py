"""The long lists page by a deferred join, reading a page in the far half from the other
end: the segment's lines and the contacts list show every row once, in order, on the first,
a middle and the last page, whatever the sort (ties included), and the last page runs the
same queries as the first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.contacts.models import Contact
from interactions.models import SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions
from interactions.services import segments as services

from .factories import PersonFactory, SegmentFactory

pytestmark = pytest.mark.django_db

LINES = 123  # three pages of 50: 50, 50, 23


def page_of(client, url: str, table: str, **query) -> tuple[list[int], int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, query)
    assert response.status_code == 200
    return [row.record.pk for row in response.context[table].page.object_list], len(context)


@pytest.fixture
def segment(sales_user):
    segment = SegmentFactory()
    for number in range(LINES):
        PersonFactory(name=f"Person {number % 7}", city="Same")
    services.add_contacts(
        segment=segment, criteria=SegmentCriteria(contact_type="person"), options=SegmentOptions(), user=sales_user
    )
    return segment


@pytest.mark.parametrize("sort", ["", "contact", "-contact", "template", "-subject"])
def test_segment_lines_pages_show_every_line_once_in_order(sales_client, segment, sort):
    url = reverse("interactions:segment-detail", args=[segment.number])
    query = {"sort": sort} if sort else {}
    pages = [page_of(sales_client, url, "lines", page=page, **query) for page in (1, 2, 3)]
    shown = [pk for ids, _queries in pages for pk in ids]
    lines = SegmentLine.objects.filter(segment=segment)
    expected = {
        "": lines.order_by("id"),
        "contact": lines.order_by("contact__name", "id"),
        "-contact": lines.order_by("-contact__name", "-id"),
    }.get(sort)
    assert len(shown) == LINES and set(shown) == set(lines.values_list("pk", flat=True))
    if expected is not None:
        assert shown == list(expected.values_list("pk", flat=True))
    first, _middle, last = pages
    assert len(first[0]) == 50 and len(last[0]) == 23
    assert last[1] == first[1]  # the last page runs the queries of the first


@pytest.mark.parametrize("sort", ["", "-number", "city", "-type", "company"])
def test_contacts_pages_show_every_contact_once_in_order(sales_client, segment, sort):
    url = reverse("contacts:list")
    query = {"sort": sort} if sort else {}
    count = Contact.objects.count()  # the persons and their companies
    pages = [page_of(sales_client, url, "table", page=page, **query) for page in range(1, (count + 49) // 50 + 1)]
    shown = [pk for ids, _queries in pages for pk in ids]
    assert len(shown) == count and sorted(shown) == sorted(Contact.objects.values_list("pk", flat=True))
    if sort in ("", "-number"):
        assert shown == list(Contact.objects.order_by(sort or "number").values_list("pk", flat=True))
    assert pages[-1][1] == pages[0][1]
