from django.urls import path

from pallio.portal import account_views, checkin_views, diary_views, home_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", account_views.account, name="account"),
    path("invitation/<str:token>/", account_views.invitation, name="invitation"),
    path("<uuid:patient_id>/", views.patient_home, name="patient_home"),
    path(
        "<uuid:patient_id>/summaries/<uuid:visit_id>/",
        home_views.summary_pdf,
        name="summary_pdf",
    ),
    path(
        "<uuid:patient_id>/documents/<uuid:document_id>/",
        home_views.document_download,
        name="document_download",
    ),
    path("<uuid:patient_id>/diary/", diary_views.diary_page, name="diary"),
    path("<uuid:patient_id>/check-in/", checkin_views.checkin_page, name="checkin"),
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
