"""The campaign list and card of the host (they work without the interactions module too)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from .factories import CampaignFactory, SalespersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(groups=["Sales staff"]))
    return client


def test_the_campaign_list_shows_each_campaign_with_its_dates_salesperson_and_status(staff_client):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    CampaignFactory(number="CP0001", description="Spring fair", salesperson=SalespersonFactory(code="JR"),
                    starting_date=today - 10 * day, ending_date=today - day)  # fmt: skip
    CampaignFactory(number="CP0002", description="Autumn mailing", starting_date=today + datetime.timedelta(days=5))
    html = staff_client.get(reverse("contacts:campaigns")).content.decode()
    assert "Spring fair" in html and "Autumn mailing" in html
    assert ">JR<" in html
    assert "Ended" in html and "Planned" in html
    assert reverse("contacts:campaign-detail", args=["CP0002"]) in html


def test_the_campaign_list_runs_the_same_queries_for_3_or_30_campaigns(staff_client, django_assert_max_num_queries):
    CampaignFactory.create_batch(3, salesperson=SalespersonFactory())
    with django_assert_max_num_queries(99) as few:
        staff_client.get(reverse("contacts:campaigns"))
    CampaignFactory.create_batch(27, salesperson=SalespersonFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(reverse("contacts:campaigns"))


def test_the_campaign_card_shows_its_details(staff_client):
    CampaignFactory(number="CP0007", description="Trade show", salesperson=SalespersonFactory(code="EM", name="Emily"))
    response = staff_client.get(reverse("contacts:campaign-detail", args=["cp0007"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trade show" in html and "EM" in html and "Active" in html


def test_campaigns_is_not_read_as_a_contact_number_and_an_unknown_campaign_is_404(staff_client):
    assert staff_client.get("/contacts/campaigns/").status_code == 200
    assert staff_client.get(reverse("contacts:campaign-detail", args=["CP9999"])).status_code == 404


def test_the_campaign_pages_need_the_view_campaign_permission(client):
    client.force_login(UserFactory())
    CampaignFactory(number="CP0001")
    assert client.get(reverse("contacts:campaigns")).status_code == 403
    assert client.get(reverse("contacts:campaign-detail", args=["CP0001"])).status_code == 403
