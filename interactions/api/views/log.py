"""The interaction log: list with every filter of the log page (its FilterSet), a cursor
that is fast at any depth, an entry with its comments and attachment; record, cancel,
restore, evaluate, comment, through the log page's services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from crm.contacts.models import Campaign

from ...filters import InteractionLogFilter
from ...models import InteractionLogEntry
from ...permissions import CANCEL, COMMENT, EVALUATE, RECORD, VIEW_LOG
from ...selectors import log as selectors_log
from ...services import log_entries as log_services
from ..base import ModuleViewSet, responses
from ..filtering import PageFilterBackend
from ..pagination import LogCursor, cursor_response, page_of_keys
from ..serializers import (
    CancelResultSerializer,
    CommentInputSerializer,
    CommentSerializer,
    EvaluateSerializer,
    InteractionInputSerializer,
    LogEntryCreatedSerializer,
    LogEntryDetailSerializer,
    LogEntryListSerializer,
)
from .recording import created, record


@extend_schema_view(
    list=extend_schema(
        summary="The interaction log, newest first, filtered as the log page filters",
        responses=responses({200: LogEntryListSerializer(many=True)}),
    ),
    retrieve=extend_schema(
        summary="An entry with its comments and attachment", responses=responses({200: LogEntryDetailSerializer})
    ),
    create=extend_schema(
        summary="Record an interaction, as the new-interaction page does",
        request=InteractionInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({201: LogEntryCreatedSerializer}, write=True),
    ),
)
class LogEntryViewSet(ModuleViewSet):
    serializer_class = LogEntryListSerializer
    filter_backends = [PageFilterBackend]
    filterset_class = InteractionLogFilter
    lookup_field = "entry_no"
    lookup_value_regex = r"[0-9]{1,18}"
    pagination_class = LogCursor  # for the schema; list() pages by the cursor itself
    required_permissions = {
        "list": [VIEW_LOG],
        "retrieve": [VIEW_LOG],
        "create": [RECORD],
        "cancel": [VIEW_LOG, CANCEL],
        "restore": [VIEW_LOG, CANCEL],
        "evaluate": [VIEW_LOG, EVALUATE],
        "comments": [VIEW_LOG, COMMENT],
    }

    def get_queryset(self):
        return selectors_log.log_entries()

    def list(self, request):
        entries = self.filter_queryset(self.get_queryset())
        numbers, next_cursor = page_of_keys(entries, request)
        rows = selectors_log.log_rows(numbers)
        campaign_ids = {row.campaign_id for row in rows} - {None}
        campaigns = (
            dict(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "number")) if campaign_ids else {}
        )
        data = LogEntryListSerializer(rows, many=True, context={"request": request, "campaign_numbers": campaigns}).data
        return cursor_response(request, data, next_cursor)

    def _entry(self, entry_no) -> InteractionLogEntry:
        return get_object_or_404(
            selectors_log.log_entries()
            .select_related(
                "contact", "contact_company", "template", "group", "salesperson", "campaign", "attachment",
                "canceled_changed_by",
            )
            .prefetch_related("comments__author"),
            entry_no=entry_no,
        )  # fmt: skip

    def retrieve(self, request, entry_no=None):
        return Response(LogEntryDetailSerializer(self._entry(entry_no), context={"request": request}).data)

    @idempotent
    def create(self, request):
        return created(request, record(request))

    def _cancel_or_restore(self, request, entry_no, *, restore: bool):
        entry = self._entry(entry_no)
        change = log_services.restore_entries if restore else log_services.cancel_entries
        result = change(entry_numbers=[entry.entry_no], user=request.user)
        return Response(
            CancelResultSerializer(
                {"changed": list(result.changed), "refused": list(result.refused), "postponed": list(result.postponed)}
            ).data
        )

    @extend_schema(
        summary="Cancel the entry", request=None, responses=responses({200: CancelResultSerializer}, write=True)
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, entry_no=None):
        return self._cancel_or_restore(request, entry_no, restore=False)

    @extend_schema(
        summary="Restore a canceled entry (not one of a canceled logged segment: restore the logged segment)",
        request=None,
        responses=responses({200: CancelResultSerializer}, write=True),
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, entry_no=None):
        return self._cancel_or_restore(request, entry_no, restore=True)

    @extend_schema(
        summary="Evaluate the entry",
        request=EvaluateSerializer,
        responses=responses({200: LogEntryDetailSerializer}, write=True),
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, entry_no=None):
        entry = self._entry(entry_no)
        body = EvaluateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        log_services.evaluate_entries(
            entry_numbers=[entry.entry_no], evaluation=body.validated_data["evaluation"], user=request.user
        )
        return Response(LogEntryDetailSerializer(self._entry(entry_no), context={"request": request}).data)

    @extend_schema(
        summary="Add a comment to the entry",
        request=CommentInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({201: CommentSerializer}, write=True),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def comments(self, request, entry_no=None):
        entry = self._entry(entry_no)
        body = CommentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = log_services.add_comment(
            entry=entry, text=body.validated_data["text"], date=body.validated_data.get("date"), user=request.user
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
