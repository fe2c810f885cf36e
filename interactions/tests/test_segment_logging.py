"""Logging a segment: its validations, the entries' values, the follow-up segment, a number
of queries that does not grow with the lines, the page, and the demo scenario."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.contacts.models import Contact, Salesperson
from interactions.models import InteractionLogEntry, InteractionTemplate, LoggedSegment, Segment, SegmentLine
from interactions.services import segments as services
from interactions.services import summaries

from .factories import (
    CampaignFactory,
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def log_url(logged_segment) -> str:
    return f"{reverse('interactions:log')}?logged_segment={logged_segment.pk}"


# --- Validations ------------------------------------------------------------------------


def test_a_segment_without_description_is_refused_and_nothing_is_written(sales_user):
    line = SegmentLineFactory(segment=SegmentFactory(description=""))
    with pytest.raises(ValidationError) as refused:
        services.log_segment(segment=line.segment, user=sales_user)
    assert refused.value.messages == ["Enter a description for the segment before logging it."]
    assert not LoggedSegment.objects.exists() and not InteractionLogEntry.objects.exists()


def test_a_segment_without_lines_is_refused(sales_user):
    with pytest.raises(ValidationError) as refused:
        services.log_segment(segment=SegmentFactory(description="Empty"), user=sales_user)
    assert refused.value.messages == ["The segment has no lines: add contacts before logging it."]
    assert not LoggedSegment.objects.exists()


def test_the_page_shows_why_a_segment_cannot_be_logged(sales_client):
    segment = SegmentFactory(description="")
    response = sales_client.post(reverse("interactions:segment-log", args=[segment.number]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("interactions:segment-detail", args=[segment.number])
    assert "Enter a description for the segment before logging it." in page
    assert "The segment has no lines: add contacts before logging it." in page
    assert not LoggedSegment.objects.exists()


def test_a_logged_segment_is_never_logged_again_even_after_its_logged_segment_is_canceled(sales_user, manager_user):
    line = SegmentLineFactory()
    first = services.log_segment(segment=line.segment, user=sales_user).logged_segment
    with pytest.raises(ValidationError, match="has already been logged .* it cannot be logged again"):
        services.log_segment(segment=line.segment, user=sales_user, log_again=True)
    services.set_logged_segment_canceled(logged_segment=first, canceled=True, user=manager_user)
    with pytest.raises(ValidationError, match="has already been logged"):
        services.log_segment(segment=line.segment, user=sales_user)
    assert InteractionLogEntry.objects.count() == 1 and LoggedSegment.objects.count() == 1


def test_logging_needs_the_permission(client):
    line = SegmentLineFactory()
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        services.log_segment(segment=line.segment, user=user)
    client.force_login(user)
    response = client.post(reverse("interactions:segment-log", args=[line.segment.number]))
    assert response.status_code == 403
    assert not InteractionLogEntry.objects.exists()


# --- The entries ------------------------------------------------------------------------


def test_each_line_becomes_an_entry_with_its_values_and_the_header_defaults(sales_user):
    template = InteractionTemplateFactory(group=InteractionGroupFactory(code="LETTER"))
    other_template = InteractionTemplateFactory(group=InteractionGroupFactory(code="PHONE"))
    campaign, other_campaign = CampaignFactory(), CampaignFactory()
    salesperson = SalespersonFactory()
    segment = SegmentFactory(
        description="Autumn visit", salesperson=salesperson, template=template, language_default="en",
        subject_default="Our autumn offer", correspondence_type_default="email", information_flow="outbound",
        initiated_by="us", campaign=campaign,
    )  # fmt: skip
    company = CompanyFactory()
    person = PersonFactory(company=company)
    SegmentLineFactory(segment=segment, contact=person, cost=Decimal("2.50"), duration=10)
    SegmentLineFactory(
        segment=segment, contact=company, description="Personal visit", subject="Contract", template=other_template,
        language="ru", correspondence_type="hard_copy", evaluation="positive", cost=Decimal("5.00"), duration=7,
        information_flow="inbound", initiated_by="them", campaign=other_campaign, campaign_target=True,
        campaign_response=True, contact_via="1 Main St",
    )  # fmt: skip

    result = services.log_segment(segment=segment, user=sales_user)
    assert result.entry_count == 2
    logged = result.logged_segment
    assert (logged.segment_number, logged.description, logged.user, logged.canceled) == (
        segment.number, "Autumn visit", sales_user, False,
    )  # fmt: skip
    first, second = InteractionLogEntry.objects.filter(logged_segment=logged).order_by("entry_no")
    assert first.contact == person and second.contact == company  # in the order of the lines
    assert (first.contact_company, second.contact_company) == (company, company)
    assert (first.description, first.subject, first.template, first.group.code) == (
        "Autumn visit", "Our autumn offer", template, "LETTER",
    )  # fmt: skip
    assert (first.language, first.correspondence_type, first.campaign, first.evaluation) == (
        "en",
        "email",
        campaign,
        "",
    )
    assert (first.cost, first.duration, first.information_flow, first.initiated_by) == (
        Decimal("2.50"), 10, "outbound", "us",
    )  # fmt: skip
    assert (second.description, second.subject, second.template, second.group.code) == (
        "Personal visit", "Contract", other_template, "PHONE",
    )  # fmt: skip
    assert (second.language, second.correspondence_type, second.contact_via, second.evaluation) == (
        "ru", "hard_copy", "1 Main St", "positive",
    )  # fmt: skip
    assert (second.cost, second.duration, second.information_flow, second.initiated_by) == (
        Decimal("5.00"), 7, "inbound", "them",
    )  # fmt: skip
    assert (second.campaign, second.campaign_target, second.campaign_response) == (other_campaign, True, True)
    for entry in (first, second):
        assert entry.date == segment.date and entry.time is None  # the segment's date; the lines have no time
        assert (entry.user, entry.salesperson, entry.segment_number) == (sales_user, salesperson, segment.number)
        assert not entry.canceled and not entry.postponed
    assert list(logged.entries.order_by("entry_no")) == [first, second]


def test_the_follow_up_segment_has_the_same_contacts_and_header(sales_user):
    segment = SegmentFactory(description="Invitation", subject_default="Fair", unit_cost=Decimal("3.00"))
    lines = [
        SegmentLineFactory(segment=segment, evaluation="positive", subject="Own"),
        SegmentLineFactory(segment=segment),
    ]
    result = services.log_segment(segment=segment, user=sales_user, create_follow_up=True)
    follow_up = result.follow_up
    assert follow_up.description == f"Follow-up on segment {segment.number}"
    assert follow_up.number != segment.number and follow_up.created_by == sales_user
    assert (follow_up.template, follow_up.salesperson, follow_up.subject_default, follow_up.unit_cost) == (
        segment.template, segment.salesperson, "Fair", Decimal("3.00"),
    )  # fmt: skip
    copied = list(SegmentLine.objects.filter(segment=follow_up).order_by("id"))
    assert [line.contact_id for line in copied] == [line.contact_id for line in lines]
    assert copied[0].subject == "Own" and copied[0].evaluation == ""  # its evaluation judged the last interaction
    assert SegmentLine.objects.filter(segment=segment).count() == 2  # the segment itself is kept


def test_without_follow_up_no_segment_is_created(sales_user):
    line = SegmentLineFactory()
    result = services.log_segment(segment=line.segment, user=sales_user)
    assert result.follow_up is None and Segment.objects.count() == 1


# --- Queries do not grow with the lines -------------------------------------------------


def _segment_with_lines(count: int, *, prefix: str) -> Segment:
    """A segment of `count` lines, made in bulk (contacts too) so that the test stays fast."""
    company = CompanyFactory()
    contacts = Contact.objects.bulk_create(
        [
            Contact(number=f"{prefix}{n:06d}", type=Contact.Type.PERSON, company=company, name=f"Person {n}")
            for n in range(count)
        ],
        batch_size=2000,
    )
    segment = SegmentFactory(description=f"{count} lines")
    SegmentLine.objects.bulk_create(
        [SegmentLine(segment=segment, contact=contact, contact_company=company, cost=1) for contact in contacts],
        batch_size=2000,
    )
    return segment


def _queries_to_log(segment: Segment, user) -> int:
    user = type(user).objects.get(pk=user.pk)  # a fresh user: its permissions are read each time
    with CaptureQueriesContext(connection) as context:
        result = services.log_segment(segment=segment, user=user, create_follow_up=True)
    assert result.entry_count == SegmentLine.objects.filter(segment=segment).count()
    return len(context)


def test_logging_10000_lines_runs_as_many_queries_as_logging_100(sales_user):
    # The lines become entries (and follow-up lines) by INSERT ... SELECT: one statement
    # however many lines, on SQLite as on PostgreSQL. Strict equality, on both.
    small = _queries_to_log(_segment_with_lines(100, prefix="S"), sales_user)
    large_segment = _segment_with_lines(10_000, prefix="L")
    large = _queries_to_log(large_segment, sales_user)
    assert large == small
    assert InteractionLogEntry.objects.filter(segment_number=large_segment.number).count() == 10_000
    # 19 statements, plus the summary tables' upkeep (one on PostgreSQL, one per table on SQLite).
    assert small <= 19 + summaries.statements_per_change()


# --- Pages ------------------------------------------------------------------------------


def test_logging_from_the_page_redirects_to_its_entries_in_the_log(sales_client):
    segment = SegmentFactory(description="Price list")
    SegmentLineFactory(segment=segment, contact=PersonFactory(name="Anna Smith"))
    SegmentLineFactory(segment=segment, contact=PersonFactory(name="Bob Jones"))
    response = sales_client.post(reverse("interactions:segment-log", args=[segment.number]), {"create_follow_up": "on"})
    logged = LoggedSegment.objects.get()
    assert response.status_code == 302 and response["Location"] == log_url(logged)
    page = sales_client.get(response["Location"]).content.decode()
    assert "2 interactions have been logged." in page
    follow_up = Segment.objects.get(description=f"Follow-up on segment {segment.number}")
    assert f"The follow-up segment {follow_up.number} has been created." in page
    assert "Anna Smith" in page and "Bob Jones" in page

    detail = sales_client.get(reverse("interactions:segment-detail", args=[segment.number])).content.decode()
    assert "Logged" in detail and "Log it again" not in detail and 'id="log-segment"' not in detail
    assert f"logged segment {logged.pk}</a> and can no longer be changed or logged again" in detail


# --- The demo scenario ------------------------------------------------------------------


def test_demo_salesperson_builds_logs_and_finds_a_segment_of_london_persons_without_meetings_last_year(client):
    call_command("load_demo", entries=600, allow_known_passwords=True, stdout=io.StringIO())
    assert client.login(username="sales", password="demo-sales")
    last_year = timezone.localdate().year - 1
    start, end = datetime.date(last_year, 1, 1), datetime.date(last_year, 12, 31)
    london = Contact.objects.filter(type=Contact.Type.PERSON, city="London").select_related("company")
    # Someone in London had a meeting last year, so the history criterion has work to do.
    met = london.first()
    InteractionLogEntryFactory(
        contact=met, template__code="MEETING", template__group__code="MEETING", date=datetime.date(last_year, 6, 1)
    )

    header = {
        "description": "London: meeting invitation",
        "date": timezone.localdate().isoformat(),
        "salesperson": Salesperson.objects.get(code="OI").pk,
        "template": InteractionTemplate.objects.get(code="MEETINV").pk,
    }
    response = client.post(reverse("interactions:segments"), header)
    segment = Segment.objects.get(description="London: meeting invitation")
    assert response["Location"] == reverse("interactions:segment-detail", args=[segment.number])

    response = client.post(
        reverse("interactions:segment-criteria", args=[segment.number]),
        {
            "action": "add", "contact_type": "person", "city": "London", "history": "without",
            "history_group": "MEETING", "history_date_from": start.isoformat(), "history_date_to": end.isoformat(),
            "history_canceled": "no",
        },
    )  # fmt: skip
    assert response.status_code == 302

    had_meeting = set(
        InteractionLogEntry.objects.filter(
            group__code="MEETING", date__range=(start, end), canceled=False, postponed=False
        ).values_list("contact_id", flat=True)
    )
    expected = {
        person.pk
        for person in london
        if person.pk not in had_meeting
        and not person.exclude_from_segments  # each contact's own flag, as in the original
    }
    assert met.pk not in expected and expected
    assert set(SegmentLine.objects.filter(segment=segment).values_list("contact_id", flat=True)) == expected

    response = client.post(reverse("interactions:segment-log", args=[segment.number]), follow=True)
    logged = LoggedSegment.objects.get(segment_number=segment.number)
    assert response.redirect_chain[-1][0] == log_url(logged)
    page = response.content.decode()
    assert f"{len(expected)} interactions have been logged." in page
    entries = InteractionLogEntry.objects.filter(logged_segment=logged)
    assert set(entries.values_list("contact_id", flat=True)) == expected
    for name in Contact.objects.filter(pk__in=expected).values_list("name", flat=True):
        assert name in page
    assert all(entry.salesperson.code == "OI" for entry in entries.select_related("salesperson"))


# --- The segment's date, template and salesperson ---------------------------------------


def test_entries_carry_the_segments_date_and_the_lines_time(sales_user):
    planned = timezone.localdate() + datetime.timedelta(days=10)
    back_dated = timezone.localdate() - datetime.timedelta(days=40)
    for date in (planned, back_dated):
        segment = SegmentFactory(date=date)
        timed = SegmentLineFactory(segment=segment, time=datetime.time(9, 30))
        untimed = SegmentLineFactory(segment=segment)
        services.log_segment(segment=segment, user=sales_user)
        entries = {
            entry.contact_id: entry for entry in InteractionLogEntry.objects.filter(segment_number=segment.number)
        }
        assert (entries[timed.contact_id].date, entries[timed.contact_id].time) == (date, datetime.time(9, 30))
        assert (entries[untimed.contact_id].date, entries[untimed.contact_id].time) == (date, None)


def test_a_segment_without_template_or_salesperson_is_refused_naming_the_lines_that_lack_them(sales_user):
    segment = SegmentFactory(template=None, salesperson=None, description="Mailing")
    template, salesperson = InteractionTemplateFactory(), SalespersonFactory()
    complete = SegmentLineFactory(segment=segment, template=template, salesperson=salesperson)
    no_template = SegmentLineFactory(segment=segment, salesperson=salesperson, contact=PersonFactory(name="Ann Lee"))
    no_salesperson = SegmentLineFactory(segment=segment, template=template, contact=PersonFactory(name="Bob Ray"))
    with pytest.raises(ValidationError) as refused:
        services.log_segment(segment=segment, user=sales_user)
    assert refused.value.messages == [
        "Choose an interaction template on the segment or on every line: these lines have none: "
        f"{no_template.contact.number} Ann Lee.",
        "Choose a salesperson on the segment or on every line: these lines have none: "
        f"{no_salesperson.contact.number} Bob Ray.",
    ]
    assert not LoggedSegment.objects.exists() and not InteractionLogEntry.objects.exists()

    SegmentLine.objects.filter(pk=no_template.pk).update(template=template)
    SegmentLine.objects.filter(pk=no_salesperson.pk).update(salesperson=salesperson)
    services.log_segment(segment=segment, user=sales_user)  # every line has both: logged
    entries = InteractionLogEntry.objects.filter(segment_number=segment.number)
    assert {(entry.template_id, entry.salesperson_id) for entry in entries} == {(template.pk, salesperson.pk)}
    assert entries.count() == 3 and complete.contact_id in {entry.contact_id for entry in entries}


def test_a_lines_salesperson_wins_over_the_headers(sales_user):
    segment = SegmentFactory()
    own = SalespersonFactory()
    mine = SegmentLineFactory(segment=segment, salesperson=own)
    header = SegmentLineFactory(segment=segment)
    services.log_segment(segment=segment, user=sales_user)
    by_contact = dict(
        InteractionLogEntry.objects.filter(segment_number=segment.number).values_list("contact_id", "salesperson_id")
    )
    assert by_contact == {mine.contact_id: own.pk, header.contact_id: segment.salesperson_id}


def test_the_page_names_the_lines_without_template(sales_client):
    segment = SegmentFactory(template=None, description="Mailing")
    SegmentLineFactory(segment=segment, contact=PersonFactory(name="Ann Lee"))
    response = sales_client.post(reverse("interactions:segment-log", args=[segment.number]), follow=True)
    assert "these lines have none:" in response.content.decode() and "Ann Lee" in response.content.decode()
    assert not LoggedSegment.objects.exists()


def _queries_to_log_small(count: int, user) -> int:
    segment = _segment_with_lines(count, prefix=f"Q{count}-")
    SegmentLine.objects.filter(segment=segment).update(time=datetime.time(10, 0))
    return _queries_to_log(segment, user)


def test_logging_10_or_200_lines_runs_the_same_queries_with_the_new_checks(sales_user):
    assert _queries_to_log_small(10, sales_user) == _queries_to_log_small(200, sales_user)
