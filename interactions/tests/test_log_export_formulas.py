"""The log's CSV and Excel exports never hand a spreadsheet a formula from text users
entered: not at the start of a cell, and not after a separator inside it, where a
spreadsheet that splits the line at another separator than the file's comma (Excel with
";" as its list separator, as on Russian Windows) would start a cell of its own."""

import csv
import io
import re

import pytest
from django.urls import reverse

from .export_support import xlsx_export
from .factories import InteractionLogEntryFactory, PersonFactory

pytestmark = pytest.mark.django_db
LOG = reverse("interactions:log")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HOSTILE = [
    "x;=cmd|' /C calc'!A0",
    "x,=cmd|' /C calc'!A0",
    "x\t=cmd|' /C calc'!A0",
    "Price; +1+cmd|' /C calc'!A0",
    'Order;"=HYPERLINK(""http://evil.example"")"',
    "note;-2+3+cmd|' /C calc'!A0",
    "ask;@SUM(1+1)*cmd|' /C calc'!A0",
    "first line\n=cmd|' /C calc'!A0",
    "=cmd|' /C calc'!A0;=again",
    "\t=cmd|' /C calc'!A0",
]


@pytest.fixture
def hostile_entries():
    return [
        InteractionLogEntryFactory(
            description=text[:100], subject=text[::-1][:100], contact=PersonFactory(name=text[:100])
        )  # fmt: skip
        for text in HOSTILE
    ]


def csv_text(client) -> str:
    response = client.get(LOG, {"export": "csv"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def starts_a_formula(cell: str) -> bool:
    return cell.lstrip(' "').startswith(FORMULA_START)


@pytest.mark.parametrize("separator", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_no_cell_of_the_csv_is_a_formula_whatever_the_separator_it_is_read_with(
    sales_client, hostile_entries, separator
):
    rows = list(csv.reader(io.StringIO(csv_text(sales_client)), delimiter=separator))
    cells = [cell for row in rows for cell in row]
    assert len(rows) > len(hostile_entries)
    assert [cell for cell in cells if starts_a_formula(cell)] == []


def test_no_piece_of_the_csv_after_any_separator_starts_a_formula(sales_client, hostile_entries):
    # What a reader that ignores the quotes would take for cells: the text cut at every
    # separator and line end.
    pieces = re.split(r"[,;\t\r\n]", csv_text(sales_client))
    assert [piece for piece in pieces if starts_a_formula(piece)] == []


def test_read_with_the_files_own_separator_every_text_stays_whole_and_readable(sales_client, hostile_entries):
    rows = list(csv.DictReader(io.StringIO(csv_text(sales_client))))
    descriptions = {row["Description"] for row in rows}
    assert "x;'=cmd|' /C calc'!A0" in descriptions
    assert "'=cmd|' /C calc'!A0;'=again" in descriptions
    assert len(rows) == len(HOSTILE)


def test_text_with_separators_but_no_formula_is_exported_unchanged(sales_client):
    InteractionLogEntryFactory(description="Call; then a letter, then a visit")
    rows = list(csv.DictReader(io.StringIO(csv_text(sales_client))))
    assert rows[0]["Description"] == "Call; then a letter, then a visit"


def test_no_cell_of_the_excel_export_holds_a_formula(sales_client, hostile_entries, tasks_in_process):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx_export(sales_client)))
    texts = [cell for row in workbook.active.iter_rows(min_row=2, values_only=True) for cell in row]
    texts = [cell for cell in texts if isinstance(cell, str)]
    pieces = [piece for text in texts for piece in re.split(r"[,;\t\r\n]", text)]
    assert [piece for piece in pieces if starts_a_formula(piece)] == []
    assert "x;'=cmd|' /C calc'!A0" in texts
