"""docs/api_example.py runs against a live server with a personal token: it records an
interaction and reads the contact's timeline, statistics and the log."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from crm.api import tokens
from crm.contacts.tests.factories import PersonFactory, UserFactory
from interactions.models import InteractionLogEntry
from interactions.tests.factories import InteractionTemplateFactory

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "api_example.py"


def test_the_example_script_records_an_interaction_and_reads_the_timeline(live_server, transactional_db):
    user = UserFactory(username="shop", groups=["Sales staff"])
    contact = PersonFactory(name="Anna Example")
    InteractionTemplateFactory(code="PHONE", description="Phone call")
    secret = tokens.create_token(user=user, name="Example").secret
    completed = subprocess.run(
        [sys.executable, str(EXAMPLE), contact.number, "PHONE"],
        env={**os.environ, "CRM_URL": live_server.url, "CRM_TOKEN": secret},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    entry = InteractionLogEntry.objects.get()
    assert f"Recorded entry {entry.entry_no}" in completed.stdout
    assert "1 interactions" in completed.stdout and "page 1: 1 entries" in completed.stdout
    assert entry.comments.get().text == "Call back on Monday"
