from django.urls import path

from pallio.portal import checkin_views, diary_views, home_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
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
]
