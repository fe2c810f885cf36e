"""The webhook page (/interactions/webhooks/) and the admin: administrators only; creating
a subscription shows its secret once; editing, enabling again, sending a test event to a
real receiver and rotating the secret; the delivery log."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from interactions.models import WebhookAttempt, WebhookEvent, WebhookSubscription
from interactions.services import webhooks

from .factories import UserFactory
from .webhook_support import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

LIST = reverse("interactions:webhooks")
CREATE = reverse("interactions:webhook-create")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", groups=["Administrator"], is_staff=True))
    return client


@pytest.fixture
def receiver(settings):
    settings.INTERACTIONS_WEBHOOK_TIMEOUT = 2
    with Receiver().running() as running:
        yield running


def shown_secret(page: str) -> str | None:
    found = re.search(r'id="webhook-secret"[^>]*>(whsec_[\w-]+)<', page)
    return found.group(1) if found else None


def create(client, **fields):
    data = {"description": "Shop", "url": "https://shop.example.com/hooks", "events": ["entry.created"], **fields}
    return client.post(CREATE, data)


def test_an_administrator_creates_a_subscription_and_sees_its_secret_once(admin_client):
    response = create(admin_client, events=["entry.created", "entry.canceled"])

    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == subscription.get_absolute_url()
    assert subscription.events == ["entry.canceled", "entry.created"] and subscription.active
    page = admin_client.get(response["Location"]).content.decode()
    assert shown_secret(page) == subscription.secret
    assert "it is not shown again" in page
    # Never again: not on the page a second time, nor on the list or the edit page.
    for url in (subscription.get_absolute_url(), LIST, reverse("interactions:webhook-edit", args=[subscription.pk])):
        assert subscription.secret not in admin_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"events": []}, "This field is required."),
        ({"events": ["entry.exploded"]}, "Select a valid choice."),
        ({"url": "ftp://shop.example.com/"}, "Enter an http:// or https:// address."),
        ({"url": "shop example"}, "Enter a valid URL."),
        ({"description": ""}, "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_creates_nothing(admin_client, fields, message):
    response = create(admin_client, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_service_refuses_what_the_form_would(admin_client):
    with pytest.raises(ValidationError) as refused:
        webhooks.subscribe(description=" ", url="javascript:alert(1)", events=["nope"], user=None)
    assert set(refused.value.message_dict) == {"description", "url", "events"}


def test_enabling_a_disabled_subscription_again_starts_the_failure_count_over(admin_client):
    subscription = webhooks.subscribe(description="Shop", url="https://shop.example.com/", events=["entry.created"],
                                      user=None)  # fmt: skip
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False, consecutive_failures=20)
    page = admin_client.get(subscription.get_absolute_url()).content.decode()
    assert "Disabled" in page

    response = admin_client.post(
        reverse("interactions:webhook-edit", args=[subscription.pk]),
        {"description": "Shop (new)", "url": "https://shop.example.com/v2", "events": ["segment.logged"],
         "active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0
    assert (subscription.description, subscription.url, subscription.events) == (
        "Shop (new)",
        "https://shop.example.com/v2",
        ["segment.logged"],
    )


def test_send_test_event_reaches_the_receiver_and_shows_in_the_delivery_log(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    create(admin_client, url=receiver.url)
    subscription = WebhookSubscription.objects.get()
    receiver.secret = subscription.secret

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("interactions:webhook-test", args=[subscription.pk]))
    response = admin_client.get(response["Location"])

    [request] = receiver.wait_for(1)
    assert request.signature_valid and request.json["event"] == "webhook.test"
    page = response.content.decode()
    assert "A test event has been sent" in page
    assert "webhook.test" in page and request.json["id"] in page and "Delivered" in page and "204" in page


def test_the_delivery_log_shows_failures_with_their_code_and_error(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    receiver.default = 500
    subscription = webhooks.subscribe(description="Shop", url=receiver.url, events=WebhookEvent.values, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.send_test_event(subscription=subscription, user=None)
    receiver.wait_for(1)

    page = admin_client.get(subscription.get_absolute_url()).content.decode()

    assert "Failed" in page and "HTTP 500" in page
    assert WebhookAttempt.objects.get().response_code == 500


def test_rotating_the_secret_shows_the_new_one_once_and_signs_with_it(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    subscription = webhooks.subscribe(description="Shop", url=receiver.url, events=WebhookEvent.values, user=None)
    old = subscription.secret

    response = admin_client.post(reverse("interactions:webhook-rotate", args=[subscription.pk]), follow=True)

    subscription.refresh_from_db()
    assert subscription.secret != old
    page = response.content.decode()
    assert shown_secret(page) == subscription.secret and old not in page
    assert subscription.secret not in admin_client.get(subscription.get_absolute_url()).content.decode()
    receiver.secret = subscription.secret
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.send_test_event(subscription=subscription, user=None)
    [request] = receiver.wait_for(1)
    assert request.signature_valid


@pytest.mark.parametrize("group", ["Sales staff", "Sales manager"])
def test_sales_users_reach_no_webhook_page_and_see_no_link(client, group):
    client.force_login(UserFactory(groups=[group]))
    subscription = webhooks.subscribe(description="Shop", url="https://shop.example.com/", events=["entry.created"],
                                      user=None)  # fmt: skip
    for url in (LIST, CREATE, subscription.get_absolute_url(), reverse("interactions:webhook-edit",
                                                                       args=[subscription.pk])):  # fmt: skip
        assert client.get(url).status_code == 403
    for name in ("interactions:webhook-test", "interactions:webhook-rotate"):
        assert client.post(reverse(name, args=[subscription.pk])).status_code == 403
    assert create(client).status_code == 403
    assert WebhookSubscription.objects.count() == 1
    assert LIST not in client.get(reverse("interactions:log")).content.decode()


def test_administrators_find_the_page_in_the_navigation(admin_client):
    assert f'href="{LIST}"' in admin_client.get(reverse("interactions:log")).content.decode()


def test_the_service_refuses_users_without_the_permission():
    seller = UserFactory(groups=["Sales manager"])
    with pytest.raises(PermissionDenied):
        webhooks.subscribe(description="Shop", url="https://shop.example.com/", events=["entry.created"], user=seller)


# --- The admin -----------------------------------------------------------------------


def test_the_admin_creates_a_subscription_through_the_service_and_shows_the_secret_once(admin_client):
    response = admin_client.post(
        reverse("admin:interactions_webhooksubscription_add"),
        {"description": "Warehouse", "url": "https://warehouse.example.com/hooks", "events": ["segment.logged"],
         "active": "on"},
        follow=True,
    )  # fmt: skip

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_") and subscription.events == ["segment.logged"]
    assert subscription.secret in response.content.decode()
    change = admin_client.get(reverse("admin:interactions_webhooksubscription_change", args=[subscription.pk]))
    assert change.status_code == 200 and subscription.secret not in change.content.decode()


def test_the_admin_lists_the_delivery_attempts(admin_client, receiver, django_capture_on_commit_callbacks):
    subscription = webhooks.subscribe(description="Shop", url=receiver.url, events=WebhookEvent.values, user=None)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.send_test_event(subscription=subscription, user=None)
    receiver.wait_for(1)
    page = admin_client.get(reverse("admin:interactions_webhookattempt_changelist")).content.decode()
    assert "webhook.test" in page
