"""Documenting a visit: the note's draft, signature, co-signature, addenda and
entered-in-error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pallio.assessments.models import Channel, PhaseOfCare, SymptomReport
from pallio.assessments.services import phase_record
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.selectors import plan_changes_between
from pallio.careplans.services import task_cancel, task_complete, task_create
from pallio.core import access, clock
from pallio.core.models import ConflictError, versioned_save
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.services import episode_first_contact_record
from pallio.visits.models import Mode, NoteAddendum, NoteTemplate, Setting, Visit, VisitNote
from pallio.visits.selectors import instrument_window_start, note_template_for
from pallio.visits.services.templates import MAX_INSTRUMENTS, SECTION_LIMIT, _raise

# A co-signature is due within two days of the trainee's signature: the supervisor sees the
# note on their worklist and as a task from the moment it is signed.
COSIGN_DUE_DAYS = 2

SIGNED_MESSAGE = "This note is signed and cannot be changed. Add an addendum to correct it."
VOIDED_MESSAGE = "This note was marked as entered in error and cannot be changed."


# --- documenting a visit ---------------------------------------------------------------------


def _zone(patient: Any) -> ZoneInfo:
    return ZoneInfo(patient.program.timezone)


def _check_visit(
    errors: Errors, *, setting: str, mode: str, started_at: Any, reason: str, patient: Any
) -> None:
    check_choice(errors, "setting", setting, Setting.values)
    check_choice(errors, "mode", mode, Mode.values)
    check_text(errors, "reason", reason, 300, required=True)
    if not isinstance(started_at, datetime) or started_at.tzinfo is None:
        errors.setdefault("started_at", []).append("Enter when the visit took place.")
    elif started_at > clock.now():
        errors.setdefault("started_at", []).append("The visit cannot be in the future.")
    elif started_at.year < 1900:
        # Also keeps the conversion below in range (a date near year 1 overflows).
        errors.setdefault("started_at", []).append("Enter a date from 1900 on.")
    elif started_at.astimezone(_zone(patient)).date() < patient.birth_date:
        errors.setdefault("started_at", []).append("The visit cannot be before birth.")


def _clean_content(errors: Errors, template: NoteTemplate, content: Any) -> dict[str, str]:
    """The note's text by section key: only the template's sections, each bounded."""
    if content is None:
        return {}
    if not isinstance(content, dict):
        errors.setdefault("content", []).append("Give the note's text section by section.")
        return {}
    keys = {s["key"] for s in template.sections}
    clean: dict[str, str] = {}
    for key, value in content.items():
        if key not in keys:
            errors.setdefault("content", []).append(
                f"{key!s:.40} is not a section of this note template."
            )
            continue
        text = value if isinstance(value, str) else ""
        if not isinstance(value, str | type(None)):
            errors.setdefault(key, []).append("Write this section as text.")
        check_text(errors, key, text, SECTION_LIMIT)
        if text.strip():
            clean[key] = text.strip()
    return clean


def _may_document(actor: Any, patient: Any) -> None:
    """The author must be on the patient's care team, hold a role that reaches every patient
    of the program, or be the on-call clinician on shift (a visit or call at night);
    emergency (break-the-glass) access does not make one the author of the patient's notes."""
    if access.access_reason(actor, patient) not in ("team", "program", access.ON_CALL_SHIFT):
        raise PermissionDenied(
            "You are not on this patient's care team, so you cannot document a visit for "
            "them. Ask the team lead to add you to the team first."
        )


def _channel_of(mode: str) -> str:
    return Channel.CALL if mode == Mode.TELEPHONE else Channel.VISIT


def _contact_words(visit: Visit) -> str:
    if visit.mode == Mode.TELEPHONE:
        return "telephone call"
    return f"{visit.get_mode_display().lower()} visit ({visit.get_setting_display().lower()})"


@transaction.atomic
def visit_document(
    *,
    actor: Any,
    patient: Any,
    setting: str,
    mode: str,
    started_at: datetime,
    reason: str,
    content: dict[str, str] | None = None,
) -> VisitNote:
    """Record a visit or call and open its draft note from the author's discipline's
    template. The first visit or call of an episode records the first contact and closes
    the first-contact task."""
    privilege_check(actor, "note.write")
    _may_document(actor, patient)
    template = note_template_for(patient.program, actor.discipline)
    errors: Errors = {}
    _check_visit(
        errors, setting=setting, mode=mode, started_at=started_at, reason=reason, patient=patient
    )
    clean = _clean_content(errors, template, content)
    _raise(errors)
    episode = (
        EpisodeOfCare.objects.filter(patient=patient, status=EpisodeOfCare.Status.ACTIVE)
        .order_by("-start")
        .first()
    )
    visit = Visit.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        clinician=actor,
        discipline=actor.discipline,
        setting=setting,
        mode=mode,
        started_at=started_at,
        reason=reason.strip(),
    )
    note = VisitNote.objects.create(
        program_id=patient.program_id,
        patient=patient,
        visit=visit,
        template=template,
        author=actor,
        content=clean,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="visit.create",
        patient=patient,
        target=visit,
        detail={"setting": setting, "mode": mode},
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="visit_note.create",
        patient=patient,
        target=note,
        detail={"template": template.key},
    )
    if episode is not None:
        episode_first_contact_record(
            actor=actor, episode=episode, contact_at=started_at, how=_contact_words(visit)
        )
    return note


def _assert_draft(note: VisitNote) -> None:
    if note.entered_in_error:
        raise ValidationError(VOIDED_MESSAGE)
    if note.status != VisitNote.Status.DRAFT:
        raise ValidationError(SIGNED_MESSAGE)


def _assert_author(actor: Any, note: VisitNote, what: str) -> None:
    if getattr(actor, "pk", None) != note.author_id:
        raise PermissionDenied(
            f"Only the note's author, {note.author.display_name}, may {what} this draft."
        )


@transaction.atomic
def note_update(
    *,
    actor: Any,
    note: VisitNote,
    expected_version: int | None,
    content: dict[str, str],
    setting: str | None = None,
    mode: str | None = None,
    started_at: datetime | None = None,
    reason: str | None = None,
) -> VisitNote:
    """Save the author's changes to a draft. A signed note is immutable: refused, nothing
    changes; a stale version is a conflict."""
    privilege_check(actor, "note.write")
    note = VisitNote.objects.select_for_update().select_related("visit", "template").get(pk=note.pk)
    _assert_draft(note)
    _assert_author(actor, note, "change")
    visit = note.visit
    patient = note.patient
    errors: Errors = {}
    new_setting = visit.setting if setting is None else setting
    new_mode = visit.mode if mode is None else mode
    new_started = visit.started_at if started_at is None else started_at
    new_reason = visit.reason if reason is None else reason
    _check_visit(
        errors,
        setting=new_setting,
        mode=new_mode,
        started_at=new_started,
        reason=new_reason,
        patient=patient,
    )
    clean = _clean_content(errors, note.template, content)
    _raise(errors)
    note.content = clean
    versioned_save(note, expected_version, ["content"])
    visit_fields = {
        "setting": new_setting,
        "mode": new_mode,
        "started_at": new_started,
        "reason": new_reason.strip(),
    }
    changed = [name for name, value in visit_fields.items() if getattr(visit, name) != value]
    if changed:
        for name in changed:
            setattr(visit, name, visit_fields[name])
        visit.updated_at = clock.now()
        visit.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="visit_note.update",
        patient=patient,
        target=note,
        detail={"visit_fields": changed},
    )
    return note


def _instruments_check(
    errors: Errors,
    note: VisitNote,
    reports: Sequence[SymptomReport],
    phase_of_care: PhaseOfCare | None,
) -> None:
    """The instruments named must be the patient's, valid, and done in this visit (from the
    start of the visit's day to now)."""
    since = instrument_window_start(note.visit)
    now = clock.now()
    if len(reports) > MAX_INSTRUMENTS:
        errors.setdefault("symptom_reports", []).append(
            f"Choose at most {MAX_INSTRUMENTS} symptom reports."
        )
    for report in reports:
        if report.patient_id != note.patient_id or report.entered_in_error:
            errors.setdefault("symptom_reports", []).append(
                "Choose symptom reports of this patient."
            )
            break
        if not since <= report.answered_at <= now:
            errors.setdefault("symptom_reports", []).append(
                "Choose symptom reports taken during this visit."
            )
            break
    if phase_of_care is not None:
        if phase_of_care.patient_id != note.patient_id:
            errors.setdefault("phase_of_care", []).append("Choose a phase of this patient.")
        elif not since <= phase_of_care.recorded_at <= now:
            errors.setdefault("phase_of_care", []).append(
                "Choose a phase of care recorded during this visit."
            )


def _missing_sections(note: VisitNote) -> Errors:
    errors: Errors = {}
    for section in note.template.sections:
        if section.get("required") and not str(note.content.get(section["key"], "")).strip():
            errors[section["key"]] = [f"Fill in “{section['label']}” before signing."]
    return errors


def _cosign_task_detail(note: VisitNote) -> str:
    return f"Note reference: {note.pk}"


def _note_final(actor: Any, note: VisitNote) -> None:
    """The note is final (signed, and co-signed for a trainee): make the visit's summary."""
    from pallio.visits.summaries import summary_create_for_note

    summary_create_for_note(actor=actor, note=note)


@transaction.atomic
def note_sign(
    *,
    actor: Any,
    note: VisitNote,
    expected_version: int | None,
    symptom_reports: Iterable[SymptomReport] = (),
    phase_of_care: PhaseOfCare | None = None,
    phase: str = "",
) -> VisitNote:
    """Sign the author's draft: required sections filled; the symptom reports and phase of
    care done in the visit recorded with it (``phase`` records a new phase of care through the
    assessments service); the plan changes the author made since the visit began recorded.
    A trainee's note then waits for the supervisor's co-signature; anyone else's is final."""
    privilege_check(actor, "note.sign")
    note = VisitNote.objects.select_for_update().select_related("visit", "template").get(pk=note.pk)
    _assert_draft(note)
    _assert_author(actor, note, "sign")
    if expected_version is not None and expected_version != note.version:
        raise ConflictError(
            "This note was changed by someone else while you were looking at it. "
            "Reload to see the current note, then sign again."
        )
    reports = list(symptom_reports)
    errors = _missing_sections(note)
    _instruments_check(errors, note, reports, phase_of_care)
    if phase and phase_of_care is not None:
        errors.setdefault("phase", []).append(
            "Choose a recorded phase of care or record a new one, not both."
        )
    supervisor = None
    if getattr(actor, "is_trainee", False):
        supervisor = actor.supervisor
        if supervisor is None or not supervisor.is_active:
            errors.setdefault("__all__", []).append(
                "Your notes need a supervisor's co-signature, and no supervisor is named for "
                "you. Ask the program's administrator to name your supervisor."
            )
        elif not access.can_access_patient(supervisor, note.patient):
            errors.setdefault("__all__", []).append(
                f"Your supervisor, {supervisor.display_name}, is not on this patient's care "
                "team and could not co-sign. Ask the team lead to add them first."
            )
    _raise(errors)
    visit = note.visit
    patient = note.patient
    if phase:
        phase_of_care = phase_record(
            actor=actor,
            patient=patient,
            phase=phase,
            contact=_channel_of(visit.mode),
            recorded_at=max(visit.started_at, instrument_window_start(visit)),
        )
    now = clock.now()
    note.plan_changes = plan_changes_between(
        patient=patient, since=min(note.created_at, visit.started_at), until=now, by=note.author
    )
    note.phase_of_care = phase_of_care
    note.signed_at = now
    note.signed_by = actor
    fields = ["plan_changes", "phase_of_care", "signed_at", "signed_by", "status"]
    if supervisor is not None:
        note.status = VisitNote.Status.AWAITING_COSIGN
        note.cosign_required = True
        note.supervisor = supervisor
        fields += ["cosign_required", "supervisor"]
    else:
        note.status = VisitNote.Status.SIGNED
    versioned_save(note, note.version, fields)
    note.symptom_reports.set(reports)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="visit_note.sign",
        patient=patient,
        target=note,
        detail={
            "symptom_reports": [str(r.pk) for r in reports],
            "phase_of_care": str(phase_of_care.pk) if phase_of_care else None,
            "plan_changes": len(note.plan_changes),
            "awaiting_cosign": supervisor is not None,
        },
    )
    if supervisor is not None:
        local = visit.started_at.astimezone(_zone(patient))
        task_create(
            actor=actor,
            patient=patient,
            episode=visit.episode,
            kind=TaskKind.NOTE_COSIGN,
            title=f"Co-sign {actor.display_name}'s note of {local:%-d %b %Y}"[:200],
            detail=_cosign_task_detail(note),
            due=clock.today_in(patient.program.timezone) + timedelta(days=COSIGN_DUE_DAYS),
            discipline=supervisor.discipline,
            assigned_to=supervisor,
        )
    else:
        _note_final(actor, note)
    return note


def _cosign_tasks(note: VisitNote) -> list[Task]:
    return list(
        Task.objects.select_for_update().filter(
            patient_id=note.patient_id,
            kind=TaskKind.NOTE_COSIGN,
            status=Task.Status.OPEN,
            detail__contains=str(note.pk),
        )
    )


@transaction.atomic
def note_cosign(*, actor: Any, note: VisitNote, expected_version: int | None) -> VisitNote:
    """The supervisor (or another physician or nurse practitioner with the co-signing
    privilege) co-signs a trainee's note: the note is final and the co-sign task closes."""
    note = VisitNote.objects.select_for_update().select_related("visit", "template").get(pk=note.pk)
    if getattr(actor, "pk", None) != note.supervisor_id:
        privilege_check(actor, "note.cosign")
    if note.entered_in_error:
        raise ValidationError(VOIDED_MESSAGE)
    if note.status != VisitNote.Status.AWAITING_COSIGN:
        raise ValidationError(
            "This note is not awaiting a co-signature."
            if note.status == VisitNote.Status.SIGNED
            else "The author has not signed this note yet."
        )
    if getattr(actor, "pk", None) == note.author_id:
        raise PermissionDenied("You cannot co-sign your own note; your supervisor co-signs it.")
    note.status = VisitNote.Status.SIGNED
    note.cosigned_at = clock.now()
    note.cosigned_by = actor
    versioned_save(note, expected_version, ["status", "cosigned_at", "cosigned_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="visit_note.cosign",
        patient=note.patient,
        target=note,
        detail={"named_supervisor": getattr(actor, "pk", None) == note.supervisor_id},
    )
    for task in _cosign_tasks(note):
        task_complete(actor=actor, task=task, outcome=f"Co-signed by {actor.display_name}."[:2000])
    _note_final(actor, note)
    return note


@transaction.atomic
def note_addendum_add(*, actor: Any, note: VisitNote, reason: str, text: str) -> NoteAddendum:
    """Add to a signed note: who, when and why; the note stays as it was signed."""
    privilege_check(actor, "note.addend")
    if note.entered_in_error:
        raise ValidationError(VOIDED_MESSAGE)
    if note.status == VisitNote.Status.DRAFT:
        raise ValidationError("Edit the draft instead; addenda are for signed notes.")
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    check_text(errors, "text", text, SECTION_LIMIT, required=True)
    _raise(errors)
    addendum = NoteAddendum.objects.create(
        note=note, author=actor, reason=reason.strip(), text=text.strip()
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="visit_note.addendum",
        patient=note.patient,
        target=addendum,
        detail={"note": str(note.pk)},
    )
    return addendum


@transaction.atomic
def note_mark_entered_in_error(*, actor: Any, note: VisitNote, reason: str) -> VisitNote:
    """Mark a note (and its visit) as wrong, saying why. Nothing is deleted: the note stays
    visible, struck through, with who and why; an open co-sign task is cancelled."""
    privilege_check(actor, "note.void")
    note = VisitNote.objects.select_for_update().select_related("visit").get(pk=note.pk)
    if note.entered_in_error:
        raise ValidationError("This note was already marked as entered in error.")
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    _raise(errors)
    now = clock.now()
    fields = [
        "entered_in_error",
        "entered_in_error_at",
        "entered_in_error_by",
        "entered_in_error_reason",
    ]
    for record in (note, note.visit):
        record.entered_in_error = True
        record.entered_in_error_at = now
        record.entered_in_error_by = actor
        record.entered_in_error_reason = reason.strip()
    versioned_save(note, None, fields)
    note.visit.updated_at = now
    note.visit.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="visit_note.entered_in_error",
        patient=note.patient,
        target=note,
        detail={"reason": reason.strip()[:300]},
    )
    for task in _cosign_tasks(note):
        task_cancel(actor=actor, task=task, reason="The note was marked as entered in error.")
    return note
