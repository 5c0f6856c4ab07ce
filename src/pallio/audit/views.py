from __future__ import annotations

import csv
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pallio.audit.models import Action, Outcome
from pallio.audit.selectors import (
    AuditFilters,
    audit_events_for,
    denials_by_user,
    denials_query,
    security_alerts_for,
)
from pallio.audit.services import audit_record
from pallio.core import params
from pallio.core.access import staff_view
from pallio.core.params import BadQuery

CSV_COLUMNS = [
    "id",
    "at",
    "username",
    "role",
    "patient_id",
    "action",
    "event",
    "object_type",
    "object_id",
    "outcome",
    "source_address",
    "hash",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start with these as formulas.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_view("audit.view")
@require_GET
def audit_log(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    try:
        filters = AuditFilters.from_query(request.GET)
    except BadQuery as exc:
        # The form again with what was wrong; no rows rather than rows the filter did not pick.
        return render(
            request,
            "audit/log.html",
            {**_page_context(request), "filters": AuditFilters(errors=tuple(exc.problems))},
            status=400,
        )
    events = audit_events_for(user, filters, tz=user.program.timezone)
    if request.GET.get("format") == "csv":
        audit_record(
            actor=user,
            action=Action.EXPORT,
            event="audit.export",
            detail={"filters": request.GET.urlencode()[:500]},
        )
        writer = csv.writer(_Echo())

        def rows() -> Any:
            yield writer.writerow(CSV_COLUMNS)
            for event in events.iterator(chunk_size=2000):
                yield writer.writerow([_csv_cell(getattr(event, c)) for c in CSV_COLUMNS])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="pallio-audit.csv"'
        return response
    page = Paginator(events, 50).get_page(params.page_of(request.GET))
    return render(
        request,
        "audit/log.html",
        {**_page_context(request), "page": page, "filters": filters},
    )


def _page_context(request: HttpRequest) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    return {
        "actions": Action.choices,
        "outcomes": Outcome.choices,
        "query": query.urlencode(),
        "full_query": request.GET.urlencode(),
        "columns": [
            ("at", "Time"),
            ("user", "User"),
            ("role", "Role"),
            ("patient", "Patient"),
            ("action", "Action"),
            ("event", "Event"),
            ("outcome", "Outcome"),
            ("source", "Source address"),
        ],
    }


@staff_view("audit.view")
@require_GET
def denials(request: HttpRequest) -> HttpResponseBase:
    """Refused requests by user, and the security alerts they raised."""
    user: Any = request.user
    filters, sort = denials_query(request.GET)
    rows = denials_by_user(user, filters, tz=user.program.timezone, sort=sort)
    page = Paginator(rows, 50).get_page(params.page_of(request.GET))
    query = request.GET.copy()
    query.pop("page", None)
    page_query = query.urlencode()
    query.pop("sort", None)
    program = user.program
    return render(
        request,
        "audit/denials.html",
        {
            "page": page,
            "filters": filters,
            "sort": sort if sort in ("count", "last", "user") else "count",
            "query": query.urlencode(),
            "page_query": page_query,
            "alerts": security_alerts_for(user),
            "threshold": program.setting("denials_alert_threshold"),
            "window": program.setting("denials_alert_window_minutes"),
        },
    )
