"""The 24/7 support line, mounted at /support/.

Path parameters: `call_id` (a call of the user's program, about a patient they reach; any
other is a 404), `key` (a triage protocol's key, e.g. "pain"), `slot_id` (a slot of the
program's weekly on-call pattern) and `shift_id` (a shift of the program's roster). An id of
another program's roster is a 404.
"""

from typing import Any

from django.urls import path

from pallio.support import ops_views, roster_views, views

app_name = "support"
urlpatterns: list[Any] = [
    # Calls, triage and disposition (support/views.py).
    path("", views.on_call_screen, name="on_call"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/patients/", views.patient_search, name="call_patient_search"),
    path("calls/<uuid:call_id>/", views.call_detail, name="call"),
    path("calls/<uuid:call_id>/triage/", views.call_triage, name="call_triage"),
    path("calls/<uuid:call_id>/callback/", views.call_callback, name="call_callback"),
    path("calls/<uuid:call_id>/disposition/", views.call_disposition, name="call_disposition"),
    path("calls/<uuid:call_id>/death/", views.call_death, name="call_death"),
    path("protocols/", views.protocol_list, name="protocols"),
    path("protocols/<slug:key>/", views.protocol_edit, name="protocol_edit"),
    # Escalations, the morning hand-off and the line's measures (support/ops_views.py).
    path("escalations/", ops_views.escalations, name="escalations"),
    path("escalations/panel/", ops_views.escalations_panel, name="escalations_panel"),
    path(
        "calls/<uuid:call_id>/acknowledge/",
        ops_views.escalation_acknowledge,
        name="escalation_acknowledge",
    ),
    path("handoff/", ops_views.handoff_page, name="handoff"),
    path("handoff/print.pdf", ops_views.handoff_pdf, name="handoff_pdf"),
    path("measures/", ops_views.measures_page, name="measures"),
    # The on-call roster (support/roster_views.py).
    path("roster/", roster_views.roster_page, name="roster"),
    path("roster/pattern/", roster_views.pattern_page, name="roster_pattern"),
    path("roster/pattern/<uuid:slot_id>/", roster_views.pattern_slot_edit, name="roster_slot"),
    path(
        "roster/pattern/<uuid:slot_id>/remove/",
        roster_views.pattern_slot_remove,
        name="roster_slot_remove",
    ),
    path("roster/build/", roster_views.roster_build, name="roster_build"),
    path("roster/shifts/new/", roster_views.shift_new, name="roster_shift_new"),
    path("roster/shifts/<uuid:shift_id>/swap/", roster_views.shift_swap, name="roster_swap"),
    path("roster/shifts/<uuid:shift_id>/cancel/", roster_views.shift_cancel, name="roster_cancel"),
]
