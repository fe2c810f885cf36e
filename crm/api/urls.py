from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("", views.token_list, name="tokens"),
    path("all/", views.token_list_all, name="tokens-all"),
    path("<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
