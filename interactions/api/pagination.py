"""The log's cursor: keyset pagination on the log's order (date, entry number, newest
first), so that a page deep in the log costs what the first one costs: each filter's index
ends in (date, entry_no), and the cursor's condition starts the index scan where the
previous page ended. Never counts the rows."""

import base64
import binascii
import datetime

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50


def _encode(date: datetime.date, entry_no: int) -> str:
    return base64.urlsafe_b64encode(f"{date.isoformat()}|{entry_no}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime.date, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, number = raw.split("|")
        entry_no = int(number)
        if not 0 < entry_no < 2**62:
            raise ValueError
        return datetime.date.fromisoformat(day), entry_no
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [_("This cursor is not valid: use the “next” link of a page.")]}) from None


def page_size(request, default: int = DEFAULT_PAGE_SIZE) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return default
    top = settings.API_MAX_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= top:
        raise ValidationError(
            {"page_size": [_("Give a whole number from %(low)d to %(high)d.") % {"low": 1, "high": top}]}
        )
    return size


def after_cursor(queryset, request):
    """The entries after the request's cursor (all without one)."""
    cursor = request.query_params.get("cursor")
    if not cursor:
        return queryset
    date, entry_no = _decode(cursor)
    # `date <= d` bounds the index scan; the rest drops the rows of that day already shown.
    return queryset.filter(Q(date__lte=date) & (Q(date__lt=date) | Q(entry_no__lt=entry_no)))


def page_of_keys(queryset, request) -> tuple[list[int], str | None]:
    """The entry numbers of the page, newest first, and the cursor of the next page."""
    size = page_size(request)
    keys = list(
        after_cursor(queryset, request).order_by("-date", "-entry_no").values_list("date", "entry_no")[: size + 1]
    )
    next_cursor = _encode(*keys[size - 1]) if len(keys) > size else None
    return [entry_no for _date, entry_no in keys[:size]], next_cursor


def cursor_response(request, results, next_cursor: str | None) -> Response:
    next_url = (
        replace_query_param(request.build_absolute_uri(), "cursor", next_cursor) if next_cursor is not None else None
    )
    return Response({"next": next_url, "results": results})


def cursor_schema(schema):
    return {
        "type": "object",
        "required": ["results"],
        "properties": {"next": {"type": ["string", "null"], "format": "uri"}, "results": schema},
    }


class LogCursor(BasePagination):
    """How the log's cursor pages show in the schema (the list view pages with the
    functions above: the entry numbers first, then the rows of the page)."""

    def get_paginated_response_schema(self, schema):
        return cursor_schema(schema)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "The `next` link's cursor; left out, the newest entries.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": "Entries per page (default 50).",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]
