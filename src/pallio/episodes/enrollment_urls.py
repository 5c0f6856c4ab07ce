"""The enrollment pages of one patient, mounted at /enrollment/.

Path parameters: `patient_id` (a patient's UUID), `member_id` (a care-team membership); a
patient the user may not reach is a 404.
"""

from django.urls import path

from pallio.episodes import enrollment_views as views

app_name = "enrollment"

urlpatterns = [
    path("<uuid:patient_id>/discharge/", views.discharge, name="discharge"),
    path("<uuid:patient_id>/death/", views.death, name="death"),
    path("<uuid:patient_id>/enroll-again/", views.reenroll, name="reenroll"),
    path("<uuid:patient_id>/care-team/", views.care_team, name="care_team"),
    path("<uuid:patient_id>/care-team/add/", views.care_team_add, name="care_team_add"),
    path("<uuid:patient_id>/care-team/lead/", views.care_team_lead, name="care_team_lead"),
    path(
        "<uuid:patient_id>/care-team/<uuid:member_id>/end/",
        views.care_team_end,
        name="care_team_end",
    ),
]
