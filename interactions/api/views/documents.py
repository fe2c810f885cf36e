"""Business documents (the host's, with the document list's FilterSet) and printing them with
"log interaction": the host's print service, whose logging receiver is the module's; the
answer carries the log entry."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from crm.documents import selectors as document_selectors
from crm.documents import services as document_services
from crm.documents.filters import DocumentFilter
from crm.documents.permissions import PRINT_PERMISSION, VIEW_PERMISSION

from ...models import InteractionLogEntry
from ..base import ModuleViewSet, responses
from ..filtering import PageFilterBackend
from ..serializers import DocumentSerializer, LogEntryDetailSerializer, PrintResultSerializer, PrintSerializer


@extend_schema_view(list=extend_schema(summary="Business documents"), retrieve=extend_schema(summary="A document"))
class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ModuleViewSet):
    serializer_class = DocumentSerializer
    filter_backends = [PageFilterBackend]
    filterset_class = DocumentFilter
    lookup_value_regex = r"[0-9]{1,18}"
    required_permissions = {"*": [VIEW_PERMISSION], "print": [VIEW_PERMISSION, PRINT_PERMISSION]}

    def get_queryset(self):
        return document_selectors.documents_for_list().order_by("-date", "-pk")

    @extend_schema(
        summary="Print the document (counted, archived as the page does) and log the interaction",
        request=PrintSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({200: PrintResultSerializer}, write=True),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def print(self, request, pk=None):
        document = get_object_or_404(document_selectors.documents_for_printing(), pk=pk)
        body = PrintSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = document_services.print_document(
            document=document,
            user=request.user,
            log_interaction=body.validated_data["log_interaction"],
            preview=False,
            language=body.validated_data["language"],
        )
        entry = None
        if result.logged_entry_no is not None:
            entry = LogEntryDetailSerializer(
                InteractionLogEntry.objects.select_related(
                    "contact", "contact_company", "template", "group", "salesperson", "campaign", "attachment",
                    "canceled_changed_by",
                ).prefetch_related("comments__author").get(pk=result.logged_entry_no),
                context={"request": request},
            ).data  # fmt: skip
        return Response(
            {
                "printed": True,
                "version_no": result.version_no,
                "version_archived": result.version_archived,
                "entry": entry,
                "not_logged_reason": str(result.not_logged_reason or ""),
            }
        )
