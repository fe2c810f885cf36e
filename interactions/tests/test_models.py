from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from interactions.forms.setup import InteractionTemplateLanguageFormSet, InteractionTemplateSetupForm
from interactions.models import InformationFlow, InteractionLogEntry, InteractionTemplateSetup
from interactions.services.setup import save_template, save_template_setup

from .factories import (
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    InteractionTemplateLanguageFactory,
    PersonFactory,
    SalespersonFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "change",
    [
        {"cost": Decimal("-1")},
        {"duration": -5},
        {"description": ""},
    ],
)
def test_database_refuses_bad_log_entries(change):
    entry = InteractionLogEntryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionLogEntry.objects.filter(pk=entry.pk).update(**change)


def test_database_refuses_negative_template_cost_and_duplicate_codes():
    template = InteractionTemplateFactory(code="LETTER")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(template).objects.filter(pk=template.pk).update(unit_cost=Decimal("-0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionTemplateFactory._meta.model.objects.create(code="LETTER", group=template.group, description="x")


def test_database_keeps_one_row_per_template_language():
    row = InteractionTemplateLanguageFactory(language="ru")
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionTemplateLanguageFactory(template=row.template, language="ru")


def test_template_setup_is_a_single_row():
    InteractionTemplateSetup.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionTemplateSetup.objects.create(id=2)


def _language_formset(template, rows):
    data = {
        "languages-TOTAL_FORMS": str(len(rows)),
        "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000",
    }
    for index, language in enumerate(rows):
        data[f"languages-{index}-language"] = language
        data[f"languages-{index}-description"] = f"Letter {language}"
    return InteractionTemplateLanguageFormSet(data, instance=template, prefix="languages")


def test_default_language_must_have_a_row():
    template = InteractionTemplateFactory(language_default="ru")
    formset = _language_formset(template, ["en"])
    assert not formset.is_valid()
    assert "default language" in " ".join(formset.non_form_errors())


def test_default_language_with_its_row_is_accepted():
    template = InteractionTemplateFactory(language_default="ru")
    formset = _language_formset(template, ["en", "ru"])
    assert formset.is_valid(), formset.errors
    save_template(template=template, languages=formset.language_changes(), user=None)
    assert sorted(template.languages.values_list("language", flat=True)) == ["en", "ru"]


def test_template_setup_refuses_a_template_with_languages():
    template = InteractionTemplateLanguageFactory().template
    form = InteractionTemplateSetupForm({"sales_invoice": template.pk}, instance=InteractionTemplateSetup.load())
    assert not form.is_valid()
    assert "language rows" in form.errors["sales_invoice"][0]
    assert InteractionTemplateSetup.template_for("sales_invoice") is None


def test_template_setup_accepts_a_template_without_languages():
    template = InteractionTemplateFactory()
    form = InteractionTemplateSetupForm({"sales_invoice": template.pk}, instance=InteractionTemplateSetup.load())
    assert form.is_valid(), form.errors
    save_template_setup(templates_by_event=form.templates_by_event(), user=None)
    assert InteractionTemplateSetup.template_for("sales_invoice") == template
    assert InteractionTemplateSetup.events_using(template.pk) == ["sales_invoice"]


def test_a_template_used_in_the_setup_refuses_language_rows():
    template = InteractionTemplateFactory()
    setup = InteractionTemplateSetup.load()
    setup.emails = template
    setup.save()
    row = InteractionTemplateLanguageFactory.build(template=template)
    with pytest.raises(ValidationError, match="cannot have language rows"):
        row.full_clean()


def test_entry_title_says_who_for_outbound_and_inbound():
    salesperson = SalespersonFactory(name="Olga Ivanova")
    contact = PersonFactory(name="John Smith")
    outbound = InteractionLogEntryFactory(
        contact=contact,
        salesperson=salesperson,
        template__description="Phone call",
        information_flow=InformationFlow.OUTBOUND,
    )
    inbound = InteractionLogEntryFactory(
        contact=contact,
        salesperson=salesperson,
        template__description="Letter",
        information_flow=InformationFlow.INBOUND,
    )
    assert outbound.title == "Phone call by Olga Ivanova"
    assert inbound.title == "Letter from John Smith"
