"""Base classes of API views and the pagination every list uses.

API views are reached without the login page (LoginRequiredMiddleware would redirect to
it): they authenticate themselves (token or session) and answer 401/403 as JSON. The
request body is refused unread above API_MAX_BODY_SIZE."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import generics, pagination, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import BodyTooLarge


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiViewMixin:
    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        view.login_required = False  # the API authenticates by itself (see the module)
        return view

    def initial(self, request, *args, **kwargs):
        if _content_length(request) > settings.API_MAX_BODY_SIZE:
            raise BodyTooLarge(
                _("The request body is larger than %(size)d bytes, the most this API reads.")
                % {"size": settings.API_MAX_BODY_SIZE}
            )
        super().initial(request, *args, **kwargs)


class ApiView(ApiViewMixin, APIView):
    pass


class GenericApiView(ApiViewMixin, generics.GenericAPIView):
    pass


class GenericViewSet(ApiViewMixin, viewsets.GenericViewSet):
    pass


class PageNumberPagination(pagination.BasePagination):
    """Pages by number that never count the rows: one row more than the page is read to
    know whether a next page exists. `page_size` is capped at API_MAX_PAGE_SIZE."""

    page_size = 50
    page_size_query_param = "page_size"
    page_query_param = "page"

    def _int(self, request, name: str, default: int, low: int, high: int) -> int:
        from rest_framework.exceptions import ValidationError

        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError(
                {name: [_("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]}
            ) from None
        if not low <= value <= high:
            raise ValidationError(
                {name: [_("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]}
            )
        return value

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._int(request, self.page_size_query_param, self.page_size, 1, settings.API_MAX_PAGE_SIZE)
        number = self._int(request, self.page_query_param, 1, 1, 100_000)
        start = (number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.has_next = len(rows) > size
        self.number = number
        return rows[:size]

    def _link(self, number: int) -> str:
        from rest_framework.utils.urls import remove_query_param, replace_query_param

        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.number + 1) if self.has_next else None,
                "previous": self._link(self.number - 1) if self.number > 1 else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": ["string", "null"], "format": "uri"},
                "previous": {"type": ["string", "null"], "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100_000},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]
