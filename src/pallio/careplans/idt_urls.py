"""The weekly interdisciplinary team meetings, mounted at /team-meetings/.

Path parameters: `team_id` (a team of the user's program), `meeting_id` (a meeting of a team
the user reaches) and `agenda_item_id` (a patient's item on that meeting's agenda). A record
the user does not reach is a 404, the same as one that does not exist.
"""

from django.urls import path

from pallio.careplans import idt_views as views

app_name = "idt"

urlpatterns = [
    path("", views.teams, name="teams"),
    path("not-discussed/", views.not_discussed, name="not_discussed"),
    path("teams/new/", views.team_new, name="team_new"),
    path("teams/<uuid:team_id>/", views.team_detail, name="team"),
    path("teams/<uuid:team_id>/meetings/", views.meeting_create, name="meeting_create"),
    path("<uuid:meeting_id>/", views.meeting_detail, name="meeting"),
    path("<uuid:meeting_id>/agenda/", views.agenda_build, name="agenda_build"),
    path("<uuid:meeting_id>/start/", views.meeting_start, name="meeting_start"),
    path("<uuid:meeting_id>/attendance/", views.attendance, name="attendance"),
    path(
        "<uuid:meeting_id>/items/<uuid:agenda_item_id>/discussion/",
        views.item_discuss,
        name="item_discuss",
    ),
    path(
        "<uuid:meeting_id>/items/<uuid:agenda_item_id>/decisions/",
        views.decision_record,
        name="decision",
    ),
    path("<uuid:meeting_id>/minutes/", views.minutes, name="minutes"),
]
