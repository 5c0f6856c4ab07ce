"""The care plan and the task list, mounted at /plans/.

Path parameters: `patient_id` (a patient's UUID); `problem_id`, `goal_id`, `intervention_id`
(an entry on that patient's plan); `task_id` (a task of a patient the user may reach).
A record id that is not the patient's, or not reachable, is a 404.
"""

from django.urls import path

from pallio.careplans import views

app_name = "careplans"

urlpatterns = [
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<uuid:task_id>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<uuid:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("tasks/<uuid:task_id>/reassign/", views.task_reassign, name="task_reassign"),
    path("<uuid:patient_id>/", views.plan, name="plan"),
    path("<uuid:patient_id>/history/", views.history, name="history"),
    path("<uuid:patient_id>/problems/", views.problem_add, name="problem_add"),
    path("<uuid:patient_id>/goals/", views.goal_add, name="goal_add"),
    path("<uuid:patient_id>/interventions/", views.intervention_add, name="intervention_add"),
    path("<uuid:patient_id>/tasks/", views.task_add, name="task_add"),
    path("<uuid:patient_id>/goals/<uuid:goal_id>/review/", views.goal_review, name="goal_review"),
    path("<uuid:patient_id>/entered-in-error/", views.entered_in_error, name="entered_in_error"),
    path("<uuid:patient_id>/review/", views.plan_review, name="plan_review"),
    path("<uuid:patient_id>/problems/<uuid:problem_id>/", views.problem_edit, name="problem"),
    path("<uuid:patient_id>/goals/<uuid:goal_id>/", views.goal_edit, name="goal"),
    path(
        "<uuid:patient_id>/interventions/<uuid:intervention_id>/",
        views.intervention_edit,
        name="intervention",
    ),
]
