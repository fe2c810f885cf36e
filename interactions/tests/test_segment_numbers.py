"""Segment numbers come from the host's one number series mechanism (a number typed by hand is
skipped); a logged segment's number is its key, which the database gives and never reuses."""

import pytest
from django.urls import reverse

from crm.contacts.models import NumberSeries
from interactions.models import LoggedSegment, Segment
from interactions.services import segments as services
from interactions.services.purge.service import delete_canceled_logged_segments

from .factories import SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db


def test_a_new_segment_skips_a_segment_number_typed_by_hand(sales_client):
    Segment.objects.create(number="SM00001", description="Typed")

    response = sales_client.post(
        reverse("interactions:segments"), {"description": "Autumn visit", "date": "2026-09-01"}
    )

    created = Segment.objects.get(description="Autumn visit")
    assert created.number == "SM00002"
    assert response["Location"] == reverse("interactions:segment-detail", args=["SM00002"])
    assert NumberSeries.objects.get(code="SEGMENT").last_number == 2


def test_the_follow_up_segment_skips_a_segment_number_typed_by_hand(sales_user):
    line = SegmentLineFactory(segment=SegmentFactory(description="Spring fair"))  # SM00001
    Segment.objects.create(number="SM00002", description="Typed")

    result = services.log_segment(segment=line.segment, user=sales_user, create_follow_up=True)

    assert result.follow_up.number == "SM00003"
    assert result.follow_up.description == "Follow-up on segment SM00001"


def test_a_logged_segments_number_is_never_given_again(sales_user, manager_user):
    segment = SegmentLineFactory().segment
    first = services.log_segment(segment=segment, user=sales_user).logged_segment
    services.set_logged_segment_canceled(logged_segment=first, canceled=True, user=manager_user)
    delete_canceled_logged_segments(user=manager_user)
    assert not LoggedSegment.objects.exists()

    # Once its logged segment is gone, the segment is no longer logged.
    second = services.log_segment(segment=segment, user=sales_user).logged_segment

    assert second.number > first.number
