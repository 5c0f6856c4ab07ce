from django.urls import path

from pallio.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("denials/", views.denials, name="denials"),
    path("patients/", views.patient_directory, name="patients"),
    path("patients/<uuid:patient_id>/", views.patient_trail, name="patient_trail"),
    path("staff/", views.staff_directory, name="staff"),
    path("staff/<uuid:staff_id>/", views.staff_trail, name="staff_trail"),
]
