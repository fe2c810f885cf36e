"""What a parse process runs (parse_pool). Imported by a new process before Django is set
up, so nothing here imports models at import time."""

import os


def start_process() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()


def parse_chunk(chunk: list[tuple[bytes, bool]], attachment_limit: int) -> list:
    """The ParsedMessage of each (raw, too_large) of `chunk`, in order."""
    from .capture import parse_fetched

    return [parse_fetched(raw, too_large=too_large, attachment_limit=attachment_limit) for raw, too_large in chunk]
