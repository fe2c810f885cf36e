"""Helpers shared by the purge tests (test_purge*.py)."""

import datetime
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from interactions.models import Attachment, InteractionLogEntry
from interactions.services import summaries

from .factories import InteractionLogEntryFactory, InteractionTemplateFactory, PersonFactory


def canceled_entry(**fields) -> InteractionLogEntry:
    fields.setdefault("canceled_changed_at", timezone.now())
    return InteractionLogEntryFactory(canceled=True, **fields)


def attachment(name: str = "letter.pdf", content: bytes = b"%PDF-1.4 letter") -> Attachment:
    return Attachment.objects.create(
        file=ContentFile(content, name=name), file_name=name, content_type="application/pdf", size=len(content)
    )


def many_entries(count: int, *, canceled_every: int = 1) -> tuple[set[int], set[int]]:
    """`count` entries in one insert, every `canceled_every`-th one not canceled when > 1.

    Returns (canceled entry numbers, other entry numbers)."""
    contact = PersonFactory()
    template = InteractionTemplateFactory()
    now = timezone.now()
    entries = []
    for index in range(count):
        canceled = canceled_every == 1 or index % canceled_every != 0
        entries.append(
            InteractionLogEntryFactory.build(
                contact=contact,
                template=template,
                canceled=canceled,
                canceled_changed_at=now if canceled else None,
                date=datetime.date(2024, 1, 1) + datetime.timedelta(days=index % 300),
            )
        )
    with transaction.atomic():  # as the services insert entries: the summary tables count them
        InteractionLogEntry.objects.bulk_create(entries, batch_size=1000)
        summaries.new_entries_logged(InteractionLogEntry.objects.filter(contact=contact))
    numbers = InteractionLogEntry.objects.filter(contact=contact).values_list("entry_no", "canceled")
    return {n for n, c in numbers if c}, {n for n, c in numbers if not c}


def archive_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
