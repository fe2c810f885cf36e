"""Segments (create, add/reduce/refine contacts by criteria, lines, log) and logged segments
(list, cancel, restore), with the segment pages' forms and services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from crm.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent

from ...forms.segments import LogSegmentForm, SegmentCreateForm, SegmentCriteriaForm
from ...models import LoggedSegment, Segment, SegmentAction
from ...permissions import (
    ADD_SEGMENT,
    ADD_SEGMENT_LINES,
    CANCEL_LOGGED_SEGMENT,
    CHANGE_SEGMENT,
    DELETE_SEGMENT_LINES,
    LOG_SEGMENT,
    VIEW_LOGGED_SEGMENTS,
    VIEW_SEGMENTS,
)
from ...selectors import segments as selectors
from ...services import segments as services
from ..base import ModuleViewSet, responses
from ..forms_bridge import form_serializer, service_errors
from ..serializers import (
    LoggedSegmentSerializer,
    LogSegmentResultSerializer,
    SegmentLineSerializer,
    SegmentSerializer,
    StepResultSerializer,
)

SegmentCreateSerializer = form_serializer(SegmentCreateForm, name="SegmentCreate")
# The criteria step's actions only (saving criteria is the page's own).
CriteriaSerializer = form_serializer(
    SegmentCriteriaForm,
    name="SegmentCriteria",
    exclude=("save_code", "save_description", "save_action"),
    overrides={"action": serializers.ChoiceField(choices=SegmentAction.values)},
)
LogSegmentSerializer = form_serializer(LogSegmentForm, name="LogSegment")


@extend_schema_view(
    list=extend_schema(summary="Segments, with their number of lines and whether they are logged"),
    retrieve=extend_schema(summary="A segment"),
    create=extend_schema(
        summary="Create an empty segment (its defaults come from the template)",
        request=SegmentCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({201: SegmentSerializer}, write=True),
    ),
)
class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ModuleViewSet):
    serializer_class = SegmentSerializer
    lookup_field = "number"
    lookup_value_regex = r"[^/]{1,20}"
    required_permissions = {
        "*": [VIEW_SEGMENTS],
        "create": [VIEW_SEGMENTS, ADD_SEGMENT],
        "criteria": [CHANGE_SEGMENT],
        "log": [LOG_SEGMENT],
    }

    def get_queryset(self):
        return selectors.segments().order_by("-number")

    def _segment(self) -> Segment:
        return get_object_or_404(
            Segment.objects.select_related("salesperson", "template", "campaign"), number=self.kwargs["number"]
        )

    def _shown(self, segment: Segment):
        return SegmentSerializer(self.get_queryset().get(pk=segment.pk), context={"request": self.request}).data

    @idempotent
    def create(self, request):
        body = SegmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            segment = services.create_segment(user=request.user, **body.form.cleaned_data)
        except DjangoValidationError as refused:
            raise service_errors(refused) from None
        return Response(self._shown(segment), status=status.HTTP_201_CREATED)

    @extend_schema(summary="The segment's lines", responses=responses({200: SegmentLineSerializer(many=True)}))
    @action(detail=True, methods=["get"])
    def lines(self, request, number=None):
        page = self.paginate_queryset(selectors.segment_lines(self._segment()))
        return self.get_paginated_response(SegmentLineSerializer(page, many=True).data)

    @extend_schema(
        summary="Add, reduce or refine the segment's contacts by criteria (`action`: add, reduce or refine)",
        request=CriteriaSerializer,
        responses=responses({200: StepResultSerializer}, write=True),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def criteria(self, request, number=None):
        segment = self._segment()
        body = CriteriaSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = body.form
        step_action = form.cleaned_data["action"]
        needed = ADD_SEGMENT_LINES if step_action == SegmentAction.ADD else DELETE_SEGMENT_LINES
        if not request.user.has_perm(needed):
            raise PermissionDenied()
        try:
            result = services.apply_criteria(
                segment=segment, action=step_action, criteria=form.criteria(), options=form.options(), user=request.user
            )
        except DjangoValidationError as refused:
            raise service_errors(refused) from None
        return Response(
            StepResultSerializer(
                {"added": result.added, "removed": result.removed, "line_count": segment.lines.count()}
            ).data
        )

    @extend_schema(
        summary="Log the segment: one interaction per line, all or nothing",
        request=LogSegmentSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({201: LogSegmentResultSerializer}, write=True),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def log(self, request, number=None):
        segment = self._segment()
        body = LogSegmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = services.log_segment(
                segment=segment,
                user=request.user,
                create_follow_up=body.form.cleaned_data.get("create_follow_up", False),
                log_again=body.form.cleaned_data.get("log_again", False),
            )
        except DjangoValidationError as refused:
            raise service_errors(refused) from None
        return Response(
            LogSegmentResultSerializer(
                {
                    "logged_segment": result.logged_segment.pk,
                    "entries": result.entry_count,
                    "follow_up_segment": result.follow_up.number if result.follow_up else None,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(summary="Logged segments, newest first"), retrieve=extend_schema(summary="A logged segment")
)
class LoggedSegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ModuleViewSet):
    serializer_class = LoggedSegmentSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    required_permissions = {
        "*": [VIEW_LOGGED_SEGMENTS],
        "cancel": [VIEW_LOGGED_SEGMENTS, CANCEL_LOGGED_SEGMENT],
        "restore": [VIEW_LOGGED_SEGMENTS, CANCEL_LOGGED_SEGMENT],
    }

    def get_queryset(self):
        return selectors.logged_segments().order_by("-pk")

    def _switch(self, request, canceled: bool):
        logged = get_object_or_404(LoggedSegment, pk=self.kwargs["pk"])
        services.set_logged_segment_canceled(logged_segment=logged, canceled=canceled, user=request.user)
        return Response(LoggedSegmentSerializer(self.get_queryset().get(pk=logged.pk)).data)

    @extend_schema(
        summary="Cancel the logged segment with its interactions",
        request=None,
        responses=responses({200: LoggedSegmentSerializer}, write=True),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None):
        return self._switch(request, True)

    @extend_schema(
        summary="Restore the logged segment with its interactions",
        request=None,
        responses=responses({200: LoggedSegmentSerializer}, write=True),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def restore(self, request, pk=None):
        return self._switch(request, False)
