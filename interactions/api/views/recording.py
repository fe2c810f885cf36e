"""Recording interactions through the API: new ones (log entries), postponed ones (create,
resume, delete). The body is validated as the "new interaction" page validates it (its
form, with the defaults its form fills in), and recorded by the same services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from crm.api.errors import Conflict
from crm.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from crm.contacts.models import Campaign, Contact, Salesperson
from crm.contacts.selectors import contact_by_number

from ...forms import recording as forms_recording
from ...models import InteractionLogEntry
from ...permissions import COMMENT, RECORD, may_act_on_entry, may_act_on_others
from ...selectors import recording as selectors_recording
from ...selectors import template_cache
from ...services import recording as services
from ..base import ModuleViewSet, responses
from ..forms_bridge import service_errors
from ..serializers import (
    InteractionInputSerializer,
    LogEntryCreatedSerializer,
    LogEntryDetailSerializer,
    LogEntrySerializer,
    ResumeInputSerializer,
)

# API field -> field of the page's form (and its defaults), where they differ.
FORM_NAMES = {"merged_text": "merged_body", "comment": "first_comment"}
API_NAMES = {form: api for api, form in FORM_NAMES.items()} | {"was_successful": "attempt_failed"}


def _resolve(data: dict) -> dict:
    """The codes and numbers of the body as the rows they name, read with what recording
    needs of them; unknown ones are refused, field by field."""
    errors = {}
    values = {FORM_NAMES.get(name, name): value for name, value in data.items()}
    if "contact" in data:
        values["contact"] = contact_by_number(data["contact"])
        if values["contact"] is None:
            errors["contact"] = [_("There is no contact with number %(number)s.") % {"number": data["contact"]}]
    if "template" in data:
        values["template"] = template_cache.template_by_code(data["template"])
        if values["template"] is None:
            errors["template"] = [
                _("There is no interaction template with code %(code)s.") % {"code": data["template"]}
            ]
    if data.get("salesperson"):
        values["salesperson"] = Salesperson.objects.filter(code=data["salesperson"].strip()).first()
        if values["salesperson"] is None:
            errors["salesperson"] = [_("There is no salesperson with code %(code)s.") % {"code": data["salesperson"]}]
    if "campaign" in data:
        number = data["campaign"].strip()
        values["campaign"] = Campaign.objects.filter(number=number).first() if number else None
        if number and values["campaign"] is None:
            errors["campaign"] = [_("There is no campaign with number %(number)s.") % {"number": number}]
    if data.get("segment_number") and not selectors_recording.segment_number_known(data["segment_number"]):
        errors["segment_number"] = [
            _("There is no segment with number %(number)s.") % {"number": data["segment_number"]}
        ]
    if errors:
        raise serializers.ValidationError(errors)
    return values


def _details(values: dict, *, contact: Contact) -> services.InteractionDetails:
    """The values (the page form's names) as the recording services take them."""

    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else str(value)

    return services.InteractionDetails(
        contact=contact,
        template=values["template"],
        salesperson=values.get("salesperson"),
        date=values.get("date"),
        time=values.get("time"),
        description=text("description"),
        subject=text("subject"),
        language=text("language"),
        correspondence_type=text("correspondence_type"),
        contact_via=text("contact_via"),
        information_flow=text("information_flow"),
        initiated_by=text("initiated_by"),
        evaluation=text("evaluation"),
        attempt_failed=bool(values.get("attempt_failed")),
        cost=values.get("cost"),
        duration=values.get("duration"),
        campaign=values.get("campaign"),
        campaign_target=bool(values.get("campaign_target")),
        campaign_response=bool(values.get("campaign_response")),
        opportunity_number=text("opportunity_number"),
        segment_number=text("segment_number"),
        upload=values.get("upload"),
        merged_text=text("merged_body"),
        first_comment=text("first_comment"),
    )


def record(request, *, entry: InteractionLogEntry | None = None, postpone: bool = False) -> InteractionLogEntry:
    """Take the body as the new-interaction page takes its form: what is left out gets the
    defaults the page fills in (the template's, the contact's, the user's; for a resumed
    interaction, what was saved), then the page's recording service records it with its
    rules."""
    serializer = (InteractionInputSerializer if entry is None else ResumeInputSerializer)(data=request.data)
    serializer.is_valid(raise_exception=True)
    given = {FORM_NAMES.get(name, name) for name in serializer.validated_data}
    resolved = _resolve(serializer.validated_data)
    if entry is None:
        today, now = forms_recording.local_now()
        values = forms_recording.values_with_defaults_where_missing(
            {"date": today, "time": now, **resolved}, given=given, user=request.user, template=resolved["template"]
        )
        contact = resolved["contact"]
    else:
        values = {**forms_recording.initial_for_resume(entry, user=request.user), **resolved}
        values.setdefault("attempt_failed", not values.pop("was_successful", True))
        contact = resolved.get("contact") or entry.contact
        if "template" not in resolved:
            values["template"] = entry.template
    if (values.get("first_comment") or "").strip() and not request.user.has_perm(COMMENT):
        raise PermissionDenied(_("You do not have permission to comment."))
    try:
        if entry is None:
            return services.record_interaction(
                details=_details(values, contact=contact), user=request.user, postpone=postpone
            )
        details = _details(values, contact=contact)
        if postpone:
            return services.update_postponed_interaction(entry=entry, details=details, user=request.user)
        return services.complete_postponed_interaction(entry=entry, details=details, user=request.user)
    except DjangoValidationError as refused:
        raise service_errors(refused, API_NAMES) from None
    except services.PostponedInteractionGone:
        raise Conflict(
            _("Interaction %(number)s is no longer postponed: it was completed or deleted in the meantime.")
            % {"number": entry.entry_no}
        ) from None


def created(request, entry: InteractionLogEntry) -> Response:
    """201: the entry just recorded, as LogEntryCreatedSerializer sums it up (its number,
    address and what the recording decided), from the rows the recording used (no query
    for them again); the whole entry is at its address (Location)."""
    data = LogEntryCreatedSerializer(entry, context={"request": request}).data
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


def resumed(request, entry: InteractionLogEntry) -> Response:
    """200: a postponed interaction completed, as its detail shows it; the rows it refers
    to are the ones the recording used, its comments are read."""
    contact = entry.contact
    entry.contact_company = contact if contact.company_id is None else contact.company
    if entry.template is not None:
        entry.group = entry.template.group
    entry.canceled_changed_by = None
    prefetch_related_objects([entry], "comments__author")
    return Response(LogEntryDetailSerializer(entry, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="Postponed interactions: the user's own, everyone's for sales managers"),
    create=extend_schema(
        summary="Save an interaction for later (postponed): only the contact and the template are needed",
        request=InteractionInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses=responses({201: LogEntryCreatedSerializer}, write=True),
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
            self.permission_denied(self.request, message=_("This postponed interaction belongs to another user."))
        return entry

    @idempotent
    def create(self, request):
        return created(request, record(request, postpone=True))

    def destroy(self, request, entry_no=None):
        if not services.delete_postponed_interaction(entry=self.get_object(), user=request.user):
            raise Conflict(
                _("Interaction %(number)s is no longer postponed and has not been deleted.") % {"number": entry_no}
            )
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
        return resumed(request, record(request, entry=self.get_object()))
