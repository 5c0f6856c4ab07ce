from django.urls import path

from pallio.assessments import views

app_name = "assessments"

urlpatterns = [
    path("alerts/", views.worklist, name="worklist"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.alert_acknowledge, name="acknowledge"),
    path("alerts/<uuid:alert_id>/resolve/", views.alert_resolve, name="resolve"),
    path("alerts/<uuid:alert_id>/take/", views.alert_take, name="take"),
    path("instruments/", views.instruments, name="instruments"),
    path("patients/<uuid:patient_id>/", views.trends, name="trends"),
    path("patients/<uuid:patient_id>/report/", views.report_new, name="report"),
    path("patients/<uuid:patient_id>/phase/", views.phase_new, name="phase"),
    path("patients/<uuid:patient_id>/cadence/", views.cadence_set, name="cadence"),
    path("patients/<uuid:patient_id>/assessment/", views.assessment, name="assessment"),
    path(
        "patients/<uuid:patient_id>/assessment/start/",
        views.assessment_start,
        name="assessment_start",
    ),
    path(
        "patients/<uuid:patient_id>/assessment/section/",
        views.assessment_section,
        name="assessment_section",
    ),
    path(
        "patients/<uuid:patient_id>/assessment/sign/", views.assessment_sign, name="assessment_sign"
    ),
    path(
        "patients/<uuid:patient_id>/assessment/addendum/",
        views.assessment_addendum,
        name="assessment_addendum",
    ),
]
