from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from crm import views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("contacts/", include("crm.contacts.urls")),
    path("documents/", include("crm.documents.urls")),
    path("interactions/", include("interactions.urls")),
    prefix_default_language=False,
)
