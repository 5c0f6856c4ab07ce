"""Scheduling pages: book, reschedule, cancel or mark a missed visit from the patient's visits
page; a patient's homes; a day and a week calendar per clinician and for the team. Parse, call
a service or selector, render."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import clock, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.core.validation import apply_service_errors
from pallio.patients.selectors import patient_get_for, patient_header_context
from pallio.visits import schedule_forms as forms
from pallio.visits import schedule_selectors as selectors
from pallio.visits.models import ScheduledVisit
from pallio.visits.reminders import reminder_log_context
from pallio.visits.services import day_plan, scheduling

DAY, WEEK = "day", "week"


# --- a patient's homes ---------------------------------------------------------------------------


@staff_view("visit.view")
@require_http_methods(["GET", "POST"])
def place_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="place.form")
    privileges.privilege_check(user, "schedule.book")
    status = 200
    if request.method == "POST":
        form = forms.PlaceForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                scheduling.place_save_home(actor=user, patient=patient, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Home added. You can now book a visit there.")
                return redirect("visits:book", patient_id=patient.pk)
    else:
        form = forms.PlaceForm(initial={"name": "Home"})
    context = patient_header_context(user, patient)
    context["form"] = form
    return render(request, "visits/place_form.html", context, status=status)


# --- booking -------------------------------------------------------------------------------------

# What a link may fill in on the booking form (a same-day visit suggested beside an
# appointment elsewhere): shown on the form only, checked like anything typed when booked.
PREFILL = ("clinician", "setting", "place", "kind", "starts_at", "ends_at", "note")


def _prefilled(request: HttpRequest) -> dict[str, str]:
    found = {}
    for name in PREFILL:
        value = request.GET.get(name, "")
        if value and len(value) <= 300 and value.isprintable():
            found[name] = value
    return found


@staff_view("visit.view")
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="scheduled_visit.form")
    privileges.privilege_check(user, "schedule.book")
    clinicians = selectors.schedule_clinicians(user)
    places = selectors.places_for_booking(patient)
    status = 200
    if request.method == "POST":
        form = forms.BookForm(request.POST, clinicians=clinicians, places=places)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if data.get("place") and form.place_obj() is None:
                form.add_error("place", "This place is not known. Choose one from the list.")
            else:
                try:
                    visit = scheduling.scheduled_visit_book(
                        actor=user,
                        patient=patient,
                        clinician=form.clinician_obj(),
                        setting=data["setting"],
                        kind=data["kind"],
                        priority=data["priority"],
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        place=form.place_obj(),
                        room=data["room"],
                        note=data["note"],
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, "Visit booked.")
                    return redirect("visits:scheduled", scheduled_visit_id=visit.pk)
    else:
        form = forms.BookForm(
            clinicians=clinicians,
            places=places,
            initial={
                "clinician": str(user.uuid) if user in clinicians else "",
                "priority": scheduling.triage_priority_of(patient),
                **_prefilled(request),
            },
        )
    context = patient_header_context(user, patient)
    context.update({"form": form, "has_home": any(p.is_home for p in places)})
    return render(request, "visits/book_form.html", context, status=status)


# --- one scheduled visit -------------------------------------------------------------------------


def _visit_context(user: Any, visit: ScheduledVisit) -> dict[str, Any]:
    context = patient_header_context(user, visit.patient)
    context.update(
        {
            "visit": visit,
            "access_notes": selectors.access_notes_for(user, visit),
            "is_visiting_clinician": user.pk == visit.clinician_id,
            "can_change": privileges.can(user, "schedule.book"),
            "can_cancel": privileges.can(user, "schedule.cancel"),
            "can_no_show": privileges.can(user, "schedule.no_show")
            and visit.starts_at <= clock.now(),
            "is_booked": visit.status == ScheduledVisit.Status.BOOKED,
        }
    )
    context.update(reminder_log_context(visit))
    return context


@staff_view("visit.view")
@require_GET
def scheduled_detail(request: HttpRequest, scheduled_visit_id: str) -> HttpResponse:
    user: Any = request.user
    visit = selectors.scheduled_visit_get_for(user, scheduled_visit_id)
    context = _visit_context(user, visit)
    context.update(
        {
            "reschedule_form": forms.RescheduleForm(
                initial={
                    "version": visit.version,
                    "starts_at": visit.starts_at,
                    "ends_at": visit.ends_at,
                },
            ),
            "cancel_form": forms.CancelForm(initial={"version": visit.version}),
        }
    )
    return render(request, "visits/scheduled_visit.html", context)


def _render_with(
    request: HttpRequest,
    visit: ScheduledVisit,
    *,
    reschedule_form: Any = None,
    cancel_form: Any = None,
) -> HttpResponse:
    user: Any = request.user
    context = _visit_context(user, visit)
    context.update(
        {
            "reschedule_form": reschedule_form
            or forms.RescheduleForm(
                initial={
                    "version": visit.version,
                    "starts_at": visit.starts_at,
                    "ends_at": visit.ends_at,
                }
            ),
            "cancel_form": cancel_form or forms.CancelForm(initial={"version": visit.version}),
        }
    )
    return render(request, "visits/scheduled_visit.html", context, status=400)


def _show_refusal(form: Any, exc: ValidationError | ConflictError) -> None:
    """Put what the service refused on the form: field by field, or the version conflict."""
    if isinstance(exc, ValidationError):
        apply_service_errors(form, exc)
    else:
        form.add_error(None, str(exc))


@staff_view("visit.view")
@require_POST
def scheduled_reschedule(request: HttpRequest, scheduled_visit_id: str) -> HttpResponse:
    user: Any = request.user
    visit = selectors.scheduled_visit_get_for(
        user, scheduled_visit_id, event="scheduled_visit.form"
    )
    privileges.privilege_check(user, "schedule.book")
    form = forms.RescheduleForm(request.POST)
    if form.is_valid():
        try:
            scheduling.scheduled_visit_reschedule(
                actor=user,
                visit=visit,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                expected_version=form.cleaned_data["version"],
            )
        except (ValidationError, ConflictError) as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, "Visit moved.")
            return redirect("visits:scheduled", scheduled_visit_id=visit.pk)
    return _render_with(request, visit, reschedule_form=form)


@staff_view("visit.view")
@require_POST
def scheduled_cancel(request: HttpRequest, scheduled_visit_id: str) -> HttpResponse:
    user: Any = request.user
    visit = selectors.scheduled_visit_get_for(
        user, scheduled_visit_id, event="scheduled_visit.form"
    )
    privileges.privilege_check(user, "schedule.cancel")
    form = forms.CancelForm(request.POST)
    if form.is_valid():
        try:
            scheduling.scheduled_visit_cancel(
                actor=user,
                visit=visit,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except (ValidationError, ConflictError) as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, "Visit cancelled.")
            return redirect("visits:patient", patient_id=visit.patient_id)
    return _render_with(request, visit, cancel_form=form)


@staff_view("visit.view")
@require_POST
def scheduled_no_show(request: HttpRequest, scheduled_visit_id: str) -> HttpResponse:
    user: Any = request.user
    visit = selectors.scheduled_visit_get_for(
        user, scheduled_visit_id, event="scheduled_visit.form"
    )
    privileges.privilege_check(user, "schedule.no_show")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        scheduling.scheduled_visit_no_show(actor=user, visit=visit, expected_version=version)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, "Recorded that the patient was not seen.")
    return redirect("visits:scheduled", scheduled_visit_id=visit.pk)


# --- calendars -----------------------------------------------------------------------------------


def _day_of(request: HttpRequest, user: Any) -> date:
    today = clock.today_in(user.program.timezone)
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today


def _calendar(request: HttpRequest, *, clinician: Any, title: str) -> HttpResponse:
    user: Any = request.user
    view = WEEK if request.GET.get("view") == WEEK else DAY
    day = _day_of(request, user)
    start = day - timedelta(days=day.weekday()) if view == WEEK else day
    days = 7 if view == WEEK else 1
    calendar = selectors.schedule_for(user, start=start, days=days, clinician=clinician)
    step = timedelta(days=days)
    context = {
        "title": title,
        "view": view,
        "calendar": calendar,
        "start": start,
        "previous": start - step,
        "next": start + step,
        "today": clock.today_in(user.program.timezone),
        "base": request.path,
        "selected": str(clinician.uuid) if clinician is not None else "",
        "clinician": clinician,
        "clinicians": selectors.schedule_clinicians(user),
        "count": sum(len(d.entries) for d in calendar),
        "day_plan_url": reverse("visits:day_plan", kwargs={"clinician_id": clinician.uuid})
        + f"?date={start.isoformat()}"
        if view == DAY and day_plan.can_plan(user, clinician)
        else "",
    }
    return render(request, "visits/schedule.html", context)


@staff_view("visit.view")
@require_GET
def my_schedule(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return _calendar(request, clinician=user, title="My schedule")


@staff_view("visit.view")
@require_GET
def clinician_schedule(request: HttpRequest, clinician_id: str) -> HttpResponse:
    user: Any = request.user
    clinician = selectors.clinician_get_for(user, clinician_id)
    return _calendar(request, clinician=clinician, title=f"Schedule of {clinician.display_name}")


@staff_view("visit.view")
@require_GET
def team_schedule(request: HttpRequest) -> HttpResponse:
    """The whole team's visits; with ?clinician=..., the chosen clinician's page."""
    user: Any = request.user
    chosen = request.GET.get("clinician", "")
    if chosen:
        clinician = selectors.clinician_get_for(user, chosen)
        query = request.GET.copy()
        del query["clinician"]
        url = reverse("visits:clinician_schedule", kwargs={"clinician_id": clinician.uuid})
        return redirect(f"{url}?{query.urlencode()}" if query else url)
    return _calendar(request, clinician=None, title="Team schedule")
