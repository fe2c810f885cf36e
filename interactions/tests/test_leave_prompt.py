"""Leaving the new-interaction form by a link with unsaved input asks "Finish later /
Discard / Stay" (the script and its modal; Chromium drives them in tests/browser). Here: the
page carries the prompt, and "Finish later" posts the form as postponed and then follows the
link, but only to an address of this site."""

import pytest
from django.urls import reverse

from interactions.models import InteractionLogEntry

from .factories import InteractionTemplateFactory, PersonFactory

pytestmark = pytest.mark.django_db
NEW = reverse("interactions:new")


def test_the_form_carries_the_leave_prompt_and_its_script(sales_client):
    html = sales_client.get(NEW).content.decode()
    assert 'id="leave-prompt"' in html
    assert "Finish later" in html and "Discard" in html and "Stay" in html
    assert "interactions/leave_prompt.js" in html


def test_finish_later_then_follows_the_link_that_was_clicked(sales_client, sales_user):
    person, template = PersonFactory(), InteractionTemplateFactory()
    response = sales_client.post(
        NEW, {"action": "postpone", "contact": person.number, "template": template.pk, "next": "/contacts/?q=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/contacts/?q=x"
    entry = InteractionLogEntry.objects.get(contact=person)
    assert entry.postponed is True and entry.user == sales_user


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_finish_later_never_follows_a_link_out_of_the_site(sales_client, next_url):
    person, template = PersonFactory(), InteractionTemplateFactory()
    response = sales_client.post(
        NEW, {"action": "postpone", "contact": person.number, "template": template.pk, "next": next_url}
    )
    assert response.status_code == 302 and response["Location"] == reverse("interactions:postponed")


def test_finish_later_with_errors_stays_on_the_form(sales_client):
    response = sales_client.post(NEW, {"action": "postpone", "contact": "", "template": "", "next": "/contacts/"})
    assert response.status_code == 200
    assert not InteractionLogEntry.objects.exists()
