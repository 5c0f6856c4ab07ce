"""Reads of visits and notes. A patient is reached only through patient_get_for, and a note
only through its patient's access rule, so missing and forbidden are the same 404; every read
of a note is audited; every list costs a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from pallio.assessments.models import PhaseOfCare, SymptomReport
from pallio.audit.models import Action
from pallio.audit.services import audit_read, audit_record
from pallio.core import access, clock
from pallio.patients.selectors import patient_get_for, patient_header_context
from pallio.visits.models import NoteAddendum, NoteTemplate, Visit, VisitNote

PAGE_SIZE = 25
CHART_NOTES = 5
GENERAL_TEMPLATE = "general"
OFFERED_INSTRUMENTS = 20


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such note") from None


# --- templates -------------------------------------------------------------------------------


def note_templates_for(program: Any) -> list[NoteTemplate]:
    """The program's templates: its own, and the shipped ones it has not replaced."""
    rows = list(NoteTemplate.objects.filter(Q(program=program) | Q(program__isnull=True)))
    own = {r.key for r in rows if r.program_id is not None}
    return [r for r in rows if r.active and (r.program_id is not None or r.key not in own)]


def note_template_for(program: Any, discipline: str) -> NoteTemplate:
    """The template a discipline writes with in a program: the program's own first, then the
    shipped one; a discipline no template names writes with the general template."""
    templates = note_templates_for(program)
    matching = [t for t in templates if discipline in (t.disciplines or [])]
    if matching:
        return min(matching, key=lambda t: (t.program_id is None, t.key))
    general = next((t for t in templates if t.key == GENERAL_TEMPLATE), None)
    if general is None:
        raise Http404("This program has no note template; load the shipped templates.")
    return general


# --- one note ----------------------------------------------------------------------------------


def instrument_window_start(visit: Visit) -> datetime:
    """Instruments count as done in a visit from the start of the visit's day (the program's
    local midnight), so a symptom report taken just before the visit began is offered too."""
    zone = ZoneInfo(visit.patient.program.timezone)
    local = visit.started_at.astimezone(zone)
    return datetime.combine(local.date(), time.min, tzinfo=zone)


def _note_queryset() -> QuerySet[VisitNote]:
    return VisitNote.objects.select_related(
        "visit",
        "visit__clinician",
        "template",
        "author",
        "signed_by",
        "supervisor",
        "cosigned_by",
        "entered_in_error_by",
        "phase_of_care",
        "patient__program",
    )


def note_get_for(
    user: Any, note_id: Any, *, audit: bool = True, event: str = "visit_note.read"
) -> VisitNote:
    """The note, if `user` may see its patient; Http404 for missing and forbidden alike."""
    note = (
        _note_queryset()
        .filter(
            access.patient_access_q(user, prefix="patient__"),
            pk=_as_uuid(note_id),
            patient__entered_in_error=False,
        )
        .first()
    )
    if note is None:
        raise Http404("No such note")
    if audit:
        audit_read(actor=user, patient=note.patient, target=note, event=event)
    return note


def note_page_for(user: Any, note_id: Any, *, audit: bool = True) -> dict[str, Any]:
    """Everything the note page shows, in a fixed number of queries, audited as one read."""
    note = note_get_for(user, note_id, audit=audit)
    context = patient_header_context(user, note.patient)
    context.update(note_details(note))
    return context


def note_details(note: VisitNote) -> dict[str, Any]:
    """The note's sections with their text, its addenda, instruments and summary."""
    summary = None
    if note.visit_id is not None:
        from pallio.visits.models import VisitSummary

        summary = VisitSummary.objects.filter(visit_id=note.visit_id).first()
    return {
        "note": note,
        "visit": note.visit,
        "sections": [
            {**section, "text": note.content.get(section["key"], "")}
            for section in note.template.sections
        ],
        "addenda": list(NoteAddendum.objects.filter(note=note).select_related("author")),
        "symptom_reports": list(note.symptom_reports.order_by("answered_at")),
        "summary": summary,
    }


def instruments_offered(note: VisitNote) -> tuple[list[SymptomReport], list[PhaseOfCare]]:
    """The patient's symptom reports and phases of care recorded from the visit's day on:
    what the signer may name as done in the visit."""
    since = instrument_window_start(note.visit)
    now = clock.now()
    reports = list(
        SymptomReport.objects.filter(
            patient_id=note.patient_id,
            entered_in_error=False,
            answered_at__gte=since,
            answered_at__lte=now,
        )
        .select_related("instrument")
        .order_by("-answered_at")[:OFFERED_INSTRUMENTS]
    )
    phases = list(
        PhaseOfCare.objects.filter(
            patient_id=note.patient_id, recorded_at__gte=since, recorded_at__lte=now
        ).order_by("-recorded_at")[:OFFERED_INSTRUMENTS]
    )
    return reports, phases


# --- lists -------------------------------------------------------------------------------------


def _list_queryset() -> QuerySet[VisitNote]:
    return VisitNote.objects.select_related(
        "visit", "template", "author", "supervisor", "patient"
    ).order_by("-visit__started_at", "-created_at", "id")


def patient_notes_page_for(
    user: Any, patient_id: Any, page: Any, *, event: str = "visit_note.list"
) -> tuple[dict[str, Any], Page[VisitNote]]:
    """A patient's visits and notes, newest first, paginated; the read is audited."""
    patient = patient_get_for(user, patient_id, audit=False)
    result = Paginator(_list_queryset().filter(patient=patient), PAGE_SIZE).get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event=event,
        patient=patient,
        target=patient,
        detail={"notes": [str(n.pk) for n in result.object_list]},
    )
    return patient_header_context(user, patient), result


def visit_notes_chart_section_for(user: Any, patient: Any) -> dict[str, Any]:
    """The latest notes for the chart (the chart has already checked and audited access)."""
    if patient.program_id != getattr(user, "program_id", None):
        return {"patient": patient, "notes": [], "more": False}
    notes = list(
        _list_queryset().filter(patient_id=patient.pk, entered_in_error=False)[: CHART_NOTES + 1]
    )
    return {
        "patient": patient,
        "notes": notes[:CHART_NOTES],
        "more": len(notes) > CHART_NOTES,
        "can_document": access.has_perm(user, "visit.document"),
    }


@dataclass(frozen=True)
class WorklistRow:
    note: VisitNote
    why: str  # "draft", "cosign" (the user co-signs) or "awaiting" (the user's, awaiting)


def note_worklist_for(user: Any) -> QuerySet[VisitNote]:
    """The user's unsigned drafts, their notes awaiting co-signature, and the notes awaiting
    their own co-signature: oldest first, among patients they may still reach."""
    mine = Q(author_id=user.pk, status__in=[VisitNote.Status.DRAFT, "awaiting_cosign"])
    to_cosign = Q(supervisor_id=user.pk, status=VisitNote.Status.AWAITING_COSIGN)
    return (
        VisitNote.objects.filter(mine | to_cosign, entered_in_error=False)
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("visit", "author", "supervisor", "patient")
        .order_by("created_at", "id")
    )


def note_worklist_page_for(user: Any, page: Any) -> Page[WorklistRow]:
    result = Paginator(note_worklist_for(user), PAGE_SIZE).get_page(page)
    rows = []
    for note in result.object_list:
        if note.status == VisitNote.Status.DRAFT:
            why = "draft"
        elif note.supervisor_id == user.pk and note.author_id != user.pk:
            why = "cosign"
        else:
            why = "awaiting"
        rows.append(WorklistRow(note, why))
    result.object_list = rows  # type: ignore[assignment]
    audit_record(
        actor=user,
        action=Action.READ,
        event="visit_note.worklist",
        detail={"notes": [str(r.note.pk) for r in rows]},
    )
    return result  # type: ignore[return-value]
