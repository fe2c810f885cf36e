"""The interaction log's search folds the case of every letter, Cyrillic included, on SQLite
(crm/sqlite.py) as on PostgreSQL. (The contact search and the LIKE itself:
crm/tests/test_search_case.py.)"""

import pytest

from interactions.models import InteractionLogEntry
from interactions.tests.factories import InteractionLogEntryFactory

pytestmark = pytest.mark.django_db


def test_the_log_search_finds_a_russian_description_whatever_its_case():
    InteractionLogEntryFactory(description="Звонок по поводу Счета 42")
    InteractionLogEntryFactory(description="Письмо")
    for query in ["счета", "СЧЕТА", "звонок"]:
        found = InteractionLogEntry.objects.filter(description__icontains=query)
        assert [entry.description for entry in found] == ["Звонок по поводу Счета 42"], query
