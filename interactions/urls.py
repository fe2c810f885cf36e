from django.urls import path

from .views import attachments

app_name = "interactions"
urlpatterns = [
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment-download"),
]
