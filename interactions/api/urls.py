"""/api/v1/: the interactions module's resources (the host includes this when the module
is installed)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import contacts, documents, log, purge, recording, segments, setup

app_name = "interactions-api"

router = SimpleRouter()
router.register("contacts", contacts.ContactViewSet, basename="contact")
router.register("log-entries", log.LogEntryViewSet, basename="log-entry")
router.register("postponed-interactions", recording.PostponedInteractionViewSet, basename="postponed")
router.register("interaction-groups", setup.GroupViewSet, basename="group")
router.register("interaction-templates", setup.TemplateViewSet, basename="template")
router.register("segments", segments.SegmentViewSet, basename="segment")
router.register("logged-segments", segments.LoggedSegmentViewSet, basename="logged-segment")
router.register("documents", documents.DocumentViewSet, basename="document")

urlpatterns = [
    path("template-setup/", setup.TemplateSetupView.as_view(), name="template-setup"),
    path("purge/", purge.PurgeView.as_view(), name="purge"),
    path("purge/<uuid:task_id>/", purge.PurgeProgressView.as_view(), name="purge-progress"),
    path("", include(router.urls)),
]
