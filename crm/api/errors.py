"""Errors of the API as JSON, never an HTML page, never a server error for bad input.

Every error answers `{"detail": <message>, "code": <code>}`, and a refused input also
`"errors": {<field>: [<message>, ...]}` (`"non_field_errors"` for the request as a whole).
The services' own refusals (Django's ValidationError and PermissionDenied) come out the
same way. Django's 404 and 500 pages under /api/ answer JSON too (handler404/500)."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "body_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


def _messages(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): [str(m) for m in errors_of(messages)]
            for name, messages in error.error_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: [str(message) for message in error.messages]}


def errors_of(messages) -> list[str]:
    result = []
    for message in messages:
        if isinstance(message, DjangoValidationError):
            result.extend(message.messages)
        else:
            result.append(str(message))
    return result


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.sub" or "field[0]": [messages]}."""
    if isinstance(detail, dict):
        result: dict[str, list[str]] = {}
        for name, value in detail.items():
            result.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
        return result
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(item) for item in detail]}
        result = {}
        for index, value in enumerate(detail):
            result.update(_flatten(value, f"{prefix}[{index}]"))
        return result
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_messages(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler500 answers (JSON under /api/)
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {
            "detail": _("The request is not valid: see the errors of each field."),
            "code": "invalid",
            "errors": errors,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {"detail": str(detail), "code": codes if isinstance(codes, str) else "error"}
    return response


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def json_404(request, exception=None):
    return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)


def json_500(request):
    return JsonResponse({"detail": _("A server error occurred."), "code": "server_error"}, status=500)


def api_aware(page_handler, json_handler):
    """A handler404/handler500 that answers JSON under /api/ and the usual page elsewhere."""

    def handler(request, *args, **kwargs):
        if _is_api(request):
            return json_handler(request, *args, **kwargs)
        return page_handler(request, *args, **kwargs)

    return handler


def refuse(status_code: int, detail: str, code: str) -> Response:
    return Response({"detail": detail, "code": code}, status=status_code)
