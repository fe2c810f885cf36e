from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("show/", views.show_document, name="show"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/archive/", views.archive_document, name="archive"),
    path("<int:pk>/print/", views.print_dialog, name="print"),
    path("<int:pk>/printed/", views.printed, name="printed"),
    path("<int:pk>/printout/", views.printout, name="printout"),
    path("<int:pk>/pdf/", views.printout_pdf, name="pdf"),
]
