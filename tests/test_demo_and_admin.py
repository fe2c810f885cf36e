"""The demo data and the Django admin pages of the interactions module, in the project.
(The host's own: crm/tests/test_foundation.py.)"""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import loaded_once
from crm.contacts.models import Contact, Salesperson
from interactions.models import InteractionLogEntry, InteractionTemplateSetup

pytestmark = pytest.mark.django_db


def load_the_demo():
    call_command("load_demo", entries=300, allow_known_passwords=True, stdout=io.StringIO())


@pytest.fixture
def demo(db):
    """The demo data for one test (the test of load_demo itself)."""
    load_the_demo()


def test_demo_data_is_idempotent(demo):
    counts = (Contact.objects.count(), Salesperson.objects.count(), InteractionLogEntry.objects.count())
    call_command("load_demo", entries=300, allow_known_passwords=True, stdout=open("/dev/null", "w"))
    assert (Contact.objects.count(), Salesperson.objects.count(), InteractionLogEntry.objects.count()) == counts


def test_demo_data_in_russian_has_russian_groups_templates_campaigns_and_segments(db):
    from crm.contacts.models import Campaign
    from interactions.models import InteractionGroup, InteractionTemplate, Segment

    call_command("load_demo", entries=50, language="ru", allow_known_passwords=True, stdout=io.StringIO())
    assert InteractionGroup.objects.get(code="LETTER").description == "Письма"
    assert InteractionTemplate.objects.get(code="BUS").description == "Деловое письмо"
    assert set(Campaign.objects.values_list("description", flat=True)) == {
        "Весенняя выставка", "Программа лояльности", "Запуск новой линейки продукции",
    }  # fmt: skip
    assert "Клиенты в Москве: осенний визит" in set(Segment.objects.values_list("description", flat=True))
    entry = InteractionLogEntry.objects.filter(template__code="OUTGOING").first()
    assert entry.description == "Исходящий звонок"

    # Again in English: the groups, templates and campaigns are brought back, nothing doubles.
    campaigns = Campaign.objects.count()
    call_command("load_demo", entries=50, allow_known_passwords=True, stdout=io.StringIO())
    assert InteractionGroup.objects.get(code="LETTER").description == "Letters"
    assert Campaign.objects.count() == campaigns
    assert Campaign.objects.filter(description="Spring trade fair").exists()


@pytest.fixture(scope="class")
def shared_demo(request):
    """The demo data, loaded once for the tests that only read it (see `loaded_once`)."""
    yield from loaded_once(request, load_the_demo)


@pytest.mark.usefixtures("shared_demo")
class TestOnTheDemoData:
    def test_demo_administrator_reaches_the_admin_and_the_template_setup(self, client):
        assert client.login(username="admin", password="demo-admin")
        assert client.get(reverse("admin:index")).status_code == 200
        response = client.get(reverse("admin:interactions_interactiontemplatesetup_changelist"), follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        for section in ["General", "Sales", "Purchases", "Service"]:
            assert f'class="fieldset-heading">{section}</h2>' in page
        assert "Outgoing calls" in page

    def test_template_setup_page_refuses_a_template_with_languages(self, client):
        assert client.login(username="admin", password="demo-admin")
        setup = InteractionTemplateSetup.load()
        url = reverse("admin:interactions_interactiontemplatesetup_change", args=[setup.pk])
        form = client.get(url).context["adminform"].form
        data = {name: (value.pk if hasattr(value, "pk") else value or "") for name, value in form.initial.items()}
        data = {name: data.get(name) or "" for name in form.fields}
        bus_letter = InteractionLogEntry._meta.get_field("template").related_model.objects.get(code="BUS")
        data["emails"] = bus_letter.pk
        response = client.post(url, data)
        assert response.status_code == 200
        assert "has language rows" in response.content.decode()
        assert InteractionTemplateSetup.load().emails.code == "EMAIL"

    def test_log_entries_are_read_only_in_the_admin(self, client):
        assert client.login(username="admin", password="demo-admin")
        entry = InteractionLogEntry.objects.first()
        change = client.get(reverse("admin:interactions_interactionlogentry_change", args=[entry.pk]))
        assert change.status_code == 200
        assert b'name="_save"' not in change.content
        assert client.get(reverse("admin:interactions_interactionlogentry_add")).status_code == 403
        delete = client.post(reverse("admin:interactions_interactionlogentry_delete", args=[entry.pk]), {"post": "yes"})
        assert delete.status_code == 403
        assert InteractionLogEntry.objects.filter(pk=entry.pk).exists()

    def test_demo_data_has_canceled_postponed_and_segment_entries(self):
        entries = InteractionLogEntry.objects
        assert entries.filter(canceled=True).exists()
        assert entries.filter(postponed=True).exists()
        assert entries.exclude(logged_segment=None).exists()
        assert Contact.objects.filter(name__regex=r"[А-Яа-я]").exists()
        assert Contact.objects.filter(name__regex=r"^[A-Za-z]").exists()
        assert InteractionTemplateSetup.template_for("sales_invoice").code == "S-INVOICE"
