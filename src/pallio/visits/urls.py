"""Visits and their notes, mounted at /visits/.

Path parameters: `patient_id` (a patient's UUID) and `note_id` (a visit note's UUID). A note
is reached only through its patient's access rule: a note of a patient the user may not
reach is a 404, like one that does not exist.
"""

from django.urls import path

from pallio.visits import views

app_name = "visits"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("patients/<uuid:patient_id>/", views.patient_visits, name="patient"),
    path("patients/<uuid:patient_id>/new/", views.visit_new, name="new"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("notes/<uuid:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<uuid:note_id>/sign/", views.note_sign, name="note_sign"),
    path("notes/<uuid:note_id>/cosign/", views.note_cosign, name="note_cosign"),
    path("notes/<uuid:note_id>/addenda/", views.note_addendum, name="note_addendum"),
    path(
        "notes/<uuid:note_id>/entered-in-error/",
        views.note_entered_in_error,
        name="note_entered_in_error",
    ),
]
