"""`make test` ends with one line saying how many tests were skipped and why (conftest.py)."""

from types import SimpleNamespace

from conftest import skip_reasons


def skipped(reason: str):
    return SimpleNamespace(longrepr=("tests/x.py", 1, f"Skipped: {reason}"), when="setup")


def test_skip_reasons_are_grouped_and_counted_most_first():
    reports = [skipped("Chromium is not available")] + [skipped("PostgreSQL is not available")] * 3
    assert skip_reasons(reports) == {"PostgreSQL is not available": 3, "Chromium is not available": 1}
