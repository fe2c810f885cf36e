from django.urls import path

from . import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    # Before "<str:number>/": "campaigns" is not a contact number.
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<str:number>/", views.campaign_detail, name="campaign-detail"),
    path("<str:number>/", views.contact_detail, name="detail"),
]
