"""User-entered text with HTML and script in it (contact names, descriptions, comments,
file names) is shown as text everywhere: escaped in pages, literal in the PDF and in
exports, where formula prefixes are neutralized too."""

import csv
import io
import re

import pytest
from django.urls import reverse

from interactions.tests.export_support import xlsx_export

from .security_support import IMG, PAYLOAD, SCRIPT, build_world, client_of

pytestmark = pytest.mark.django_db

# What must never reach a page unescaped: the start of each payload's markup.
RAW_MARKUP = ["<script>alert(1)", "<img src=x onerror", "x onerror=alert(1)>"]
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_escaped(page: str, url: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in page, f"{url} shows unescaped markup {raw!r}"


PAGES = [
    # (name, how to build the URL from the world)
    ("home", lambda w: reverse("home")),
    ("contacts", lambda w: reverse("contacts:list")),
    ("contacts search", lambda w: reverse("contacts:list") + "?q=Anna"),
    ("search results", lambda w: reverse("search:results") + "?q=Anna"),
    ("search of a script", lambda w: reverse("search:results") + "?q=" + "<script>"),
    ("person card with timeline", lambda w: reverse("contacts:detail", args=[w.person.number])),
    ("company card", lambda w: reverse("contacts:detail", args=[w.company.number])),
    ("log", lambda w: reverse("interactions:log")),
    ("log search", lambda w: reverse("interactions:log") + "?q=" + "<script>"),
    ("entry", lambda w: reverse("interactions:entry-detail", args=[w.entry.entry_no])),
    ("postponed", lambda w: reverse("interactions:postponed")),
    ("postponed resume", lambda w: reverse("interactions:postponed-resume", args=[w.postponed.entry_no])),
    ("postponed delete", lambda w: reverse("interactions:postponed-delete", args=[w.postponed.entry_no])),
    ("new interaction", lambda w: reverse("interactions:new") + f"?contact={w.person.number}"),
    ("contact search", lambda w: reverse("interactions:contact-search") + "?q=Anna"),
    ("templates", lambda w: reverse("interactions:templates")),
    ("template", lambda w: reverse("interactions:template-detail", args=[w.template.code])),
    ("template edit", lambda w: reverse("interactions:template-edit", args=[w.template.code])),
    ("groups", lambda w: reverse("interactions:groups")),
    ("salespeople", lambda w: reverse("interactions:salespeople")),
    ("setup", lambda w: reverse("interactions:setup")),
    ("segments", lambda w: reverse("interactions:segments")),
    ("segment", lambda w: reverse("interactions:segment-detail", args=[w.segment.number])),
    ("segment edit", lambda w: reverse("interactions:segment-edit", args=[w.segment.number])),
    ("segment criteria", lambda w: reverse("interactions:segment-criteria", args=[w.segment.number])),
    ("segment line", lambda w: reverse("interactions:segment-line-edit", args=[w.segment.number, w.line.pk])),
    ("segment delete", lambda w: reverse("interactions:segment-delete", args=[w.segment.number])),
    ("logged segments", lambda w: reverse("interactions:logged-segments")),
    ("e-mail", lambda w: reverse("interactions:email-new") + f"?contact={w.person.number}"),
    ("e-mail answer", lambda w: reverse("interactions:email-new") + f"?entry={w.entry.entry_no}"),
    ("call", lambda w: reverse("interactions:call-new") + f"?contact={w.person.number}"),
    ("meeting", lambda w: reverse("interactions:meeting-new") + f"?contact={w.company.number}"),
    ("documents", lambda w: reverse("documents:list")),
    ("document", lambda w: reverse("documents:detail", args=[w.document.pk])),
    ("document version", lambda w: reverse("documents:version", args=[w.version.pk])),
    ("print dialog", lambda w: reverse("documents:print", args=[w.document.pk])),
    ("printed", lambda w: reverse("documents:printed", args=[w.document.pk]) + "?language=en"),
    ("printout", lambda w: reverse("documents:printout", args=[w.document.pk]) + "?language=en"),
    ("campaigns", lambda w: reverse("contacts:campaigns")),
    ("campaign", lambda w: reverse("contacts:campaign-detail", args=[w.campaign.number])),
    ("admin entries", lambda w: reverse("admin:interactions_interactionlogentry_changelist")),
    ("admin contacts", lambda w: reverse("admin:contacts_contact_changelist")),
]


@pytest.fixture
def world():
    return build_world(text=PAYLOAD)


@pytest.mark.parametrize("name, url", PAGES, ids=[name for name, _url in PAGES])
def test_pages_show_user_text_escaped(world, name, url):
    address = url(world)
    response = client_of("admin").get(address)
    assert response.status_code == 200, address
    assert_escaped(response.content.decode(), address)


@pytest.mark.parametrize(
    "name, url",
    [
        ("entry", lambda w: reverse("interactions:entry-detail", args=[w.entry.entry_no])),
        ("person card", lambda w: reverse("contacts:detail", args=[w.person.number])),
        ("search results", lambda w: reverse("search:results") + "?q=Anna"),
        ("log", lambda w: reverse("interactions:log")),
        ("segment", lambda w: reverse("interactions:segment-detail", args=[w.segment.number])),
        ("campaign", lambda w: reverse("contacts:campaign-detail", args=[w.campaign.number])),
        ("document", lambda w: reverse("documents:detail", args=[w.document.pk])),
        ("printout", lambda w: reverse("documents:printout", args=[w.document.pk]) + "?language=en"),
    ],
)
def test_the_text_is_there_as_text(world, name, url):
    """The pages above pass because they show the text escaped, not because they drop it."""
    page = client_of("admin").get(url(world)).content.decode()
    assert ESCAPED_SCRIPT in page


def test_the_entry_page_shows_comment_and_attachment_file_name_escaped(world):
    page = client_of("sales").get(reverse("interactions:entry-detail", args=[world.entry.entry_no])).content.decode()
    assert f"Comment {ESCAPED_SCRIPT}" in page
    assert_escaped(page, "entry")


def test_a_comment_posted_with_markup_is_shown_escaped(world):
    client = client_of("sales")
    url = reverse("interactions:entry-detail", args=[world.entry.entry_no])
    client.post(url, {"date": "2026-03-01", "text": IMG})
    page = client.get(url).content.decode()
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert_escaped(page, url)


def test_messages_naming_user_text_are_escaped(world):
    """Success messages quote names (the contact, the segment): they are escaped too."""
    client = client_of("sales")
    response = client.post(
        reverse("interactions:segment-line-edit", args=[world.segment.number, world.line.pk]),
        {"description": "x", "cost": "0", "duration": "0", "information_flow": "", "initiated_by": ""},
        follow=True,
    )
    assert_escaped(response.content.decode(), "segment line saved")


def test_the_pdf_holds_the_text_literally(world):
    from pypdf import PdfReader

    response = client_of("sales").get(reverse("documents:pdf", args=[world.document.pk]) + "?language=en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", SCRIPT) in flat  # shown as text, not taken as markup
    assert "&lt;" not in text  # and not escaped twice


def _csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


def test_exports_keep_the_text_literal(world, tasks_in_process):
    client = client_of("sales")
    rows = _csv(client.get(reverse("interactions:log"), {"export": "csv"}))
    cells = {cell for row in rows[1:] for cell in row}
    assert world.person.name in cells  # "Anna <script>...": literal, not escaped
    assert world.entry.description in cells

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx_export(client))).active
    values = {cell for row in sheet.iter_rows(min_row=2, values_only=True) for cell in row}
    assert world.person.name in values and world.entry.description in values


FORMULAS = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", '=HYPERLINK("http://evil.example","x")', "\t=1", "\r=1"]


def test_exports_neutralize_formulas_in_every_user_text_column(tasks_in_process):
    from crm.contacts.tests.factories import CompanyFactory, PersonFactory
    from interactions.tests.factories import InteractionLogEntryFactory

    for formula in FORMULAS:
        company = CompanyFactory(name=formula)
        person = PersonFactory(name=formula, company=company)
        InteractionLogEntryFactory(contact=person, description=formula, subject=formula, contact_via=formula)
    client = client_of("sales")
    header, *rows = _csv(client.get(reverse("interactions:log"), {"export": "csv"}))
    columns = [header.index(name) for name in ("Contact Name", "Contact Company Name", "Description", "Subject",
                                               "Contact Via")]  # fmt: skip
    csv_cells = [row[index] for row in rows for index in columns]
    assert len(csv_cells) == len(FORMULAS) * len(columns)
    assert all(cell.startswith("'") for cell in csv_cells), csv_cells
    # A tab or CR inside is a separator a spreadsheet may split at: what follows it is
    # neutralized too ("\t=1" -> "'\t'=1").
    assert sorted({re.sub(r"([\t\r])'", r"\1", cell[1:]) for cell in csv_cells}) == sorted(FORMULAS)

    from openpyxl import load_workbook

    content = xlsx_export(client)
    sheet = load_workbook(io.BytesIO(content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    xlsx_cells = [row[index] for row in rows for index in columns]
    assert all(isinstance(cell, str) and cell.startswith("'") for cell in xlsx_cells), xlsx_cells
    # openpyxl would store a text starting with "=" as a formula: none is.
    workbook = load_workbook(io.BytesIO(content))
    assert not any(cell.data_type == "f" for row in workbook.active.iter_rows() for cell in row)
