"""Interaction groups, templates and the template setup: read only (set up in the admin and
on the setup pages)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.response import Response

from crm.api.base import ApiView

from ...models import InteractionGroup
from ...permissions import VIEW_GROUPS, VIEW_SETUP, VIEW_TEMPLATES
from ...selectors import setup as selectors_setup
from ..base import ModuleViewSet, responses
from ..permissions import RequiredPermissions
from ..serializers import GroupSerializer, SetupSectionSerializer, TemplateSerializer


@extend_schema_view(
    list=extend_schema(summary="Interaction groups"), retrieve=extend_schema(summary="An interaction group")
)
class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ModuleViewSet):
    serializer_class = GroupSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,10}"
    required_permissions = {"*": [VIEW_GROUPS]}
    queryset = InteractionGroup.objects.order_by("code")


@extend_schema_view(
    list=extend_schema(summary="Interaction templates, with their languages"),
    retrieve=extend_schema(summary="An interaction template"),
)
class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ModuleViewSet):
    serializer_class = TemplateSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,10}"
    required_permissions = {"*": [VIEW_TEMPLATES]}

    def get_queryset(self):
        return selectors_setup.templates_with_languages().order_by("code")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), code__iexact=self.kwargs["code"])


class TemplateSetupView(ApiView):
    """The template setup: which template records each automatic event."""

    permission_classes = [RequiredPermissions]
    required_permissions = {"*": [VIEW_SETUP]}

    @extend_schema(
        summary="The template setup, by section", responses=responses({200: SetupSectionSerializer(many=True)})
    )
    def get(self, request):
        sections = [
            {
                "title": str(section.title),
                "events": [
                    {
                        "event": event.name,
                        "caption": str(event.caption),
                        "template": event.template.code if event.template else None,
                    }
                    for event in section.events
                ],
            }
            for section in selectors_setup.template_setup_sections()
        ]
        return Response(SetupSectionSerializer(sections, many=True).data)
