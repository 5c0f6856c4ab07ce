"""Coordination pages, mounted at /coordination/.

Path parameters: `patient_id` (a patient's UUID); `order_id` (an order of that patient);
`agency_id` (an agency of the user's program). Anything out of reach is a 404.
"""

from django.urls import path

from pallio.coordination import views

app_name = "coordination"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("directory/", views.directory, name="directory"),
    path("directory/new/", views.agency_add, name="agency_add"),
    path("directory/<uuid:agency_id>/", views.agency_edit, name="agency_edit"),
    path("patients/<uuid:patient_id>/", views.patient_orders, name="patient"),
    path("patients/<uuid:patient_id>/orders/", views.order_add, name="order_add"),
    path(
        "patients/<uuid:patient_id>/orders/<uuid:order_id>/status/",
        views.order_status,
        name="order_status",
    ),
]
