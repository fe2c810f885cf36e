"""The summary tables (models/summaries.py) stay exact: after a random sequence of what users
do through the services (record, complete a postponed interaction, log a segment, cancel and
restore entries and logged segments, evaluate, purge, restore a purge's archive), every
summary row equals an aggregate over the raw log, the canceled entries' count included; the
rebuild command finds the same rows; the purge page's count from them equals the log's;
the pages that read them run the same queries however long the log."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interactions.models import (
    CompanyMonthSummary,
    ContactMonthSummary,
    InitiatedBy,
    InteractionDaySummary,
    InteractionLogEntry,
    LoggedSegment,
)
from interactions.selectors import statistics
from interactions.selectors.campaigns import campaign_statistics
from interactions.selectors.purge import PurgeFilter, canceled_entries, canceled_entry_count, counted_by_summary
from interactions.services import log_entries, segments
from interactions.services.purge.archive import restore_purged_interactions
from interactions.services.purge.service import purge_canceled_interactions
from interactions.services.recording import InteractionDetails, complete_postponed_interaction, record_interaction

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

START = datetime.date(2026, 1, 20)  # the entries fall in three months: January to March


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def expected_summaries() -> dict:
    """The summary rows an aggregate over the raw log gives (computed here in Python)."""
    days, contacts, companies = defaultdict(lambda: [0, Decimal(0), 0, 0, 0, 0]), {}, {}
    for entry in InteractionLogEntry.objects.filter(canceled=True):  # what a purge deletes, postponed or not
        days[(entry.date, entry.template_id, entry.group_id, entry.salesperson_id, entry.campaign_id)][5] += 1
    for entry in InteractionLogEntry.objects.filter(canceled=False, postponed=False):
        key = (entry.date, entry.template_id, entry.group_id, entry.salesperson_id, entry.campaign_id)
        row = days[key]
        row[0] += 1
        row[1] += entry.cost
        row[2] += entry.duration
        row[3] += int(entry.campaign_target)
        row[4] += int(entry.campaign_response)
        for table, owner in ((contacts, entry.contact_id), (companies, entry.contact_company_id)):
            if owner is None:
                continue
            month = table.setdefault((owner, _month(entry.date)), [0, Decimal(0), 0, None, None])
            month[0] += 1
            month[1] += entry.cost
            month[2] += entry.duration
            if not entry.attempt_failed:
                month[3] = max(filter(None, [month[3], entry.date]))
            if entry.initiated_by == InitiatedBy.US:
                month[4] = max(filter(None, [month[4], entry.date]))
    return {
        "days": {key: (row[0], _cents(row[1]), *row[2:]) for key, row in days.items()},
        "contacts": {key: (row[0], _cents(row[1]), *row[2:]) for key, row in contacts.items()},
        "companies": {key: (row[0], _cents(row[1]), *row[2:]) for key, row in companies.items()},
    }


def stored_summaries() -> dict:
    """The summary rows as stored; a row counting nothing must be all zeros (and is left out)."""
    days, contacts, companies = {}, {}, {}
    for row in InteractionDaySummary.objects.all():
        values = (row.count, _cents(row.cost), row.duration, row.campaign_targets, row.campaign_responses, row.canceled)
        if row.count == 0:
            assert values[:5] == (0, 0, 0, 0, 0), row
        if values == (0, 0, 0, 0, 0, 0):
            continue
        days[(row.date, row.template_id, row.group_id, row.salesperson_id, row.campaign_id)] = values
    for model, owner, table in (
        (ContactMonthSummary, "contact_id", contacts),
        (CompanyMonthSummary, "company_id", companies),
    ):
        for row in model.objects.all():
            values = (row.count, _cents(row.cost), row.duration, row.last_interaction_date, row.last_attempted_date)
            assert row.month.day == 1 and row.month_end == _month(row.month + datetime.timedelta(days=31)) - (
                datetime.timedelta(days=1)
            )
            if row.count == 0:
                assert values == (0, 0, 0, None, None), row
                continue
            table[(getattr(row, owner), row.month)] = values
    return {"days": days, "contacts": contacts, "companies": companies}


def assert_exact():
    assert stored_summaries() == expected_summaries()


class World:
    """Contacts, templates and a user to act with, and a random source."""

    def __init__(self, rng: random.Random, user):
        self.rng = rng
        self.user = user
        self.companies = [CompanyFactory(), CompanyFactory()]
        self.contacts = [
            *self.companies,
            *(PersonFactory(company=self.rng.choice(self.companies)) for _ in range(4)),
            PersonFactory(company=None),  # a person of no company
        ]
        groups = [InteractionGroupFactory(code="G1"), InteractionGroupFactory(code="G2")]
        self.templates = [
            InteractionTemplateFactory(code=f"T{number}", group=groups[number % 2], unit_cost=Decimal("1.50"))
            for number in range(3)
        ]
        self.salespeople = [SalespersonFactory(), SalespersonFactory()]
        self.campaigns = [None, CampaignFactory()]

    def day(self) -> datetime.date:
        return START + datetime.timedelta(days=self.rng.randrange(60))

    def details(self, **changes) -> InteractionDetails:
        rng = self.rng
        values = {
            "contact": rng.choice(self.contacts),
            "template": rng.choice(self.templates),
            "salesperson": rng.choice(self.salespeople),
            "date": self.day(),
            "description": "Random interaction",
            "initiated_by": rng.choice([InitiatedBy.US, InitiatedBy.THEM]),
            "attempt_failed": rng.random() < 0.3,
            "cost": Decimal(rng.randrange(0, 1000)) / 100,
            "duration": rng.randrange(0, 90),
            "campaign": rng.choice(self.campaigns),
            "campaign_target": rng.random() < 0.5,
            "campaign_response": rng.random() < 0.3,
        }
        values.update(changes)
        return InteractionDetails(**values)

    def entry_numbers(self, **filters) -> list[int]:
        numbers = list(InteractionLogEntry.objects.filter(postponed=False, **filters).values_list("pk", flat=True))
        return self.rng.sample(numbers, min(len(numbers), self.rng.randint(1, 4)))

    # The operations ----------------------------------------------------------------------

    def record(self):
        record_interaction(details=self.details(), user=self.user)

    def complete_postponed(self):
        postponed = record_interaction(details=self.details(), user=self.user, postpone=True)
        assert_exact()  # a postponed interaction is not counted
        complete_postponed_interaction(entry=postponed, details=self.details(), user=self.user)

    def log_segment(self):
        rng = self.rng
        segment = SegmentFactory(
            template=rng.choice(self.templates), salesperson=rng.choice(self.salespeople), date=self.day()
        )
        for contact in rng.sample(self.contacts, rng.randint(1, len(self.contacts))):
            SegmentLineFactory(
                segment=segment,
                contact=contact,
                contact_company=contact if contact.is_company else contact.company,
                template=rng.choice([None, *self.templates]),
                salesperson=rng.choice([None, *self.salespeople]),
                campaign=rng.choice(self.campaigns),
                campaign_target=rng.random() < 0.5,
                initiated_by=rng.choice(["", InitiatedBy.US, InitiatedBy.THEM]),
                cost=Decimal(rng.randrange(0, 500)) / 100,
                duration=rng.randrange(0, 30),
            )
        segments.log_segment(segment=segment, user=self.user)

    def cancel(self):
        log_entries.cancel_entries(entry_numbers=self.entry_numbers(), user=self.user)

    def restore(self):
        log_entries.restore_entries(entry_numbers=self.entry_numbers(canceled=True), user=self.user)

    def cancel_or_restore_logged_segment(self):
        logged = LoggedSegment.objects.order_by("?").first()
        if logged is not None:
            segments.set_logged_segment_canceled(
                logged_segment=logged, canceled=self.rng.random() < 0.6, user=self.user
            )

    def evaluate(self):
        log_entries.evaluate_entries(
            entry_numbers=self.entry_numbers(), evaluation=self.rng.choice(["positive", "negative"]), user=self.user
        )

    def purge_filter(self) -> PurgeFilter:
        """A random purge filter: any of the bounds the day summary knows, sometimes one it
        does not know (the count then comes from the log)."""
        rng = self.rng
        first, last = sorted([self.day(), self.day()])
        template = rng.choice(self.templates)
        values = {
            "date_from": first,
            "date_to": last,
            "template_id": template.pk,
            "group_id": template.group_id,
            "salesperson_id": rng.choice(self.salespeople).pk,
            "campaign_id": self.campaigns[1].pk,
            "contact_id": rng.choice(self.contacts).pk,
            "entry_from": InteractionLogEntry.objects.order_by("pk").values_list("pk", flat=True).first(),
            "canceled_before": timezone.now(),
        }
        chosen = rng.sample(sorted(values), rng.choice([0, 0, 1, 1, 2, 3]))
        return PurgeFilter(**{name: values[name] for name in chosen})

    def purge(self):
        # Now and then into an archive, which restore_archive may bring back.
        self.archive = self.directory / f"purge-{self.rng.randrange(10**9)}.jsonl" if self.rng.random() < 0.5 else None
        purge_canceled_interactions(
            filters=self.purge_filter(), batch_size=self.rng.choice([1, 3, 1000]), archive_path=self.archive
        )

    def restore_archive(self):
        if getattr(self, "archive", None) is not None and self.archive.exists():
            restore_purged_interactions(path=self.archive, skip_existing=True)
        self.archive = None

    OPERATIONS = [
        (record, 5),
        (complete_postponed, 2),
        (log_segment, 3),
        (cancel, 4),
        (restore, 3),
        (cancel_or_restore_logged_segment, 2),
        (evaluate, 1),
        (purge, 2),
        (restore_archive, 1),
    ]


def _contact_statistics_from_the_log(contact, date_from, date_to) -> statistics.ContactStatistics:
    entries = statistics.counted_entries(date_from=date_from, date_to=date_to)
    entries = entries.filter(contact_company=contact) if contact.is_company else entries.filter(contact=contact)
    dates = [entry.date for entry in entries if not entry.attempt_failed]
    attempted = [entry.date for entry in entries if entry.initiated_by == InitiatedBy.US]
    return statistics.ContactStatistics(
        count=entries.count(),
        cost=sum((entry.cost for entry in entries), Decimal(0)),
        duration=sum(entry.duration for entry in entries),
        last_interaction_date=max(dates, default=None),
        last_attempted_date=max(attempted, default=None),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summaries_equal_the_raw_log_after_random_operations_and_the_rebuild_finds_the_same(
    seed, manager_user, tmp_path
):
    rng = random.Random(seed)
    world = World(rng, manager_user)
    world.directory = tmp_path
    operations, weights = zip(*World.OPERATIONS, strict=True)
    done = []
    for _step in range(40):
        operation = rng.choices(operations, weights)[0]
        operation(world)
        done.append(operation.__name__)
        assert stored_summaries() == expected_summaries(), done
    assert InteractionLogEntry.objects.filter(canceled=False, postponed=False).exists()

    # The purge page's count (from the day summary when the filter allows it) equals the
    # number of entries the purge would delete.
    answered_by = set()
    for _check in range(30):
        filters = world.purge_filter()
        answered_by.add("summary" if counted_by_summary(filters) else "log")
        assert canceled_entry_count(filters=filters) == canceled_entries(filters=filters).count(), filters
    assert answered_by == {"summary", "log"}

    # The contact card's statistics for random date ranges (whole months from the summary,
    # the cut months' days from the log) equal those over the log.
    for _check in range(30):
        contact = rng.choice(world.contacts)
        first, last = sorted([world.day(), world.day()])
        date_from = rng.choice([None, first, _month(first)])
        date_to = rng.choice([None, last, _month(last + datetime.timedelta(days=31)) - datetime.timedelta(days=1)])
        assert statistics.contact_statistics(
            contact, date_from=date_from, date_to=date_to
        ) == _contact_statistics_from_the_log(contact, date_from, date_to), (contact, date_from, date_to)

    # The readers switched to the summaries give what the log gives.
    for _check in range(10):
        first, last = sorted([world.day(), world.day()])
        date_from, date_to = rng.choice([None, first]), rng.choice([None, last])
        for field in ("template", "group", "salesperson"):
            from_log = {
                row.pop(f"{field}_id"): statistics.InteractionTotals(**row)
                for row in statistics.counted_entries(date_from=date_from, date_to=date_to)
                .filter(**{f"{field}__isnull": False})
                .values(f"{field}_id")
                .annotate(**statistics._TOTALS)
                .order_by()
            }
            summed = statistics.totals_by(field, date_from=date_from, date_to=date_to)
            assert {key: value for key, value in summed.items() if value.count} == from_log
    for template in world.templates:
        assert statistics.template_totals(template) == statistics.totals(
            statistics.counted_entries().filter(template=template)
        )
        assert statistics.group_totals(template.group) == statistics.totals(
            statistics.counted_entries().filter(group=template.group)
        )
    campaign = world.campaigns[1]
    counted = statistics.counted_entries().filter(campaign=campaign)
    figures = campaign_statistics(campaign)
    assert (figures.count, _cents(figures.cost), figures.duration, figures.targets, figures.responses) == (
        counted.count(),
        _cents(sum((entry.cost for entry in counted), Decimal(0))),
        sum(entry.duration for entry in counted),
        counted.filter(campaign_target=True).count(),
        counted.filter(campaign_response=True).count(),
    )
    for contact in world.contacts:
        entries = statistics.counted_entries()
        entries = entries.filter(contact_company=contact) if contact.is_company else entries.filter(contact=contact)
        per_month = statistics.interactions_per_month(contact, months=120)
        assert sum(per_month["values"]) == entries.count()
        today = timezone.localdate()
        back = today.year * 12 + today.month - (START.year * 12 + 1)  # months from January to now
        assert [per_month["values"][-1 - back + offset] for offset in (0, 1, 2)] == [
            entries.filter(date__month=month).count() for month in (1, 2, 3)
        ]

    maintained = stored_summaries()
    call_command("rebuild_interaction_summaries", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored_summaries() == maintained
    assert not InteractionDaySummary.objects.filter(count=0, canceled=0).exists()  # the rebuild keeps no empty row


def test_a_purge_takes_what_it_deleted_out_of_the_canceled_count_and_changes_no_counted_figure(manager_user):
    world = World(random.Random(7), manager_user)
    for _record in range(6):
        world.record()
    numbers = sorted(InteractionLogEntry.objects.values_list("pk", flat=True))
    log_entries.cancel_entries(entry_numbers=numbers[:3], user=manager_user)
    assert canceled_entry_count(filters=PurgeFilter()) == 3
    counted_before = {key: values[:5] for key, values in stored_summaries()["days"].items() if values[0]}

    assert purge_canceled_interactions(filters=PurgeFilter(entry_to=numbers[1])) == 2

    assert canceled_entry_count(filters=PurgeFilter()) == 1
    assert {key: values[:5] for key, values in stored_summaries()["days"].items() if values[0]} == counted_before
    assert_exact()


def test_entries_restored_from_a_purge_archive_count_as_canceled_again(manager_user, tmp_path):
    world = World(random.Random(8), manager_user)
    for _record in range(5):
        world.record()
    numbers = sorted(InteractionLogEntry.objects.values_list("pk", flat=True))
    log_entries.cancel_entries(entry_numbers=numbers[:3], user=manager_user)
    archive = tmp_path / "purge.jsonl"
    assert purge_canceled_interactions(archive_path=archive) == 3
    assert canceled_entry_count(filters=PurgeFilter()) == 0

    restore_purged_interactions(path=archive)

    assert canceled_entry_count(filters=PurgeFilter()) == 3
    assert_exact()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_statistics_pages_run_the_same_queries_however_long_the_log():
    company = CompanyFactory()
    persons = PersonFactory.create_batch(2, company=company)
    template = InteractionTemplateFactory(code="CALL")
    client = Client()
    client.force_login(UserFactory(groups=["Sales manager"]))
    month_ago = datetime.date.today() - datetime.timedelta(days=30)
    pages = [
        "/",
        reverse("interactions:templates"),
        reverse("interactions:templates") + f"?date_from={month_ago:%Y-%m-%d}",
        reverse("interactions:template-detail", args=[template.code]),
        reverse("interactions:groups"),
        reverse("interactions:salespeople"),
        reverse("contacts:detail", args=[company.number]),
        reverse("contacts:detail", args=[persons[0].number]),
    ]

    def log(count):
        for index in range(count):
            InteractionLogEntryFactory(
                contact=persons[index % 2],
                contact_company=company,
                template=template,
                date=datetime.date.today() - datetime.timedelta(days=index % 90),
            )

    log(5)
    few = [_queries(client, url) for url in pages]
    log(120)
    assert [_queries(client, url) for url in pages] == few


def test_a_contact_whose_entries_were_all_purged_can_be_deleted_with_its_summary_rows(manager_user):
    company = CompanyFactory()
    person = PersonFactory(company=company)
    entry = InteractionLogEntryFactory(contact=person, contact_company=company)
    log_entries.cancel_entries(entry_numbers=[entry.pk], user=manager_user)
    assert purge_canceled_interactions() == 1
    assert ContactMonthSummary.objects.filter(contact=person, count=0).exists()

    person.delete()
    company.delete()

    assert not ContactMonthSummary.objects.filter(contact_id=person.pk).exists()
    assert not CompanyMonthSummary.objects.filter(company_id=company.pk).exists()
