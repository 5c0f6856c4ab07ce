from django.urls import path

from pallio.portal import account_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", account_views.account, name="account"),
    path("invitation/<str:token>/", account_views.invitation, name="invitation"),
    path("<uuid:patient_id>/", views.patient_home, name="patient_home"),
    path("<uuid:patient_id>/people/", account_views.who_can_see, name="people"),
    path(
        "<uuid:patient_id>/people/<uuid:portal_access_id>/scopes/",
        account_views.caregiver_scopes,
        name="caregiver_scopes",
    ),
    path(
        "<uuid:patient_id>/people/<uuid:portal_access_id>/remove/",
        account_views.caregiver_remove,
        name="caregiver_remove",
    ),
]
