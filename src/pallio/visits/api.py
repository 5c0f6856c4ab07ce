"""Visit note endpoints of the JSON API: the same services as the pages.

A patient or a note the caller may not reach gets the same 404 as one that does not exist.
Documenting a visit honours ``Idempotency-Key``; a stale ``version`` is a 409; a signed note
cannot be changed (422 with the reason).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, field_validator

from pallio.assessments.models import Phase, PhaseOfCare, SymptomReport
from pallio.core import access
from pallio.core.idempotency import idempotent_create
from pallio.patients.selectors import patient_get_for
from pallio.visits import selectors, services
from pallio.visits.models import Mode, Setting, VisitNote

router = Router()

MAX_INSTRUMENTS = services.MAX_INSTRUMENTS


class Error(Schema):
    detail: Any


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}


def _no_nul(value: Any) -> Any:
    texts = value.values() if isinstance(value, dict) else [value]
    for text in texts:
        if isinstance(text, str) and "\x00" in text:
            raise ValueError("This field contains a character that is not allowed.")
    return value


class VisitIn(Schema):
    """A visit or call and its draft note. `content` holds the note's text by section key of
    the author's discipline's template (GET the note back to see its sections)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    setting: Setting = Field(description="where the patient was")
    mode: Mode = Field(description="in person, telephone or video")
    started_at: datetime = Field(description="when the visit or call began, with its time zone")
    reason: str = Field(max_length=300, examples=["Follow-up of pain after a dose change"])
    content: dict[str, str] = Field(
        default_factory=dict, max_length=services.MAX_SECTIONS, examples=[{"reason": "..."}]
    )

    _text = field_validator("reason", "content")(_no_nul)


class NoteUpdateIn(Schema):
    """The draft's new text (every section: a section left out is emptied), against the
    version read; the visit's details may change with it while the note is a draft."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    version: int = Field(ge=1, le=2_000_000_000)
    content: dict[str, str] = Field(max_length=services.MAX_SECTIONS)
    setting: Setting | None = None
    mode: Mode | None = None
    started_at: datetime | None = None
    reason: str | None = Field(None, max_length=300)

    _text = field_validator("reason", "content")(_no_nul)


class SignIn(Schema):
    """Sign the author's draft. `symptom_reports` and `phase_of_care` name instruments
    recorded on the visit's day; `phase` records a new phase of care instead."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    version: int = Field(ge=1, le=2_000_000_000)
    symptom_reports: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_INSTRUMENTS)
    phase_of_care: uuid.UUID | None = None
    phase: Phase | None = None


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2_000_000_000)


class AddendumIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=300)
    text: str = Field(max_length=services.SECTION_LIMIT)

    _text = field_validator("reason", "text")(_no_nul)


class SectionOut(Schema):
    key: str
    label: str
    required: bool
    help: str
    text: str


class AddendumOut(Schema):
    id: uuid.UUID
    author: str
    reason: str
    text: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author.display_name)


class NoteSummaryOut(Schema):
    id: uuid.UUID
    patient_id: uuid.UUID
    visit_id: uuid.UUID
    started_at: datetime
    setting: str
    mode: str
    reason: str
    discipline: str
    author: str
    status: str = Field(description="draft, awaiting_cosign or signed")
    version: int
    entered_in_error: bool

    @staticmethod
    def resolve_started_at(obj: VisitNote) -> datetime:
        return obj.visit.started_at

    @staticmethod
    def resolve_setting(obj: VisitNote) -> str:
        return obj.visit.setting

    @staticmethod
    def resolve_mode(obj: VisitNote) -> str:
        return obj.visit.mode

    @staticmethod
    def resolve_reason(obj: VisitNote) -> str:
        return obj.visit.reason

    @staticmethod
    def resolve_discipline(obj: VisitNote) -> str:
        return obj.visit.discipline

    @staticmethod
    def resolve_author(obj: VisitNote) -> str:
        return str(obj.author.display_name)


class NoteOut(NoteSummaryOut):
    template: str
    sections: list[SectionOut]
    symptom_reports: list[uuid.UUID]
    phase_of_care: uuid.UUID | None
    plan_changes: list[dict[str, str]]
    signed_at: datetime | None
    signed_by: str | None
    supervisor: str | None
    cosigned_at: datetime | None
    cosigned_by: str | None
    entered_in_error_reason: str
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_template(obj: VisitNote) -> str:
        return obj.template.key

    @staticmethod
    def resolve_sections(obj: VisitNote) -> list[dict[str, Any]]:
        return [
            {
                "key": s["key"],
                "label": s["label"],
                "required": bool(s.get("required")),
                "help": s.get("help", ""),
                "text": obj.content.get(s["key"], ""),
            }
            for s in obj.template.sections
        ]

    @staticmethod
    def resolve_symptom_reports(obj: VisitNote) -> list[uuid.UUID]:
        return [r.pk for r in obj.symptom_reports.all()]

    @staticmethod
    def resolve_phase_of_care(obj: VisitNote) -> uuid.UUID | None:
        return obj.phase_of_care_id

    @staticmethod
    def resolve_signed_by(obj: VisitNote) -> str | None:
        return obj.signed_by.display_name if obj.signed_by else None

    @staticmethod
    def resolve_supervisor(obj: VisitNote) -> str | None:
        return obj.supervisor.display_name if obj.supervisor else None

    @staticmethod
    def resolve_cosigned_by(obj: VisitNote) -> str | None:
        return obj.cosigned_by.display_name if obj.cosigned_by else None

    @staticmethod
    def resolve_addenda(obj: VisitNote) -> list[Any]:
        return list(obj.addenda.select_related("author").order_by("created_at"))


class NotesQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)


class NotesOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    items: list[NoteSummaryOut]


def _caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, perm: str) -> None:
    if not access.has_perm(user, perm):
        raise PermissionDenied("Your role does not allow this.")


def _note(user: Any, note_id: uuid.UUID, *, audit: bool = False) -> VisitNote:
    return selectors.note_get_for(user, note_id, audit=audit)


def _fresh(user: Any, note: VisitNote) -> VisitNote:
    """The note as stored now, for the answer (already audited by the write)."""
    return selectors.note_get_for(user, note.pk, audit=False)


@router.get(
    "/patients/{patient_id}/notes",
    response={200: NotesOut, **ERRORS},
    summary="A patient's visit notes",
)
def note_list(request: HttpRequest, patient_id: uuid.UUID, filters: Query[NotesQuery]) -> Any:
    """Newest visit first, 25 a page, with each note's status."""
    user = _caller(request)
    _require(user, "visit.view")
    _, page = selectors.patient_notes_page_for(
        user, patient_id, filters.page, event="visit_note.api_list"
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": selectors.PAGE_SIZE,
        "items": list(page.object_list),
    }


@router.get("/notes/{note_id}", response={200: NoteOut, **ERRORS}, summary="Read a visit note")
def note_read(request: HttpRequest, note_id: uuid.UUID) -> Any:
    """The note with its template's sections, instruments, plan changes, signatures and
    addenda."""
    user = _caller(request)
    _require(user, "visit.view")
    return _note(user, note_id, audit=True)


@router.post(
    "/patients/{patient_id}/visits",
    response={200: NoteOut, 201: NoteOut, **BODY_ERRORS},
    summary="Document a visit or call (its draft note)",
)
def visit_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: VisitIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A retry with the same key and body returns the first note (200, "
            "Idempotent-Replayed: true); the same key with another body is refused (409)."
        ),
    ),
) -> Any:
    """Record the visit and open its draft note from the author's discipline's template.
    201 when made. The first visit or call of an episode records the first contact."""
    user = _caller(request)
    _require(user, "visit.document")
    patient = patient_get_for(user, patient_id, audit=False)
    note, created = idempotent_create(
        user=user,
        scope=f"visit.create:{patient.pk}",
        key=idempotency_key or "",
        payload=payload.model_dump(mode="json"),
        create=lambda: services.visit_document(
            actor=user,
            patient=patient,
            setting=str(payload.setting),
            mode=str(payload.mode),
            started_at=payload.started_at,
            reason=payload.reason,
            content=payload.content,
        ),
    )
    if created:
        return Status(201, _fresh(user, note))
    response["Idempotent-Replayed"] = "true"
    return Status(200, _note(user, note.pk, audit=True))


@router.put(
    "/notes/{note_id}", response={200: NoteOut, **BODY_ERRORS}, summary="Update a draft note"
)
def note_update(request: HttpRequest, note_id: uuid.UUID, payload: NoteUpdateIn) -> Any:
    """The author changes their draft. 409 when `version` is not the current one; 422 when
    the note is signed (it is immutable: add an addendum)."""
    user = _caller(request)
    _require(user, "visit.document")
    note = _note(user, note_id)
    services.note_update(
        actor=user,
        note=note,
        expected_version=payload.version,
        content=payload.content,
        setting=str(payload.setting) if payload.setting is not None else None,
        mode=str(payload.mode) if payload.mode is not None else None,
        started_at=payload.started_at,
        reason=payload.reason,
    )
    return _fresh(user, note)


def _instruments(note: VisitNote, payload: SignIn) -> tuple[list[Any], Any]:
    """The named instruments, looked up among the patient's own only: another patient's id
    is not found and so refused by the service's check."""
    reports = list(
        SymptomReport.objects.filter(patient_id=note.patient_id, pk__in=payload.symptom_reports)
    )
    if len(reports) != len(set(payload.symptom_reports)):
        raise ValidationError({"symptom_reports": ["Choose symptom reports of this patient."]})
    phase = None
    if payload.phase_of_care is not None:
        phase = PhaseOfCare.objects.filter(
            patient_id=note.patient_id, pk=payload.phase_of_care
        ).first()
        if phase is None:
            raise ValidationError({"phase_of_care": ["Choose a phase of this patient."]})
    return reports, phase


@router.post(
    "/notes/{note_id}/sign", response={200: NoteOut, **BODY_ERRORS}, summary="Sign a draft note"
)
def note_sign(request: HttpRequest, note_id: uuid.UUID, payload: SignIn) -> Any:
    """The author signs: required sections must be filled. A trainee's note becomes
    `awaiting_cosign` and the supervisor gets a task; anyone else's is `signed`."""
    user = _caller(request)
    _require(user, "visit.document")
    note = _note(user, note_id)
    reports, phase = _instruments(note, payload)
    services.note_sign(
        actor=user,
        note=note,
        expected_version=payload.version,
        symptom_reports=reports,
        phase_of_care=phase,
        phase=str(payload.phase) if payload.phase else "",
    )
    return _fresh(user, note)


@router.post(
    "/notes/{note_id}/cosign",
    response={200: NoteOut, **BODY_ERRORS},
    summary="Co-sign a trainee's note",
)
def note_cosign(request: HttpRequest, note_id: uuid.UUID, payload: VersionIn) -> Any:
    """The named supervisor, or another physician or nurse practitioner, co-signs."""
    user = _caller(request)
    _require(user, "visit.document")
    note = _note(user, note_id)
    services.note_cosign(actor=user, note=note, expected_version=payload.version)
    return _fresh(user, note)


@router.post(
    "/notes/{note_id}/addenda",
    response={201: AddendumOut, **BODY_ERRORS},
    summary="Add an addendum to a signed note",
)
def note_addendum(request: HttpRequest, note_id: uuid.UUID, payload: AddendumIn) -> Any:
    """A correction or later addition: who, when and why; the signed note stays as it was."""
    user = _caller(request)
    _require(user, "visit.document")
    note = _note(user, note_id)
    addendum = services.note_addendum_add(
        actor=user, note=note, reason=payload.reason, text=payload.text
    )
    return Status(201, addendum)
