"""The host without its modules: the second run of `make test` runs the host's tests with
CRM_WITHOUT_APPS=interactions. Documents print, nothing is logged, no page fails nor links
to a page that is not there, and the demo data and logins load. (Skipped in the run with
every module installed.)"""

import io
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import Resolver404, resolve, reverse

from crm.contacts.models import Contact
from crm.documents.models import Document, DocumentVersion
from crm.documents.selectors import documents_for_printing
from crm.documents.services import print_document
from crm.documents.signals import document_printed, print_logging_availability
from crm.documents.tests.factories import DocumentFactory
from crm.documents.types import DocumentKind

pytestmark = [
    pytest.mark.skipif(
        not settings.CRM_WITHOUT_APPS, reason="runs without the modules: CRM_WITHOUT_APPS=interactions (make test)"
    ),
    pytest.mark.django_db,
]

HOST_TABLE_PREFIXES = ("auth_", "django_", "contacts_", "documents_", "api_")  # api_: crm/api, the tokens
NOT_INSTALLED = "No module that records interactions is installed."


@pytest.fixture
def demo(db):
    out = io.StringIO()
    call_command("load_demo", allow_known_passwords=True, stdout=out)
    return out.getvalue()


def test_no_module_is_installed_nor_listens_to_the_documents():
    assert not set(settings.CRM_WITHOUT_APPS) & set(settings.INSTALLED_APPS)
    assert not document_printed.has_listeners(Document)
    assert not print_logging_availability.has_listeners(Document)
    tables = connection.introspection.table_names()
    assert [table for table in tables if not table.startswith(HOST_TABLE_PREFIXES)] == []


def test_a_document_printed_with_log_interaction_prints_and_nothing_is_logged(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("printer", password="pw")
    user.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(user)
    quote = DocumentFactory(kind=DocumentKind.SALES_QUOTE)
    url = reverse("documents:print", args=[quote.pk])

    dialog = client.get(url)
    assert dialog.status_code == 200
    assert dialog.context["form"].fields["log_interaction"].disabled is True
    assert NOT_INSTALLED in dialog.content.decode()

    printed = client.post(
        url, {"action": "print", "language": "en", "output": "pdf", "log_interaction": "on"}, follow=True
    )
    assert printed.status_code == 200
    assert printed.redirect_chain[0][0].startswith(reverse("documents:printed", args=[quote.pk]))
    assert f"Sales quote {quote.number} has been printed." in printed.content.decode()

    document = documents_for_printing().get(pk=quote.pk)
    result = print_document(document=document, user=user, log_interaction=True, preview=False, language="ru")
    assert result.logged is False
    assert result.not_logged_reason == NOT_INSTALLED
    stored = Document.objects.get(pk=quote.pk)
    assert (stored.no_printed, stored.no_of_archived_versions) == (2, 0)
    assert not DocumentVersion.objects.exists()


def test_load_demo_loads_the_host_data_and_logins_again_and_again(demo):
    assert demo.splitlines()[0].startswith("Demo data: 35 companies, ")
    assert "printed with an interaction logged" in demo.splitlines()[0]
    assert "sales / demo-sales  (Sales staff)" in demo
    counts = (Contact.objects.count(), Document.objects.count())
    call_command("load_demo", allow_known_passwords=True, stdout=io.StringIO())
    assert (Contact.objects.count(), Document.objects.count()) == counts


def links(page: str) -> set[str]:
    return {href.split("?")[0] for href in re.findall(r'href="(/[^"#]*)', page) if not href.startswith("/static/")}


@pytest.mark.parametrize("username", ["sales", "manager", "admin"])
def test_every_page_renders_and_links_only_to_pages_that_exist(client, demo, username):
    assert client.login(username=username, password=f"demo-{username}")
    company = Contact.objects.filter(type=Contact.Type.COMPANY).order_by("number").first()
    person = company.persons.order_by("number").first()
    document = Document.objects.order_by("pk").first()
    pages = ["/", "/ru/", "/contacts/", company.get_absolute_url(), person.get_absolute_url(), "/documents/",
             document.get_absolute_url(), reverse("documents:print", args=[document.pk])]  # fmt: skip
    if username == "admin":
        pages.append(reverse("admin:index"))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = links(response.content.decode())
        assert reverse("home") in found, url
        for link in found:
            try:
                resolve(link)
            except Resolver404:
                pytest.fail(f"{url} links to {link}, which is not there")
