"""Contacts (the host's, read with the contact page's FilterSet), and what the module knows
of each: its timeline and its statistics, as the contact card shows them."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.contacts.filters import ContactFilter
from crm.contacts.models import Contact
from crm.contacts.selectors import contact_by_number

from ...permissions import VIEW_CONTACTS, VIEW_LOG
from ...selectors import statistics as selectors_statistics
from ..base import ModuleViewSet, responses
from ..filtering import PageFilterBackend
from ..serializers import ContactSerializer, LogEntrySerializer, StatisticsSerializer


class TimelineQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=40)


class PeriodQuery(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


@extend_schema_view(
    list=extend_schema(summary="Contacts; `q` searches the name, number, e-mail and phones"),
    retrieve=extend_schema(summary="A contact", responses=responses({200: ContactSerializer})),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ModuleViewSet):
    serializer_class = ContactSerializer
    filter_backends = [PageFilterBackend]
    filterset_class = ContactFilter
    lookup_field = "number"
    lookup_value_regex = r"[^/]{1,20}"
    required_permissions = {
        "*": [VIEW_CONTACTS],
        "timeline": [VIEW_CONTACTS, VIEW_LOG],
        "statistics": [VIEW_CONTACTS, VIEW_LOG],
    }

    def get_queryset(self):
        return Contact.objects.select_related("company", "salesperson").order_by("number")

    def get_object(self):
        contact = contact_by_number(self.kwargs["number"])
        if contact is None:
            raise Http404
        return contact

    @extend_schema(
        summary="The contact's newest interactions, canceled ones included (a company's include its persons')",
        parameters=[OpenApiParameter("limit", int, description="1 to 200, default 40.")],
        responses=responses({200: LogEntrySerializer(many=True)}),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, number=None):
        query = TimelineQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = selectors_statistics.contact_timeline(self.get_object(), limit=query.validated_data["limit"])
        return Response(LogEntrySerializer(entries, many=True, context={"request": request}).data)

    @extend_schema(
        summary="The contact's figures: interactions, cost, duration, last interaction and attempt",
        parameters=[OpenApiParameter("date_from", OpenApiTypes.DATE), OpenApiParameter("date_to", OpenApiTypes.DATE)],
        responses=responses({200: StatisticsSerializer}),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def statistics(self, request, number=None):
        query = PeriodQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = selectors_statistics.contact_statistics(self.get_object(), **query.validated_data)
        return Response(StatisticsSerializer(figures).data)
