"""Recording interactions through the API: new ones (log entries), postponed ones (create,
resume, delete). The body is validated as the "new interaction" page validates it (its
form, with the defaults its form fills in), and recorded by the same services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.errors import Conflict
from crm.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from crm.contacts.models import Campaign, Salesperson
from crm.contacts.selectors import contact_by_number

from ...forms import recording as forms_recording
from ...forms.recording import InteractionForm
from ...models import InteractionLogEntry, InteractionTemplate
from ...permissions import RECORD, may_act_on_entry, may_act_on_others
from ...selectors import recording as selectors_recording
from ...services import recording as services
from ..base import ModuleViewSet, responses
from ..forms_bridge import form_data, raise_form_errors, service_errors
from ..serializers import (
    InteractionInputSerializer,
    LogEntryDetailSerializer,
    LogEntrySerializer,
    ResumeInputSerializer,
)

# API field -> field of the page's form, where they differ.
FORM_NAMES = {"merged_text": "merged_body", "comment": "first_comment"}
API_NAMES = {form: api for api, form in FORM_NAMES.items()} | {"was_successful": "attempt_failed"}


def _resolve(data: dict) -> dict:
    """The codes and numbers of the body as the rows they name; unknown ones are refused."""
    errors = {}
    values = dict(data)
    if "contact" in data:
        values["contact"] = contact_by_number(data["contact"])
        if values["contact"] is None:
            errors["contact"] = [f"There is no contact with number {data['contact']}."]
    if "template" in data:
        values["template"] = InteractionTemplate.objects.filter(code__iexact=data["template"].strip()).first()
        if values["template"] is None:
            errors["template"] = [f"There is no interaction template with code {data['template']}."]
    if data.get("salesperson"):
        values["salesperson"] = Salesperson.objects.filter(code=data["salesperson"].strip()).first()
        if values["salesperson"] is None:
            errors["salesperson"] = [f"There is no salesperson with code {data['salesperson']}."]
    if "campaign" in data:
        values["campaign"] = (
            Campaign.objects.filter(number=data["campaign"].strip()).first() if data["campaign"] else None
        )
        if data["campaign"] and values["campaign"] is None:
            errors["campaign"] = [f"There is no campaign with number {data['campaign']}."]
    if errors:
        raise serializers.ValidationError(errors)
    return values


def _form_values(values: dict) -> dict:
    """Values (rows, dates, booleans) as the page's form receives them."""
    result = {}
    for name, value in values.items():
        if name in ("upload",):
            continue
        name = FORM_NAMES.get(name, name)
        if hasattr(value, "pk") and name != "contact":
            value = value.pk
        elif name == "contact" and hasattr(value, "number"):
            value = value.number
        result[name] = value
    if "attempt_failed" in result:
        result["was_successful"] = not result.pop("attempt_failed")
    return result


def record(request, *, entry: InteractionLogEntry | None = None, postpone: bool = False) -> InteractionLogEntry:
    """Validate the body as the page does and call the page's recording service."""
    serializer = (InteractionInputSerializer if entry is None else ResumeInputSerializer)(data=request.data)
    serializer.is_valid(raise_exception=True)
    given = set(serializer.validated_data)
    resolved = _resolve(serializer.validated_data)
    if entry is None:
        today, now = forms_recording.local_now()
        base = {"date": today, "time": now, "attempt_failed": False}
        base.update(resolved)
        given_form = {FORM_NAMES.get(name, name) for name in given}
        values = forms_recording.values_with_defaults_where_missing(
            _form_values(base), given=given_form, user=request.user
        )
    else:
        values = forms_recording.initial_for_resume(entry, user=request.user)
        values.update(_form_values(resolved))
    files = {"upload": serializer.validated_data["upload"]} if "upload" in serializer.validated_data else {}
    data = form_data(
        {
            name: (value.number if name == "contact" else value.pk) if hasattr(value, "pk") else value
            for name, value in values.items()
            if name != "applied_defaults"
        }
    )
    form = InteractionForm(data, files, user=request.user, entry=entry, postpone=postpone)
    if not form.is_valid():
        raise_form_errors(form, API_NAMES)
    details = form.details()
    try:
        if entry is None:
            return services.record_interaction(details=details, user=request.user, postpone=postpone)
        if postpone:
            return services.update_postponed_interaction(entry=entry, details=details, user=request.user)
        return services.complete_postponed_interaction(entry=entry, details=details, user=request.user)
    except DjangoValidationError as refused:
        raise service_errors(refused, API_NAMES) from None
    except services.PostponedInteractionGone:
        raise Conflict(f"Interaction {entry.entry_no} is no longer postponed: it was completed or deleted.") from None


def created(request, entry: InteractionLogEntry) -> Response:
    entry = InteractionLogEntry.objects.select_related(
        "contact", "contact_company", "template", "group", "salesperson", "campaign", "attachment",
        "canceled_changed_by",
    ).prefetch_related("comments__author").get(pk=entry.pk)  # fmt: skip
    data = LogEntryDetailSerializer(entry, context={"request": request}).data
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


@extend_schema_view(
    list=extend_schema(summary="Postponed interactions: the user's own, everyone's for sales managers"),
    create=extend_schema(
        summary="Save an interaction for later (postponed): only the contact and the template are needed",
        request=InteractionInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({201: LogEntryDetailSerializer}, write=True),
    ),
    destroy=extend_schema(summary="Delete a postponed interaction", responses=responses({204: None}, write=True)),
)
class PostponedInteractionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, ModuleViewSet):
    serializer_class = LogEntrySerializer
    lookup_field = "entry_no"
    lookup_value_regex = r"[0-9]{1,18}"
    required_permissions = {"*": [RECORD]}

    def get_queryset(self):
        return selectors_recording.postponed_interactions(
            user=self.request.user, all_users=may_act_on_others(self.request.user)
        ).select_related("campaign")

    def get_object(self):
        entry = get_object_or_404(
            InteractionLogEntry.objects.select_related("contact", "template", "salesperson", "campaign", "attachment"),
            entry_no=self.kwargs["entry_no"],
            postponed=True,
        )
        if not may_act_on_entry(user=self.request.user, entry=entry):
            self.permission_denied(self.request, message="This postponed interaction belongs to another user.")
        return entry

    @idempotent
    def create(self, request):
        return created(request, record(request, postpone=True))

    def destroy(self, request, entry_no=None):
        if not services.delete_postponed_interaction(entry=self.get_object(), user=request.user):
            raise Conflict(f"Interaction {entry_no} is no longer postponed and has not been deleted.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Complete a postponed interaction: fields left out keep what was saved (the date starts again at now)",
        request=ResumeInputSerializer,
        responses=responses(
            {200: LogEntryDetailSerializer, 409: OpenApiResponse(description="No longer postponed.")}, write=True
        ),
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, entry_no=None):
        entry = record(request, entry=self.get_object())
        response = created(request, entry)
        response.status_code = status.HTTP_200_OK
        return response
