"""The enrollment pages of one patient, mounted at /enrollment/.

Path parameter: `patient_id` (a patient's UUID); a patient the user may not reach is a 404.
"""

from django.urls import path

from pallio.episodes import enrollment_views as views

app_name = "enrollment"

urlpatterns = [
    path("<uuid:patient_id>/discharge/", views.discharge, name="discharge"),
    path("<uuid:patient_id>/death/", views.death, name="death"),
    path("<uuid:patient_id>/enroll-again/", views.reenroll, name="reenroll"),
]
