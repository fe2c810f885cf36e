"""Once logged, a segment stays as it was logged: its pages and the services refuse every
change, it cannot be logged again, and its page links to its logged segment. (The original
deletes the segment when it logs it; "Reuse segment" or a follow-up is how to send again.)"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from interactions.models import InteractionLogEntry, SegmentCriteriaStep, SegmentLine
from interactions.selectors.segments import SegmentCriteria, SegmentOptions
from interactions.services import segments as services

from .factories import PersonFactory, SegmentFactory, SegmentLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(sales_user):
    segment = SegmentFactory(description="Spring mailing", subject_default="Old")
    line = SegmentLineFactory(segment=segment, contact=PersonFactory(name="Anna Smith"), subject="Old")
    services.add_contacts(
        segment=segment, criteria=SegmentCriteria(name="Nobody at all"), options=SegmentOptions(), user=sales_user
    )
    result = services.log_segment(segment=segment, user=sales_user)
    return segment, line, result.logged_segment


def snapshot(segment):
    return (
        list(SegmentLine.objects.filter(segment=segment).order_by("id").values()),
        list(SegmentCriteriaStep.objects.filter(segment=segment).values_list("id", flat=True)),
        SegmentFactory._meta.model.objects.filter(pk=segment.pk).values().get(),
    )


SERVICE_CALLS = {
    "header": lambda s, line, user: services.update_segment_header(
        segment=s, changes={"description": "Changed"}, user=user
    ),
    "update lines": lambda s, line, user: services.update_lines_from_header(
        segment=s, field="subject_default", old_value="Old", user=user
    ),
    "line": lambda s, line, user: services.save_line(line=line, user=user),
    "remove lines": lambda s, line, user: services.remove_lines(segment=s, line_ids=[line.pk], user=user),
    "add": lambda s, line, user: services.add_contacts(
        segment=s, criteria=SegmentCriteria(), options=SegmentOptions(), user=user
    ),
    "reduce": lambda s, line, user: services.reduce_contacts(
        segment=s, criteria=SegmentCriteria(), options=SegmentOptions(), user=user
    ),
    "refine": lambda s, line, user: services.refine_contacts(
        segment=s, criteria=SegmentCriteria(name="Nobody"), options=SegmentOptions(), user=user
    ),
    "go back": lambda s, line, user: services.go_back(segment=s, user=user),
    "log again": lambda s, line, user: services.log_segment(segment=s, user=user, log_again=True),
}


@pytest.mark.parametrize("call", SERVICE_CALLS.values(), ids=SERVICE_CALLS.keys())
def test_services_refuse_to_change_a_logged_segment(logged, sales_user, call):
    segment, line, logged_segment = logged
    before = snapshot(segment)
    line.subject = "Changed"
    with pytest.raises(ValidationError, match=f"logged segment {logged_segment.pk}"):
        call(segment, line, sales_user)
    assert snapshot(segment) == before
    assert InteractionLogEntry.objects.count() == 1


def page_posts(segment, line):
    return {
        "header": (reverse("interactions:segment-edit", args=[segment.number]), {"description": "Changed"}),
        "update lines": (
            reverse("interactions:segment-update-lines", args=[segment.number]),
            {"changes": '[{"field": "subject_default", "old": "Old", "new": "New"}]', "update": "subject_default"},
        ),
        "line": (reverse("interactions:segment-line-edit", args=[segment.number, line.pk]), {"subject": "Changed"}),
        "remove lines": (reverse("interactions:segment-lines-remove", args=[segment.number]), {"line": [line.pk]}),
        "criteria": (reverse("interactions:segment-criteria", args=[segment.number]), {"action": "add"}),
        "go back": (reverse("interactions:segment-go-back", args=[segment.number]), {}),
        "log": (reverse("interactions:segment-log", args=[segment.number]), {}),
    }


@pytest.mark.parametrize("page", ["header", "update lines", "line", "remove lines", "criteria", "go back", "log"])
def test_pages_refuse_to_change_a_logged_segment(logged, sales_client, page):
    segment, line, logged_segment = logged
    before = snapshot(segment)
    url, data = page_posts(segment, line)[page]
    response = sales_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("interactions:segment-detail", args=[segment.number])
    assert f"logged segment {logged_segment.pk}" in response.content.decode()
    assert snapshot(segment) == before
    assert InteractionLogEntry.objects.count() == 1


def test_the_logged_segments_page_links_to_its_logged_segment_and_offers_no_change(logged, sales_client):
    segment, line, logged_segment = logged
    page = sales_client.get(reverse("interactions:segment-detail", args=[segment.number])).content.decode()
    log_link = f"{reverse('interactions:log')}?logged_segment={logged_segment.pk}"
    assert f'<a href="{log_link}">logged segment {logged_segment.pk}</a>' in page
    for url in (
        reverse("interactions:segment-edit", args=[segment.number]),
        reverse("interactions:segment-criteria", args=[segment.number]),
        reverse("interactions:segment-log", args=[segment.number]),
        reverse("interactions:segment-go-back", args=[segment.number]),
        reverse("interactions:segment-lines-remove", args=[segment.number]),
        reverse("interactions:segment-line-edit", args=[segment.number, line.pk]),
    ):
        assert f'"{url}"' not in page
    assert "Anna Smith" in page  # its lines are still shown
    for url in (
        reverse("interactions:segment-edit", args=[segment.number]),
        reverse("interactions:segment-criteria", args=[segment.number]),
        reverse("interactions:segment-line-edit", args=[segment.number, line.pk]),
    ):
        response = sales_client.get(url)
        assert response.status_code == 302
