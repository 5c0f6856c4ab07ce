"""Hospice pages, mounted at /hospice/.

Path parameters: `patient_id` (a patient's UUID); `hospice_referral_id` (a hospice referral
of that patient). A referral that is not the patient's, or a patient out of reach, is a 404.
"""

from django.urls import path

from pallio.episodes import hospice_views as views

app_name = "hospice"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("<uuid:patient_id>/", views.patient_hospice, name="patient"),
    path("<uuid:patient_id>/referrals/", views.referral_send, name="refer"),
    path(
        "<uuid:patient_id>/referrals/<uuid:hospice_referral_id>/status/",
        views.referral_status,
        name="status",
    ),
    path(
        "<uuid:patient_id>/referrals/<uuid:hospice_referral_id>/package/resend/",
        views.package_resend,
        name="package_resend",
    ),
    path(
        "<uuid:patient_id>/referrals/<uuid:hospice_referral_id>/package.pdf",
        views.package_pdf,
        name="package_pdf",
    ),
    path(
        "<uuid:patient_id>/referrals/<uuid:hospice_referral_id>/package.json",
        views.package_fhir,
        name="package_fhir",
    ),
]
