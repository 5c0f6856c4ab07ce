"""Goals of care and advance care planning, mounted at /acp/.

Path parameters: `patient_id` (a patient's UUID), `conversation_id` (a goals-of-care
conversation of that patient), `agent_id` (a healthcare agent of that patient) and
`document_id` (an advance directive document of that patient). A record id that is not the
patient's is a 404.
"""

from django.urls import path

from pallio.acp import views

app_name = "acp"

urlpatterns = [
    path("worklists/", views.worklists, name="worklists"),
    path("<uuid:patient_id>/", views.patient_acp, name="patient"),
    path("<uuid:patient_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("<uuid:patient_id>/fhir", views.fhir_export, name="fhir"),
    path("<uuid:patient_id>/conversations/new/", views.conversation_new, name="conversation_new"),
    path(
        "<uuid:patient_id>/conversations/<uuid:conversation_id>/",
        views.conversation_detail,
        name="conversation",
    ),
    path(
        "<uuid:patient_id>/conversations/<uuid:conversation_id>/sign/",
        views.conversation_sign,
        name="conversation_sign",
    ),
    path(
        "<uuid:patient_id>/conversations/<uuid:conversation_id>/addenda/",
        views.conversation_addendum,
        name="conversation_addendum",
    ),
    path("<uuid:patient_id>/agents/", views.agent_add, name="agent_add"),
    path(
        "<uuid:patient_id>/agents/<uuid:agent_id>/verify/",
        views.agent_verify,
        name="agent_verify",
    ),
    path("<uuid:patient_id>/documents/", views.document_upload, name="document_upload"),
    path(
        "<uuid:patient_id>/documents/<uuid:document_id>/",
        views.document_download,
        name="document",
    ),
    path(
        "<uuid:patient_id>/documents/<uuid:document_id>/verify/",
        views.document_verify,
        name="document_verify",
    ),
    path("<uuid:patient_id>/code-status/", views.code_status_change, name="code_status"),
    path("<uuid:patient_id>/portable-orders/", views.portable_order, name="portable_order"),
    path(
        "<uuid:patient_id>/treatment-preferences/",
        views.treatment_preference,
        name="treatment_preference",
    ),
    path("<uuid:patient_id>/place-preference/", views.place_preference, name="place_preference"),
    path("<uuid:patient_id>/hospitalizations/", views.hospitalization, name="hospitalization"),
    path("<uuid:patient_id>/entered-in-error/", views.entered_in_error, name="entered_in_error"),
]
