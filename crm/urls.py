from django.apps import apps
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views import defaults
from django.views.generic import RedirectView

from crm import views
from crm.api import endpoints as api
from crm.api.errors import api_aware, json_404, json_500
from crm.login_throttle import ThrottledLoginView, admin_login

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Pages that do not link the icon (the admin, the API's documentation) get it here too.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("crm/favicon.svg"), permanent=False)),
        name="favicon",
    ),
    # The REST API (crm/api: tokens, limits, errors; each module its endpoints, when installed).
    path("api/schema/", api.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", api.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", api.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/v1/me/", api.MeView.as_view(), name="api-me"),
    *([path("api/v1/", include("interactions.api.urls"))] if apps.is_installed("interactions") else []),
]
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    # Before django.contrib.auth's own "login": failed logins are throttled.
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/tokens/", include("crm.api.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/login/", admin_login, name="admin-login-throttled"),
    path("admin/", admin.site.urls),
    path("contacts/", include("crm.contacts.urls")),
    path("documents/", include("crm.documents.urls")),
    path("search/", include("crm.search.urls")),
    # The interactions module, when installed (settings.INSTALLED_APPS).
    *([path("interactions/", include("interactions.urls"))] if apps.is_installed("interactions") else []),
    prefix_default_language=False,
)

# JSON under /api/, the usual pages elsewhere.
handler404 = api_aware(defaults.page_not_found, json_404)
handler500 = api_aware(defaults.server_error, json_500)
