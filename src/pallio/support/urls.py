"""The 24/7 support line, mounted at /support/.

Path parameters: `call_id` (a call of the user's program, about a patient they reach; any
other is a 404) and `key` (a triage protocol's key, e.g. "pain").
"""

from typing import Any

from django.urls import path

from pallio.support import ops_views, views

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
]
