"""Safe retries: a creating POST sent with an `Idempotency-Key` header is done once.

The key is stored per user with a hash of the request (method, path, body) in the same
transaction as what the request writes, and with the response once it succeeds. The same
key and the same request answer that response again (header `Idempotent-Replayed: true`)
and create nothing; the same key with another request is refused (422). A request that
fails keeps nothing, so it may be retried with its key. Two requests with one key at the
same moment: the database's unique index makes the second wait for the first, then replay
it."""

import functools
import hashlib
import json

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.response import Response

from .errors import Unprocessable
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

# For extend_schema(parameters=[...]) of the views that accept it.
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID, at most 255 characters). Sent again with the same body, the first "
    "response is answered again and nothing is created; with another body the request is refused (422).",
)


def _canonical(value):
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def request_hash(request) -> str:
    data = request.data
    if hasattr(data, "lists"):
        data = {key: _canonical(values) for key, values in data.lists()}
    body = json.dumps(
        {"method": request.method, "path": request.path, "data": _canonical(data)}, sort_keys=True, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise Unprocessable(
            _("This Idempotency-Key was already used with another request; use a new key for a new request."),
            code="idempotency_key_reused",
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.response_body, status=record.status_code, headers=headers)


def idempotent(handler):
    """Decorate a view's creating handler (`def create(self, request, ...)`)."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {HEADER: [_("Give a key of 1 to %(max)d characters.") % {"max": MAX_KEY_LENGTH}]}
            )
        fingerprint = request_hash(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(user=request.user, key=key, request_hash=fingerprint)
            except IntegrityError:
                record = IdempotencyRecord.objects.get(user=request.user, key=key)
                return _replay(record, fingerprint)
            response = handler(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.status_code = response.status_code
                record.response_body = response.data
                record.location = response.get("Location", "")[:500]
                record.save(update_fields=["status_code", "response_body", "location"])
            else:
                transaction.set_rollback(True)
        return response

    return wrapper
