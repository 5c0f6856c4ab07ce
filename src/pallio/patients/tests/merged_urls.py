"""The project's URLs with the care plan, visit note, summary and team meeting pages that
other apps are adding, mounted as stand-ins under their names, so that the timeline's links
to them can be checked before they exist here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, include, path

from pallio.core.access import staff_view
from pallio.urls import urlpatterns as project_urlpatterns


@staff_view()
def stand_in(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


STAND_INS = {
    "careplans": [
        path("<uuid:patient_id>/", stand_in, name="plan"),
        path("<uuid:patient_id>/history/", stand_in, name="history"),
    ],
    "visits": [
        path("patients/<uuid:patient_id>/", stand_in, name="patient"),
        path("notes/<uuid:note_id>/", stand_in, name="note"),
    ],
    "summaries": [
        path("<uuid:patient_id>/visits/<uuid:visit_id>/", stand_in, name="detail"),
    ],
    "idt": [path("<uuid:meeting_id>/", stand_in, name="meeting")],
}
PREFIXES = {
    "careplans": "plans/",
    "visits": "visits/",
    "summaries": "summaries/",
    "idt": "team-meetings/",
}

urlpatterns = [
    entry
    for entry in project_urlpatterns
    if not (isinstance(entry, URLResolver) and entry.app_name in STAND_INS)
] + [path(PREFIXES[name], include((routes, name))) for name, routes in STAND_INS.items()]
