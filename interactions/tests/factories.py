import datetime

import factory
from django.utils import timezone

from crm.contacts.tests.factories import (  # noqa: F401  (one place to import every factory from)
    CampaignFactory,
    CompanyFactory,
    PersonFactory,
    SalespersonFactory,
    UserFactory,
)
from interactions.models import (
    InformationFlow,
    InitiatedBy,
    InteractionComment,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
    Segment,
    SegmentLine,
)


class InteractionGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"GRP{n}")
    description = factory.Faker("bs")


class InteractionTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionTemplate
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TPL{n}")
    group = factory.SubFactory(InteractionGroupFactory)
    description = factory.Faker("sentence", nb_words=3)
    unit_cost = 10
    unit_duration = 15
    information_flow = InformationFlow.OUTBOUND
    initiated_by = InitiatedBy.US


class InteractionTemplateLanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionTemplateLanguage

    template = factory.SubFactory(InteractionTemplateFactory)
    language = "en"
    description = factory.Faker("sentence", nb_words=3)


class InteractionLogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionLogEntry

    contact = factory.SubFactory(PersonFactory)
    contact_company = factory.LazyAttribute(lambda e: e.contact.company if e.contact.company_id else e.contact)
    template = factory.SubFactory(InteractionTemplateFactory)
    group = factory.LazyAttribute(lambda e: e.template.group if e.template else None)
    date = factory.LazyFunction(timezone.localdate)  # the site's today (TIME_ZONE), not the machine's
    time = datetime.time(10, 0)
    description = factory.Faker("sentence", nb_words=4)
    information_flow = factory.LazyAttribute(lambda e: e.template.information_flow if e.template else "")
    initiated_by = factory.LazyAttribute(lambda e: e.template.initiated_by if e.template else "")
    cost = factory.LazyAttribute(lambda e: e.template.unit_cost if e.template else 0)
    duration = factory.LazyAttribute(lambda e: e.template.unit_duration if e.template else 0)
    salesperson = factory.LazyAttribute(lambda e: e.contact.salesperson)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """As the services log an entry: the summary tables count it in the same transaction."""
        from django.db import transaction

        from interactions.services import summaries

        with transaction.atomic():
            entry = super()._create(model_class, *args, **kwargs)
            summaries.entry_logged(entry)
        return entry


class InteractionCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionComment

    entry = factory.SubFactory(InteractionLogEntryFactory)
    text = factory.Faker("sentence")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    description = factory.Faker("sentence", nb_words=3)
    salesperson = factory.SubFactory(SalespersonFactory)
    template = factory.SubFactory(InteractionTemplateFactory)


class SegmentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SegmentLine

    segment = factory.SubFactory(SegmentFactory)
    contact = factory.SubFactory(PersonFactory)
    contact_company = factory.LazyAttribute(lambda line: line.contact.company)


class LoggedSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoggedSegment

    description = factory.Faker("sentence", nb_words=3)
