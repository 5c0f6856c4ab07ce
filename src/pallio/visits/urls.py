"""Visits and their notes, mounted at /visits/.

Path parameters: `patient_id` (a patient's UUID) and `note_id` (a visit note's UUID). A note
is reached only through its patient's access rule: a note of a patient the user may not
reach is a 404, like one that does not exist.
"""

from django.urls import path

from pallio.visits import cadence_views, calendar_views, day_plan_views, schedule_views, views

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
    path("patients/<uuid:patient_id>/book/", schedule_views.book, name="book"),
    path("patients/<uuid:patient_id>/places/new/", schedule_views.place_new, name="place_new"),
    path("scheduled/<uuid:scheduled_visit_id>/", schedule_views.scheduled_detail, name="scheduled"),
    path(
        "scheduled/<uuid:scheduled_visit_id>/reschedule/",
        schedule_views.scheduled_reschedule,
        name="reschedule",
    ),
    path(
        "scheduled/<uuid:scheduled_visit_id>/cancel/",
        schedule_views.scheduled_cancel,
        name="cancel",
    ),
    path(
        "scheduled/<uuid:scheduled_visit_id>/no-show/",
        schedule_views.scheduled_no_show,
        name="no_show",
    ),
    path("patients/<uuid:patient_id>/cadence/", cadence_views.cadence_set, name="cadence"),
    path(
        "patients/<uuid:patient_id>/appointments/new/",
        cadence_views.appointment_new,
        name="appointment_new",
    ),
    path(
        "patients/<uuid:patient_id>/appointments/cancel/",
        cadence_views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("overdue/", cadence_views.overdue, name="overdue"),
    path("schedule/", schedule_views.my_schedule, name="my_schedule"),
    path("schedule/calendar-feed/", calendar_views.feed_page, name="calendar_feed"),
    path("schedule/calendar-feed/new/", calendar_views.feed_create, name="calendar_feed_create"),
    path("schedule/calendar-feed/revoke/", calendar_views.feed_revoke, name="calendar_feed_revoke"),
    path("calendar/<str:feed_secret>.ics", calendar_views.feed_ics, name="calendar_ics"),
    path("schedule/team/", schedule_views.team_schedule, name="team_schedule"),
    path(
        "schedule/clinicians/<uuid:clinician_id>/",
        schedule_views.clinician_schedule,
        name="clinician_schedule",
    ),
    path(
        "schedule/clinicians/<uuid:clinician_id>/day-plan/",
        day_plan_views.day_plan,
        name="day_plan",
    ),
    path(
        "schedule/clinicians/<uuid:clinician_id>/day-plan/apply/",
        day_plan_views.day_plan_apply,
        name="day_plan_apply",
    ),
    path(
        "scheduled/<uuid:scheduled_visit_id>/lock/",
        day_plan_views.visit_lock,
        name="lock",
    ),
    path(
        "scheduled/<uuid:scheduled_visit_id>/availability/",
        day_plan_views.visit_availability,
        name="availability",
    ),
]
