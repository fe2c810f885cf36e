"""One date and time format per language (crm/formats) on every page that shows dates, in
the log's exports and the charts' labels: "Nov 30, 2026, 16:05" in English, "30.11.2026
16:05" in Russian; never "Nov. 30, 2026", "11/30/2026", "2026-11", "4:14 a.m." beside it."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import loaded_once
from crm.contacts.models import Campaign, Contact
from crm.documents.models import Document
from interactions.models import InteractionLogEntry, Segment

pytestmark = pytest.mark.django_db

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# What neither language writes (ISO dates and months, US slashes, 12-hour clocks, NAV's
# "Nov." and Django's long English dates).
FOREIGN = {
    "ISO date or month": r"\b\d{4}-\d{2}(-\d{2})?\b",
    "date with slashes": r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    "12-hour time": r"\b\d{1,2}(:\d{2})?\s*[ap]\.?\s?m\.?(?=\W|$)|\b(noon|midnight)\b",
    "abbreviated month with a period": rf"\b({MONTHS}|Sept)\.",
    "long English date": r"\b(January|February|March|April|June|July|August|September|October|November|December)"
    r" \d{1,2}, \d{4}",
}
ENGLISH_ONLY = {"Russian date": r"\b\d{2}\.\d{2}\.\d{4}\b"}
RUSSIAN_ONLY = {"English date": rf"\b({MONTHS}) \d{{1,2}}, \d{{4}}\b", "Russian long date": r"\d{4} г\."}
DATE = {"en": rf"\b({MONTHS}) \d{{1,2}}, \d{{4}}\b", "ru": r"\b\d{2}\.\d{2}\.\d{4}\b"}


def load():
    call_command("load_demo", entries=300, allow_known_passwords=True, stdout=io.StringIO())


@pytest.fixture(scope="class")
def demo(request):
    yield from loaded_once(request, load)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: no scripts, styles, tags or attributes (an
    <input type="date"> holds ISO dates by its nature)."""
    html = re.sub(r"(?s)<(script|style|textarea)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def foreign_formats(text: str, language: str) -> dict[str, list[str]]:
    rules = {**FOREIGN, **(ENGLISH_ONLY if language == "en" else RUSSIAN_ONLY)}
    found = {name: [m.group(0) for m in re.finditer(pattern, text)][:3] for name, pattern in rules.items()}
    return {name: samples for name, samples in found.items() if samples}


def pages() -> list[str]:
    contact = Contact.objects.filter(type="person", interaction_log_entries__isnull=False).order_by("number").first()
    document = Document.objects.order_by("pk").first()
    entry = InteractionLogEntry.objects.filter(postponed=False, time__isnull=False).order_by("-pk").first()
    return [
        reverse("home"),
        reverse("interactions:log"),
        reverse("contacts:detail", args=[contact.number]),
        reverse("interactions:entry-detail", args=[entry.pk]),
        reverse("interactions:postponed"),
        reverse("interactions:segments"),
        reverse("interactions:segment-detail", args=[Segment.objects.order_by("number").first().number]),
        reverse("interactions:logged-segments"),
        reverse("contacts:campaign-detail", args=[Campaign.objects.order_by("number").first().number]),
        reverse("documents:list"),
        reverse("documents:detail", args=[document.pk]),
        reverse("documents:printout", args=[document.pk]) + "?language=ru",
        reverse("api:tokens"),
    ]


@pytest.mark.usefixtures("demo")
class TestOneFormatPerLanguage:
    @pytest.fixture
    def client(self):
        from django.contrib.auth import get_user_model

        client = Client()
        client.force_login(get_user_model().objects.get(username="admin"))
        return client

    @pytest.mark.parametrize("language", ["en", "ru"])
    def test_pages_write_dates_and_times_in_the_one_format_of_their_language(self, client, language):
        problems, dates_seen = {}, 0
        with translation.override(language):
            urls = pages()
        for url in urls:
            text = visible_text(client.get(url, headers={"accept-language": language}).content.decode())
            if found := foreign_formats(text, language if "/printout/" not in url else "ru"):
                problems[url] = found
            dates_seen += len(re.findall(DATE[language], text))
        assert problems == {}
        assert dates_seen > 50  # the pages did show dates, in the language's format

    @pytest.mark.parametrize("language", ["en", "ru"])
    def test_the_log_export_writes_dates_and_times_as_the_pages_do(self, client, language):
        prefix = "/ru" if language == "ru" else ""
        response = client.get(f"{prefix}/interactions/log/?export=csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        header, first = rows[0], rows[1]
        text = " ".join(" ".join(row) for row in rows[1:50])
        assert foreign_formats(text, language) == {}
        assert re.fullmatch(DATE[language], dict(zip(header, first, strict=True))[header[1]]), (header, first)
        assert re.search(r"\b\d{2}:\d{2}\b", text)

    @pytest.mark.parametrize(("language", "expected"), [("en", r"[A-Z][a-z]{2} \d{4}"), ("ru", r"[А-Я][а-я]+ \d{4}")])
    def test_the_contact_cards_chart_labels_months_in_the_language(self, language, expected):
        from interactions.selectors.statistics import interactions_per_month

        contact = (
            Contact.objects.filter(type="person", interaction_log_entries__isnull=False).order_by("number").first()
        )
        with translation.override(language):
            labels = interactions_per_month(contact)["labels"]
        assert labels and all(re.fullmatch(expected, label) for label in labels), labels
