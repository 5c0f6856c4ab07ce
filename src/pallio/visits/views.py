"""Visit and note pages: parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pallio.core import clock, params, privileges
from pallio.core.access import staff_view
from pallio.core.models import ConflictError
from pallio.patients.selectors import patient_get_for, patient_header_context
from pallio.visits import forms, services
from pallio.visits.cadence_selectors import appointments_of, cadences_of
from pallio.visits.models import VisitNote
from pallio.visits.schedule_selectors import upcoming_visits_of
from pallio.visits.selectors import (
    instruments_offered,
    note_details,
    note_get_for,
    note_page_for,
    note_template_for,
    note_worklist_page_for,
    patient_notes_page_for,
)

_ONLY_AUTHOR = "Only the note's author, {author}, may change or sign this draft."


def _zone(patient: Any) -> ZoneInfo:
    return ZoneInfo(patient.program.timezone)


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- lists -----------------------------------------------------------------------------------


@staff_view("visit.view")
@require_GET
def patient_visits(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    query = params.parse(params.PageQuery, request.GET)
    context, page = patient_notes_page_for(user, patient_id, query["page"])
    context.update(
        {
            "page": page,
            "can_document": privileges.can(user, "note.write"),
            "can_book": privileges.can(user, "schedule.book"),
            "upcoming": upcoming_visits_of(context["patient"]),
            "can_cancel": privileges.can(user, "schedule.cancel"),
            "cadences": cadences_of(context["patient"]),
            "appointments": appointments_of(context["patient"]),
        }
    )
    return render(request, "visits/patient_visits.html", context)


@staff_view("visit.view")
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    query = params.parse(params.PageQuery, request.GET)
    page = note_worklist_page_for(user, query["page"])
    return render(request, "visits/worklist.html", {"page": page})


# --- documenting a visit -----------------------------------------------------------------------


@staff_view("visit.document")
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user: Any = request.user
    patient = patient_get_for(user, patient_id, event="visit.form")
    privileges.privilege_check(user, "note.write")
    template = note_template_for(patient.program, user.discipline)
    status = 200
    if request.method == "POST":
        form = forms.VisitNoteForm(request.POST, template=template)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                note = services.visit_document(
                    actor=user,
                    patient=patient,
                    setting=data["setting"],
                    mode=data["mode"],
                    started_at=data["started_at"],
                    reason=data["reason"],
                    content=form.content(),
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                return _after_save(request, note)
    else:
        now = clock.now().astimezone(_zone(patient)).replace(second=0, microsecond=0)
        form = forms.VisitNoteForm(template=template, initial={"started_at": now})
    context = patient_header_context(user, patient)
    context.update({"form": form, "template": template, "note": None})
    return render(request, "visits/note_form.html", context, status=status)


def _after_save(request: HttpRequest, note: VisitNote) -> HttpResponse:
    if request.POST.get("action") == "sign":
        messages.success(request, "Draft saved. Check it and choose what was done in the visit.")
        return redirect("visits:note_sign", note_id=note.pk)
    messages.success(request, "Draft saved. It is on your worklist until you sign it.")
    return redirect("visits:note", note_id=note.pk)


# --- one note ----------------------------------------------------------------------------------


def _note_context(user: Any, note_id: Any, *, audit: bool) -> dict[str, Any]:
    context = note_page_for(user, note_id, audit=audit)
    note = context["note"]
    context.update(
        {
            "addendum_form": forms.AddendumForm(),
            "error_form": forms.EnteredInErrorForm(),
            "cosign_form": forms.VersionForm(initial={"version": note.version}),
            "can_edit": note.is_draft and not note.entered_in_error and note.author_id == user.pk,
            "can_cosign": (
                note.status == VisitNote.Status.AWAITING_COSIGN
                and not note.entered_in_error
                and note.author_id != user.pk
                and (note.supervisor_id == user.pk or privileges.can(user, "note.cosign"))
            ),
            "can_addend": (
                not note.is_draft
                and not note.entered_in_error
                and privileges.can(user, "note.addend")
            ),
            "can_void": not note.entered_in_error and privileges.can(user, "note.void"),
        }
    )
    return context


def _note_page(
    request: HttpRequest, note_id: Any, *, status: int = 200, audit: bool = False, **extra: Any
) -> HttpResponse:
    context = _note_context(request.user, note_id, audit=audit)
    context.update(extra)
    return render(request, "visits/note.html", context, status=status)


@staff_view("visit.view")
@require_GET
def note_detail(request: HttpRequest, note_id: str) -> HttpResponse:
    return _note_page(request, note_id, audit=True)


@staff_view("visit.document")
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id: str) -> HttpResponse:
    """The author's draft. A signed note has no edit form; a crafted POST to it reaches the
    service, which refuses it, and nothing changes."""
    user: Any = request.user
    note = note_get_for(user, note_id, audit=request.method == "GET", event="visit_note.edit_form")
    if request.method == "GET" and (not note.is_draft or note.entered_in_error):
        messages.info(request, services.SIGNED_MESSAGE)
        return redirect("visits:note", note_id=note.pk)
    if request.method == "GET" and note.author_id != user.pk:
        messages.info(request, _ONLY_AUTHOR.format(author=note.author.display_name))
        return redirect("visits:note", note_id=note.pk)
    status = 200
    if request.method == "POST":
        form = forms.VisitNoteForm(request.POST, template=note.template)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                note = services.note_update(
                    actor=user,
                    note=note,
                    expected_version=data.get("version") or 0,
                    content=form.content(),
                    setting=data["setting"],
                    mode=data["mode"],
                    started_at=data["started_at"],
                    reason=data["reason"],
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                if not note.is_draft or note.entered_in_error:
                    return _note_page(request, note.pk, status=400, refusal=_messages_of(exc))
                form.apply_service_errors(exc)
            else:
                return _after_save(request, note)
    else:
        form = forms.VisitNoteForm(
            template=note.template, initial=forms.VisitNoteForm.initial_from(note)
        )
    context = patient_header_context(user, note.patient)
    context.update({"form": form, "template": note.template, "note": note})
    return render(request, "visits/note_form.html", context, status=status)


@staff_view("visit.document")
@require_http_methods(["GET", "POST"])
def note_sign(request: HttpRequest, note_id: str) -> HttpResponse:
    user: Any = request.user
    note = note_get_for(user, note_id, audit=request.method == "GET", event="visit_note.sign_form")
    if not note.is_draft or note.entered_in_error:
        if request.method == "GET":
            return redirect("visits:note", note_id=note.pk)
        return _note_page(request, note.pk, status=400, refusal=services.SIGNED_MESSAGE)
    if request.method == "GET" and note.author_id != user.pk:
        messages.info(request, _ONLY_AUTHOR.format(author=note.author.display_name))
        return redirect("visits:note", note_id=note.pk)
    reports, phases = instruments_offered(note)
    zone = _zone(note.patient)
    status = 200
    if request.method == "POST":
        form = forms.SignForm(request.POST, reports=reports, phases=phases, zone=zone)
        status = 400
        if form.is_valid():
            try:
                signed = services.note_sign(
                    actor=user,
                    note=note,
                    expected_version=form.cleaned_data["version"],
                    symptom_reports=form.chosen_reports(),
                    phase_of_care=form.chosen_phase(),
                    phase=form.cleaned_data.get("phase", ""),
                )
            except ConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                _sign_errors(form, note, exc)
            else:
                if signed.supervisor is not None and signed.cosigned_at is None:
                    messages.success(
                        request,
                        f"Note signed. It now waits for {signed.supervisor.display_name}'s "
                        "co-signature.",
                    )
                else:
                    messages.success(request, "Note signed. It can no longer be changed.")
                return redirect("visits:note", note_id=note.pk)
    else:
        form = forms.SignForm(
            initial={"version": note.version}, reports=reports, phases=phases, zone=zone
        )
    context = patient_header_context(user, note.patient)
    context.update(note_details(note))
    context.update({"form": form, "offered_reports": reports})
    return render(request, "visits/note_sign.html", context, status=status)


def _sign_errors(form: forms.SignForm, note: VisitNote, exc: ValidationError) -> None:
    """Missing sections are named by their label; instrument errors go to their field."""
    labels = {s["key"]: s["label"] for s in note.template.sections}
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, messages_ in exc.message_dict.items():
        target = name if name in form.fields else None
        for message in messages_:
            if name in labels and target is None:
                form.add_error(None, message)
            else:
                form.add_error(target, message)


@staff_view("visit.document")
@require_POST
def note_cosign(request: HttpRequest, note_id: str) -> HttpResponse:
    user: Any = request.user
    note = note_get_for(user, note_id, audit=False)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        return _note_page(
            request, note.pk, status=400, refusal="Reload the page and co-sign again."
        )
    try:
        services.note_cosign(actor=user, note=note, expected_version=form.cleaned_data["version"])
    except ConflictError as exc:
        return _note_page(request, note.pk, status=409, refusal=str(exc))
    except ValidationError as exc:
        return _note_page(request, note.pk, status=400, refusal=_messages_of(exc))
    messages.success(request, "Note co-signed. It is now final.")
    return redirect("visits:note", note_id=note.pk)


@staff_view("visit.document")
@require_POST
def note_addendum(request: HttpRequest, note_id: str) -> HttpResponse:
    user: Any = request.user
    note = note_get_for(user, note_id, audit=False)
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.note_addendum_add(
                actor=user,
                note=note,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, messages_ in exc.message_dict.items():
                    for message in messages_:
                        form.add_error(name if name in form.fields else None, message)
            else:
                return _note_page(request, note.pk, status=400, refusal=_messages_of(exc))
        else:
            messages.success(request, "Addendum added.")
            return redirect("visits:note", note_id=note.pk)
    return _note_page(request, note.pk, status=400, addendum_form=form, open_panel="addendum")


@staff_view("visit.document")
@require_POST
def note_entered_in_error(request: HttpRequest, note_id: str) -> HttpResponse:
    user: Any = request.user
    note = note_get_for(user, note_id, audit=False)
    form = forms.EnteredInErrorForm(request.POST)
    if form.is_valid():
        try:
            services.note_mark_entered_in_error(
                actor=user, note=note, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            return _note_page(request, note.pk, status=400, refusal=_messages_of(exc))
        messages.success(request, "Note marked as entered in error.")
        return redirect("visits:note", note_id=note.pk)
    return _note_page(request, note.pk, status=400, error_form=form, open_panel="error")
