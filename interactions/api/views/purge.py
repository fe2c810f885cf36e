"""The purge of canceled entries: how many a filter would delete, start it (the purge page's
service: queued to a worker, or run in-process without a broker), follow its progress."""

import uuid

from celery.result import EagerResult
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from crm.api.base import ApiView
from crm.api.errors import Conflict

from ...forms.purge import PurgeFilterForm
from ...permissions import PURGE
from ...services.purge.runs import PurgeAlreadyRunning, PurgeQueueUnavailable, purge_progress, queue_purge
from ...services.purge.service import purge_canceled_interactions
from ..base import responses
from ..forms_bridge import form_serializer
from ..permissions import RequiredPermissions
from ..serializers import PurgeCountSerializer, PurgeProgressSerializer, PurgeStartedSerializer

PurgeFilterSerializer = form_serializer(PurgeFilterForm, name="PurgeFilter")


class PurgeView(ApiView):
    permission_classes = [RequiredPermissions]
    required_permissions = {"*": [PURGE]}

    @extend_schema(
        summary="How many canceled entries the filter would delete",
        operation_id="purge_count",
        parameters=[PurgeFilterSerializer],
        responses=responses({200: PurgeCountSerializer}),
    )
    def get(self, request):
        body = PurgeFilterSerializer(data=request.query_params)
        body.is_valid(raise_exception=True)
        count = purge_canceled_interactions(filters=body.form.purge_filter(), dry_run=True, user=request.user)
        return Response({"count": count})

    @extend_schema(
        summary="Start deleting the canceled entries that the filter selects",
        operation_id="purge_start",
        request=PurgeFilterSerializer,
        responses=responses({202: PurgeStartedSerializer, 503: None}, write=True),
    )
    def post(self, request):
        body = PurgeFilterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = queue_purge(filters=body.form.purge_filter(), user=request.user)
        except PurgeAlreadyRunning:
            raise Conflict(_("A purge is running already; try again when it has finished.")) from None
        except PurgeQueueUnavailable as error:
            return Response(
                {"detail": str(error), "code": "queue_unavailable"}, status=status.HTTP_503_SERVICE_UNAVAILABLE
            )
        deleted = result.get()["deleted"] if isinstance(result, EagerResult) else None
        url = request.build_absolute_uri(reverse("interactions-api:purge-progress", args=[result.id]))
        return Response(
            {"task_id": result.id, "deleted": deleted, "progress_url": url}, status=status.HTTP_202_ACCEPTED
        )


class PurgeProgressView(ApiView):
    permission_classes = [RequiredPermissions]
    required_permissions = {"*": [PURGE]}

    @extend_schema(
        summary="Where a started purge stands",
        operation_id="purge_progress",
        responses=responses({200: PurgeProgressSerializer}),
    )
    def get(self, request, task_id: uuid.UUID):
        progress = purge_progress(str(task_id))
        return Response(
            {
                "state": progress.state,
                "deleted": progress.deleted,
                "total": progress.total or 0,
                "finished": progress.finished,
                "percent": progress.percent,
                "error": str(progress.error or ""),
            }
        )
