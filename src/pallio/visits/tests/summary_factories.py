"""Visits and signed notes made directly, for the visit summary tests (the note services are
another piece of work; these rows are what they leave behind once a note is signed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pallio.assessments import services as assessments
from pallio.assessments.models import SymptomReport
from pallio.core import clock
from pallio.visits.models import NoteTemplate, Visit, VisitNote


def note_template(program: Any) -> NoteTemplate:
    template, _ = NoteTemplate.objects.get_or_create(
        program=program,
        key="summary-test-visit",
        defaults={
            "title": "Nurse visit",
            "disciplines": ["nurse", "nurse_navigator"],
            "sections": [{"key": "assessment", "label": "Assessment", "required": True}],
        },
    )
    return template


def esas_report(
    actor: Any, patient: Any, answered_at: datetime | None = None, **values: int
) -> SymptomReport:
    from pallio.assessments.tests.helpers import esas

    assessments.instruments_sync_shipped()
    report, _ = assessments.report_submit(
        actor=actor,
        patient=patient,
        data=assessments.ReportInput(
            "esas-r", esas(**values), "patient", "visit", answered_at=answered_at
        ),
    )
    return report


def visit_of(
    patient: Any,
    clinician: Any,
    *,
    started_at: datetime | None = None,
    reason: str = "Review of pain and breathlessness",
    mode: str = "in_person",
    setting: str = "home",
) -> Visit:
    return Visit.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=patient.episodes.filter(status="active").first(),
        clinician=clinician,
        discipline=clinician.discipline,
        setting=setting,
        mode=mode,
        started_at=started_at or clock.now() - timedelta(hours=2),
        reason=reason,
    )


def signed_note(
    visit: Visit,
    *,
    reports: tuple[SymptomReport, ...] = (),
    plan_changes: list[dict[str, str]] | None = None,
    signed: bool = True,
) -> VisitNote:
    note = VisitNote.objects.create(
        program_id=visit.program_id,
        patient=visit.patient,
        visit=visit,
        template=note_template(visit.program),
        author=visit.clinician,
        content={"assessment": "Pain better controlled; short of breath on stairs."},
        plan_changes=plan_changes or [],
        status=VisitNote.Status.SIGNED if signed else VisitNote.Status.DRAFT,
        signed_at=clock.now() if signed else None,
        signed_by=visit.clinician if signed else None,
    )
    if reports:
        note.symptom_reports.set(reports)
    return note


def sample_visit_summary(world: Any) -> Any:
    """Alice's signed visit today with its summary, mailed to her primary care doctor."""
    from pallio.visits.summaries import summary_create_for_note

    alice = world.alice
    alice.primary_care_name = "Dr. Grace Park"
    alice.primary_care_email = "park@clinic.example.org"
    alice.save(update_fields=["primary_care_name", "primary_care_email"])
    note = signed_note(visit_of(alice, world.navigator))
    return summary_create_for_note(actor=world.navigator, note=note)
