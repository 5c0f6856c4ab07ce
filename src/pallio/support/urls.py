from typing import Any

from django.urls import path

from pallio.support import ops_views

app_name = "support"
urlpatterns: list[Any] = []

# Escalations, the morning hand-off and the line's measures (support/ops_views.py).
urlpatterns += [
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
