"""The host's own API endpoints: who the caller is (to check a token), and the schema
and its documentation pages (Swagger UI and Redoc, served from drf-spectacular-sidecar)."""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .base import ApiView, ApiViewMixin
from .models import ApiToken


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    groups = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())
    token = serializers.CharField(allow_null=True, help_text="The name of the token used, if any.")


class MeView(ApiView):
    """The caller: user, groups, permissions and the token used."""

    @extend_schema(responses=MeSerializer, operation_id="me")
    def get(self, request):
        user = request.user
        return Response(
            MeSerializer(
                {
                    "username": user.get_username(),
                    "name": user.get_full_name(),
                    "groups": sorted(group.name for group in user.groups.all()),
                    "permissions": sorted(user.get_all_permissions()),
                    "token": request.auth.name if isinstance(request.auth, ApiToken) else None,
                }
            ).data
        )


class SchemaView(ApiViewMixin, SpectacularAPIView):
    """The OpenAPI 3.1 description, for logged-in users and token holders. Its errors are
    JSON like every error of the API (not YAML)."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class _PageBehindLogin:
    """A documentation page: behind the login page like every page (DRF's views are exempt
    from LoginRequiredMiddleware, so it is checked here); it reads the schema with the
    user's session."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)


class SwaggerView(_PageBehindLogin, SpectacularSwaggerView):
    pass


class RedocView(_PageBehindLogin, SpectacularRedocView):
    pass
