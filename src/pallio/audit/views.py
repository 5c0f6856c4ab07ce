from __future__ import annotations

import csv
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from pallio.audit import directory
from pallio.audit.events import role_names
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
from pallio.core.codes import Discipline
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


class CappedPaginator(Paginator):
    """Pages of audit events that count at most `cap` of them: a count of every event a
    filter matches reads millions of rows in a year's trail (docs/performance.md). Past the
    cap the pages say "more than", and the last page offered is the one after the cap;
    narrower filters (or the CSV export) reach older events."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        # Without the order, the count stops at the first `cap + 1` rows the database finds.
        events: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return int(events.order_by()[: self.cap + 1].count())

    def page(self, number: Any) -> Page[Any]:
        # The page after the cap holds what is there, not just the one row counted.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.object_list[bottom : bottom + self.per_page], number, self)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def pages_counted(self) -> int:
        return self.cap // self.per_page


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
    page = CappedPaginator(events, 50).get_page(params.page_of(request.GET))
    return render(
        request,
        "audit/log.html",
        {
            **_page_context(request),
            "page": page,
            "rows": directory.event_rows(user, page.object_list),
            "filters": filters,
        },
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


# --- the directory: a patient's or a staff member's trail, found by name ---------------------

EVENTS_PER_PAGE = 50
MATCHES_PER_PAGE = 25


def _search(
    request: HttpRequest,
    *,
    form: type[params.QueryForm],
    search: Any,
    event: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponseBase:
    """A directory search: nothing asked, the form; a bad query, the form with what was
    wrong and nothing searched or recorded; otherwise one page of matches, the search on the
    record with what was typed and how many matched."""
    user: Any = request.user
    context = {**context, "q": request.GET.get("q", "")[:200], "errors": []}
    if "q" not in request.GET:
        return render(request, template, context)
    try:
        data = params.parse(form, request.GET)
    except BadQuery as exc:
        return render(request, template, {**context, "errors": exc.problems}, status=400)
    text = data["q"]
    page = Paginator(search(user, text), MATCHES_PER_PAGE).get_page(data["page"] or 1)
    audit_record(
        actor=user,
        action=Action.READ,
        event=event,
        detail={"query": text, "found": page.paginator.count, "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {**context, "q": text, "page": page, "searched": True, "query": query.urlencode()},
    )


def _trail_page(request: HttpRequest, events: Any) -> tuple[Any, list[directory.EventRow]]:
    page = CappedPaginator(events, EVENTS_PER_PAGE).get_page(params.page_of(request.GET))
    return page, directory.event_rows(request.user, page.object_list)


@staff_view("audit.view")
@require_GET
def patient_directory(request: HttpRequest) -> HttpResponseBase:
    """Find a patient of the program by name or record number, to read their trail."""
    return _search(
        request,
        form=directory.PatientDirectoryQuery,
        search=directory.patient_directory_search,
        event="audit.patient_search",
        template="audit/patients.html",
        context={},
    )


@staff_view("audit.view")
@require_GET
def patient_trail(request: HttpRequest, patient_id: Any) -> HttpResponseBase:
    """Every event about one patient of the program, newest first."""
    user: Any = request.user
    patient = directory.patient_for_audit(user, patient_id)
    page_number = params.page_of(request.GET)
    audit_record(
        actor=user,
        action=Action.READ,
        event="audit.patient_trail",
        patient=patient,
        target=patient,
        detail={"page": page_number},
    )
    page, rows = _trail_page(request, directory.events_about_patient(user, patient))
    return render(
        request,
        "audit/patient_trail.html",
        {
            "patient": patient,
            "page": page,
            "rows": rows,
        },
    )


@staff_view("audit.view")
@require_GET
def staff_directory(request: HttpRequest) -> HttpResponseBase:
    """Find a staff member of the program by name or username, to read their trail."""
    return _search(
        request,
        form=directory.StaffDirectoryQuery,
        search=directory.staff_directory_search,
        event="audit.staff_search",
        template="audit/staff.html",
        context={"roles": role_names(), "disciplines": dict(Discipline.choices)},
    )


@staff_view("audit.view")
@require_GET
def staff_trail(request: HttpRequest, staff_id: Any) -> HttpResponseBase:
    """Everything one staff member of the program did, newest first."""
    user: Any = request.user
    staff = directory.staff_for_audit(user, staff_id)
    page_number = params.page_of(request.GET)
    audit_record(
        actor=user,
        action=Action.READ,
        event="audit.staff_trail",
        target=staff,
        detail={"user": staff.username, "page": page_number},
    )
    page, rows = _trail_page(request, directory.events_by_staff(user, staff))
    return render(
        request,
        "audit/staff_trail.html",
        {
            "staff": staff,
            "role": role_names().get(staff.role, ""),
            "discipline": directory.discipline_name(staff.discipline),
            "page": page,
            "rows": rows,
        },
    )
