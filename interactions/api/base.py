from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from crm.api.base import GenericViewSet, PageNumberPagination

from .permissions import RequiredPermissions


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Refused input: the messages of each field.",
    )  # fmt: skip


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Refused input, field by field."),
    401: OpenApiResponse(ErrorSerializer, description="No valid token or session."),
    403: OpenApiResponse(ErrorSerializer, description="The user's groups do not allow this."),
    404: OpenApiResponse(ErrorSerializer, description="Not found."),
    413: OpenApiResponse(ErrorSerializer, description="The request body is too large."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests for this token."),
}
READ_ERRORS = {code: ERRORS[code] for code in (400, 401, 403, 404, 429)}
WRITE_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(ErrorSerializer, description="The state changed meanwhile."),
    422: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused with another request."),
}


def responses(ok: dict, *, write: bool = False) -> dict:
    return {**(WRITE_ERRORS if write else READ_ERRORS), **ok}


class ModuleViewSet(GenericViewSet):
    permission_classes = [RequiredPermissions]
    pagination_class = PageNumberPagination
    required_permissions: dict = {}
