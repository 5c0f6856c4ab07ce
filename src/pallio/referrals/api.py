"""Referral endpoints of the JSON API: intake, the queue, and triage.

They call the same selectors and services as the pages; permissions mirror the pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Header, Query, Router, Schema, UploadedFile
from ninja.responses import Status
from pydantic import ConfigDict, StrictBool, field_validator

from pallio.audit.services import audit_read
from pallio.core import access
from pallio.core.models import ConflictError
from pallio.episodes.services import care_team_people
from pallio.patients.models import AdministrativeSex, AuthorizationStatus, PayerType, Residence
from pallio.patients.selectors import patient_get_for
from pallio.referrals import services
from pallio.referrals.models import (
    DeclineReason,
    Reason,
    Referral,
    Setting,
    Source,
    Urgency,
)
from pallio.referrals.models import (
    Status as ReferralStatus,
)
from pallio.referrals.selectors import (
    QUEUE_PAGE_SIZE,
    QueueFilters,
    referral_get_for,
    referral_queue_page_for,
)

router = Router()

# Postgres integer columns stop here; larger numbers are refused as input, not as a crash.
MAX_VERSION = 2_147_483_647


class Error(Schema):
    detail: Any


class ApiIn(Schema):
    """Input: unknown fields are refused, never ignored, and text must be storable (no NUL
    byte, no unpaired surrogate)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if not all(_storable(text) for text in texts if isinstance(text, str)):
            raise ValueError("This field contains a character that is not allowed.")
        return value


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- input ------------------------------------------------------------------------------


class ReferralIn(ApiIn):
    """A referral, as any door says it; `source` says which door (staff API default `api`)."""

    source: Source = Source.API
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: date
    diagnosis_system: str = Field(max_length=100, examples=["http://hl7.org/fhir/sid/icd-10-cm"])
    diagnosis_code: str = Field(max_length=32, examples=["C34.90"])
    sex: AdministrativeSex = AdministrativeSex.UNKNOWN
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    address_line: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=40)
    postal_code: str = Field("", max_length=16)
    residence: Residence = Residence.HOME
    diagnosis_date: date | None = None
    advanced_illness: StrictBool = False
    reasons: list[Reason] = Field(default_factory=list, max_length=len(Reason.values))
    urgency: Urgency = Urgency.ROUTINE
    preferred_setting: Setting = Setting.NO_PREFERENCE
    clinical_summary: str = Field("", max_length=4000)
    payer_type: PayerType | Literal[""] = ""
    payer_name: str = Field("", max_length=120)
    member_id: str = Field("", max_length=60)
    referrer_name: str = Field("", max_length=200)
    referrer_organization: str = Field("", max_length=200)
    referrer_email: str = Field("", max_length=254)
    referrer_phone: str = Field("", max_length=32)
    referrer_relationship: str = Field("", max_length=60)
    consent_to_contact: StrictBool = False
    medications: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=30,
        description="the medications the referrer lists, one entry each, as written",
    )

    def to_input(self) -> services.ReferralInput:
        values = self.model_dump(exclude={"source"})
        values["reasons"] = [str(reason) for reason in values["reasons"]]
        return services.ReferralInput(**values)


class VersionIn(ApiIn):
    version: int = Field(ge=1, le=MAX_VERSION, description="the version you last read")


class AcceptIn(VersionIn):
    team: list[uuid.UUID] = Field(min_length=1, max_length=20, description="staff ids (User.uuid)")
    lead: uuid.UUID | None = Field(None, description="one of `team`; gets the first-contact task")


class DeclineIn(VersionIn):
    reason: DeclineReason
    note: str = Field("", max_length=2000)


class HoldIn(VersionIn):
    information_requested: str = Field(max_length=2000)


class RedirectIn(VersionIn):
    to: str = Field(max_length=200, description="the agency the referral goes to")
    note: str = Field("", max_length=2000)


class LinkPatientIn(VersionIn):
    patient: uuid.UUID


class InsuranceIn(VersionIn):
    payer_type: PayerType
    payer_name: str = Field("", max_length=120)
    member_id: str = Field("", max_length=60)
    authorization: AuthorizationStatus = AuthorizationStatus.NOT_NEEDED
    authorization_number: str = Field("", max_length=60)


class QueueQuery(Schema):
    status: Literal[
        "open", "all", "new", "in_review", "on_hold", "accepted", "declined", "redirected"
    ] = "open"
    source: Source | None = None
    urgency: Urgency | None = None
    setting: Setting | None = None
    sort: Literal["need", "waiting", "due", "-received"] = "need"
    page: int = Field(1, ge=1, le=1_000_000)


# --- output -----------------------------------------------------------------------------


class CodingOut(Schema):
    system: str
    code: str
    display: str


class ReferralSummaryOut(Schema):
    id: uuid.UUID
    reference: str
    status: str
    source: str
    urgency: str
    received_at: datetime
    first_contact_due: date
    patient_id: uuid.UUID | None
    given_name: str
    family_name: str
    birth_date: date
    diagnosis: CodingOut
    eligible: bool | None
    version: int

    @staticmethod
    def resolve_diagnosis(obj: Referral) -> dict[str, str]:
        return {
            "system": obj.diagnosis_system,
            "code": obj.diagnosis_code,
            "display": obj.diagnosis_display,
        }


class ReferralOut(ReferralSummaryOut):
    advanced_cancer_deadline: date | None
    sex: str
    phone: str
    email: str
    address_line: str
    city: str
    state: str
    postal_code: str
    residence: str
    diagnosis_date: date | None
    advanced_illness: bool
    reasons: list[str]
    preferred_setting: str
    clinical_summary: str
    payer_type: str
    payer_name: str
    member_id: str
    authorization: str
    authorization_number: str
    referrer_name: str
    referrer_organization: str
    referrer_email: str
    referrer_phone: str
    referrer_relationship: str
    consent_to_contact: bool
    eligibility_note: str
    decision_reason: str
    decision_note: str
    redirected_to: str
    information_requested: str
    decided_at: datetime | None
    medications: list[str]

    @staticmethod
    def resolve_medications(obj: Referral) -> list[str]:
        return [m.text for m in obj.medications.all()]


class AttachmentOut(Schema):
    id: uuid.UUID
    name: str = Field(alias="original_name")
    content_type: str
    size: int


class QueueOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    items: list[ReferralSummaryOut]


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
# Endpoints that read a JSON body may also answer: unreadable JSON (400), a conflict (409),
# a body too large (413) or not JSON (415).
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}


# --- helpers ----------------------------------------------------------------------------


def _caller(request: HttpRequest) -> Any:
    """The authenticated staff member (set by the API's authentication)."""
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, perm: str) -> None:
    if not access.has_perm(user, perm):
        raise PermissionDenied("Your role does not allow this.")


def _decide(
    request: HttpRequest, referral_id: uuid.UUID, act: Callable[[Any, Referral], Any]
) -> Referral:
    """Run one triage action on a referral of the caller's program.

    A stale `version` is a conflict (409), and so is acting on a referral that was decided
    meanwhile; other refusals are invalid input (422).
    """
    user = _caller(request)
    _require(user, "referral.triage")
    referral = referral_get_for(user, referral_id, audit=False)
    try:
        act(user, referral)
    except ValidationError as exc:
        status = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).get()
        if status not in (ReferralStatus.NEW, ReferralStatus.IN_REVIEW, ReferralStatus.ON_HOLD):
            raise ConflictError(" ".join(exc.messages)) from exc
        raise
    return referral_get_for(user, referral.pk, audit=False)


# --- endpoints --------------------------------------------------------------------------


@router.post(
    "",
    response={200: ReferralOut, 201: ReferralOut, **BODY_ERRORS},
    summary="Send a referral",
)
def referral_create(
    request: HttpRequest,
    response: HttpResponse,
    payload: ReferralIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Retries with the same key and body return the first referral (200, "
            "Idempotent-Replayed: true); the same key with another body is refused (409)."
        ),
    ),
) -> Any:
    """Take in a referral. 201 when made; with a repeated Idempotency-Key, 200 and the
    referral the key first made."""
    user = _caller(request)
    _require(user, "referral.create")
    # Keys are the caller's own: another person's key never returns their referral.
    key = f"api:{user.pk}:{idempotency_key}" if idempotency_key else ""
    referral, created = services.referral_create(
        actor=user,
        program=user.program,
        source=payload.source,
        data=payload.to_input(),
        idempotency_key=key,
    )
    if created:
        return Status(201, referral)
    audit_read(actor=user, patient=referral.patient, target=referral, event="referral.read")
    response["Idempotent-Replayed"] = "true"
    return Status(200, referral)


@router.get("", response={200: QueueOut, **ERRORS}, summary="The referral queue")
def referral_queue(request: HttpRequest, filters: Query[QueueQuery]) -> Any:
    """Open referrals by medical need then waiting time, with the page's filters."""
    user = _caller(request)
    _require(user, "referral.view")
    chosen = QueueFilters.from_query(filters.model_dump(exclude={"page"}, exclude_none=True))
    page = referral_queue_page_for(user, chosen, filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": QUEUE_PAGE_SIZE,
        "items": list(page.object_list),
    }


@router.get("/{referral_id}", response={200: ReferralOut, **ERRORS}, summary="A referral")
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> Any:
    user = _caller(request)
    _require(user, "referral.view")
    return referral_get_for(user, referral_id)


TRIAGE_RESPONSES: dict[int, Any] = {200: ReferralOut, **BODY_ERRORS}


@router.post("/{referral_id}/accept", response=TRIAGE_RESPONSES, summary="Accept a referral")
def referral_accept(request: HttpRequest, referral_id: uuid.UUID, payload: AcceptIn) -> Any:
    """Enroll the patient with the chosen care team; the lead gets the first-contact task."""

    def act(user: Any, referral: Referral) -> None:
        # Who may join and who may lead is the episodes services' rule (care_team_check).
        team, lead = care_team_people(
            program_id=user.program_id, ids=payload.team, lead=payload.lead
        )
        services.referral_accept(
            actor=user,
            referral=referral,
            expected_version=payload.version,
            team=team,
            lead=lead,
        )

    return _decide(request, referral_id, act)


@router.post("/{referral_id}/decline", response=TRIAGE_RESPONSES, summary="Decline a referral")
def referral_decline(request: HttpRequest, referral_id: uuid.UUID, payload: DeclineIn) -> Any:
    def act(user: Any, referral: Referral) -> None:
        services.referral_decline(
            actor=user,
            referral=referral,
            expected_version=payload.version,
            reason=payload.reason,
            note=payload.note,
        )

    return _decide(request, referral_id, act)


@router.post("/{referral_id}/hold", response=TRIAGE_RESPONSES, summary="Hold for more information")
def referral_hold(request: HttpRequest, referral_id: uuid.UUID, payload: HoldIn) -> Any:
    def act(user: Any, referral: Referral) -> None:
        services.referral_hold(
            actor=user,
            referral=referral,
            expected_version=payload.version,
            information_requested=payload.information_requested,
        )

    return _decide(request, referral_id, act)


@router.post(
    "/{referral_id}/resume", response=TRIAGE_RESPONSES, summary="Resume a referral on hold"
)
def referral_resume(request: HttpRequest, referral_id: uuid.UUID, payload: VersionIn) -> Any:
    def act(user: Any, referral: Referral) -> None:
        services.referral_resume(actor=user, referral=referral, expected_version=payload.version)

    return _decide(request, referral_id, act)


@router.post(
    "/{referral_id}/redirect", response=TRIAGE_RESPONSES, summary="Redirect to another agency"
)
def referral_redirect(request: HttpRequest, referral_id: uuid.UUID, payload: RedirectIn) -> Any:
    def act(user: Any, referral: Referral) -> None:
        services.referral_redirect(
            actor=user,
            referral=referral,
            expected_version=payload.version,
            to=payload.to,
            note=payload.note,
        )

    return _decide(request, referral_id, act)


@router.post(
    "/{referral_id}/link-patient",
    response=TRIAGE_RESPONSES,
    summary="Link to an existing patient",
)
def referral_link_patient(
    request: HttpRequest, referral_id: uuid.UUID, payload: LinkPatientIn
) -> Any:
    """The referral is about a patient already known. A patient the caller cannot reach
    gets the same 404 as one that does not exist."""

    def act(user: Any, referral: Referral) -> None:
        patient = patient_get_for(user, payload.patient, event="patient.read.duplicate_check")
        services.referral_link_patient(
            actor=user, referral=referral, expected_version=payload.version, patient=patient
        )

    return _decide(request, referral_id, act)


@router.post(
    "/{referral_id}/create-patient",
    response=TRIAGE_RESPONSES,
    summary="Make a new patient record from the referral",
)
def referral_create_patient(
    request: HttpRequest, referral_id: uuid.UUID, payload: VersionIn
) -> Any:
    def act(user: Any, referral: Referral) -> None:
        services.referral_create_patient(
            actor=user, referral=referral, expected_version=payload.version
        )

    return _decide(request, referral_id, act)


@router.post("/{referral_id}/insurance", response=TRIAGE_RESPONSES, summary="Record the insurance")
def referral_insurance(request: HttpRequest, referral_id: uuid.UUID, payload: InsuranceIn) -> Any:
    def act(user: Any, referral: Referral) -> None:
        services.referral_update_insurance(
            actor=user,
            referral=referral,
            expected_version=payload.version,
            payer_type=payload.payer_type,
            payer_name=payload.payer_name,
            member_id=payload.member_id,
            authorization=payload.authorization,
            authorization_number=payload.authorization_number,
        )

    return _decide(request, referral_id, act)


@router.post(
    "/{referral_id}/attachments",
    response={201: AttachmentOut, **BODY_ERRORS},
    summary="Add a document to an open referral",
)
def referral_attachment_add(
    request: HttpRequest, referral_id: uuid.UUID, file: File[UploadedFile]
) -> Any:
    """A PDF, PNG or JPEG sent as multipart/form-data (field `file`). A PDF carrying script,
    actions, attached files, XFA or rich media is refused (422), or stored without them
    where the program disarms such PDFs."""
    user = _caller(request)
    _require(user, "referral.create")
    _require(user, "referral.view")
    referral = referral_get_for(user, referral_id, audit=False)
    attachment = services.referral_attachment_add(actor=user, referral=referral, upload=file)
    return Status(201, attachment)
