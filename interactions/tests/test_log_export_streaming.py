"""The log's CSV export streams from the first row on PostgreSQL: its rows come from a
server-side cursor declared inside a transaction (not WITH HOLD, which makes PostgreSQL
run the whole query and store its result before the first row comes back), and a client
that goes away leaves no cursor and no transaction open on the connection.

These tests run with transactional_db: under the usual test transaction the connection is
never in autocommit, and Django would not declare the cursor WITH HOLD even without the fix.
"""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse

from interactions.tables import log as tables_log

from .factories import InteractionLogEntryFactory, UserFactory

LOG = reverse("interactions:log")


@pytest.fixture
def exporter(transactional_db, client, monkeypatch):
    monkeypatch.setattr(tables_log, "CSV_ROWS_PER_CHUNK", 2)  # a few rows make several chunks
    client.force_login(UserFactory(groups=["Sales staff"]))
    return client


def open_cursors() -> list[tuple[str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, is_holdable FROM pg_cursors")
        return cursor.fetchall()


def test_the_csv_streams_its_rows_from_a_cursor_held_only_while_streaming(postgresql, exporter):
    InteractionLogEntryFactory.create_batch(5)
    statements = []

    def watch(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    response = exporter.get(LOG, {"export": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    chunks = iter(response.streaming_content)
    with connection.execute_wrapper(watch):
        headers = next(chunks)  # the headers go out before the query runs
        assert b"Entry No." in headers
        assert not any("interactions_interactionlogentry" in sql for sql in statements)
        rows = next(chunks)  # the first rows: the cursor is open, the transaction too
        cursors = open_cursors()
    assert len(csv.reader(io.StringIO(rows.decode())).__next__()) > 10
    assert [holdable for _statement, holdable in cursors] == [False], cursors
    assert "DECLARE" in cursors[0][0].upper() and "WITH HOLD" not in cursors[0][0].upper()
    assert connection.in_atomic_block
    list(chunks)
    response.close()
    assert not connection.in_atomic_block
    assert open_cursors() == []


def test_a_client_that_goes_away_leaves_no_cursor_or_transaction_open(postgresql, exporter):
    InteractionLogEntryFactory.create_batch(3)
    response = exporter.get(LOG, {"export": "csv"})
    chunks = iter(response.streaming_content)
    next(chunks)
    next(chunks)
    assert connection.in_atomic_block
    response.close()  # what the WSGI server does when the client disconnects
    assert not connection.in_atomic_block
    assert connection.get_autocommit()
    assert open_cursors() == []
    assert exporter.get(LOG).status_code == 200


def test_the_streamed_csv_holds_every_entry_once(exporter):
    entries = InteractionLogEntryFactory.create_batch(7)
    response = exporter.get(LOG, {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    numbers = [row["Entry No."] for row in csv.DictReader(io.StringIO(body))]
    assert sorted(numbers) == sorted(str(entry.entry_no) for entry in entries)
