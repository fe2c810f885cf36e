from django.apps import apps
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from crm import views
from crm.login_throttle import ThrottledLoginView, admin_login

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    # Before django.contrib.auth's own "login": failed logins are throttled.
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
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
