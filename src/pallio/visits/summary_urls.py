"""Visit summaries, mounted at /summaries/.

Path parameters: `patient_id` (a patient's UUID), `visit_id` (a visit of that patient) and
`delivery_id` (one recipient's delivery of that visit's summary). A visit that is not the
patient's is a 404.
"""

from django.urls import path

from pallio.visits import summary_views as views

app_name = "summaries"

urlpatterns = [
    path("late/", views.late, name="late"),
    path("<uuid:patient_id>/visits/<uuid:visit_id>/", views.summary_detail, name="detail"),
    path(
        "<uuid:patient_id>/visits/<uuid:visit_id>/status/",
        views.summary_status,
        name="status",
    ),
    path(
        "<uuid:patient_id>/visits/<uuid:visit_id>/letter.pdf",
        views.letter_pdf,
        name="letter_pdf",
    ),
    path(
        "<uuid:patient_id>/visits/<uuid:visit_id>/summary.pdf",
        views.plain_pdf,
        name="plain_pdf",
    ),
    path("<uuid:patient_id>/visits/<uuid:visit_id>/fhir", views.summary_fhir, name="fhir"),
    path(
        "<uuid:patient_id>/visits/<uuid:visit_id>/deliveries/<uuid:delivery_id>/resend/",
        views.delivery_resend,
        name="resend",
    ),
]
