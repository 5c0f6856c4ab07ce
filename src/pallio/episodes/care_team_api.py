"""Care-team endpoints of the JSON API, mounted at /api/v1/care-teams/.

The same services as the chart's care-team page (episodes/services.py): who may join, the
lead, a member added twice and the lead ended without a successor are refused there, with
the same words (422). The patient is reached first (404 for missing and forbidden alike),
then the clinical privilege ``care_team.manage`` decides (403); nothing is written when
either refuses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from pallio.accounts.models import User
from pallio.core import access, privileges
from pallio.core.idempotency import idempotent_create
from pallio.episodes.models import CareTeamLeadChange, CareTeamMember, EpisodeOfCare
from pallio.episodes.services import (
    care_team_lead_change,
    care_team_member_add,
    care_team_member_end,
)
from pallio.patients.selectors import patient_get_for

router = Router()


class Error(Schema):
    detail: Any


ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error}
BODY_ERRORS: dict[int, Any] = {**ERRORS, 400: Error, 409: Error, 413: Error, 415: Error}
IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=64,
    pattern=r"^[\x21-\x7e]+$",
    description=(
        "A retry with the same key and body returns the first membership (200, "
        "Idempotent-Replayed: true); the same key with another body is refused (409)."
    ),
)


def _uuid_of(user: Any) -> uuid.UUID | None:
    return user.uuid if user is not None else None


class MemberOut(Schema):
    id: uuid.UUID = Field(description="the membership's id")
    staff_id: uuid.UUID = Field(description="the staff member's id (User.uuid)")
    name: str
    discipline: str
    is_lead: bool
    active: bool
    start: datetime
    ended_at: datetime | None
    added_by: uuid.UUID | None
    ended_by: uuid.UUID | None

    @staticmethod
    def resolve_staff_id(obj: CareTeamMember) -> uuid.UUID:
        return obj.user.uuid

    @staticmethod
    def resolve_name(obj: CareTeamMember) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_start(obj: CareTeamMember) -> datetime:
        return obj.created_at

    @staticmethod
    def resolve_added_by(obj: CareTeamMember) -> uuid.UUID | None:
        return _uuid_of(obj.added_by)

    @staticmethod
    def resolve_ended_by(obj: CareTeamMember) -> uuid.UUID | None:
        return _uuid_of(obj.ended_by)


class LeadChangeOut(Schema):
    at: datetime
    from_staff_id: uuid.UUID | None
    to_staff_id: uuid.UUID
    changed_by: uuid.UUID | None

    @staticmethod
    def resolve_at(obj: CareTeamLeadChange) -> datetime:
        return obj.created_at

    @staticmethod
    def resolve_from_staff_id(obj: CareTeamLeadChange) -> uuid.UUID | None:
        return _uuid_of(obj.from_user)

    @staticmethod
    def resolve_to_staff_id(obj: CareTeamLeadChange) -> uuid.UUID:
        return obj.to_user.uuid

    @staticmethod
    def resolve_changed_by(obj: CareTeamLeadChange) -> uuid.UUID | None:
        return _uuid_of(obj.changed_by)


class CareTeamOut(Schema):
    patient_id: uuid.UUID
    episode_id: uuid.UUID | None = Field(description="the open enrollment, if any")
    members: list[MemberOut] = Field(description="current members, the lead first")
    former_members: list[MemberOut] = Field(description="ended memberships, latest first")
    lead_changes: list[LeadChangeOut] = Field(description="newest first")


class ApiIn(Schema):
    model_config = ConfigDict(extra="forbid")


class MemberAddIn(ApiIn):
    staff_id: uuid.UUID = Field(description="the staff member to add (User.uuid)")
    lead: bool = Field(False, description="make them the team's lead in the same change")


class MemberEndIn(ApiIn):
    new_lead: uuid.UUID | None = Field(
        None, description="the membership id of the new lead; required to end the lead"
    )


class LeadIn(ApiIn):
    member_id: uuid.UUID = Field(description="the membership id of the new lead")


def _caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _reach(request: HttpRequest, patient_id: uuid.UUID, *, change: bool) -> tuple[Any, Any]:
    """The caller and the patient (404 for missing and forbidden alike); for a change, the
    privilege before anything else."""
    user = _caller(request)
    if not access.has_perm(user, "caseload.view"):
        raise PermissionDenied("Your role does not allow this.")
    patient = patient_get_for(user, patient_id, event="careteam.read", audit=not change)
    if change:
        privileges.privilege_check(user, "care_team.manage")
    return user, patient


def _open_episode(patient: Any) -> EpisodeOfCare:
    episode = (
        EpisodeOfCare.objects.filter(patient=patient)
        .exclude(status=EpisodeOfCare.Status.FINISHED)
        .first()
    )
    if episode is None:
        raise ValidationError("This patient is not enrolled: there is no care team to change.")
    return episode


def _team(patient: Any) -> dict[str, Any]:
    episode = (
        EpisodeOfCare.objects.filter(patient=patient)
        .exclude(status=EpisodeOfCare.Status.FINISHED)
        .first()
    )
    rows = list(
        CareTeamMember.objects.filter(patient=patient)
        .select_related("user", "added_by", "ended_by")
        .order_by("-is_lead", "discipline", "created_at")[:200]
    )
    return {
        "patient_id": patient.pk,
        "episode_id": episode.pk if episode else None,
        "members": [m for m in rows if m.active],
        "former_members": sorted(
            (m for m in rows if not m.active),
            key=lambda m: m.ended_at or m.created_at,
            reverse=True,
        ),
        "lead_changes": list(
            CareTeamLeadChange.objects.filter(patient=patient)
            .select_related("from_user", "to_user", "changed_by")
            .order_by("-created_at")[:200]
        ),
    }


def _member(member: CareTeamMember) -> CareTeamMember:
    return CareTeamMember.objects.select_related("user", "added_by", "ended_by").get(pk=member.pk)


@router.get("/{patient_id}", response={200: CareTeamOut, **ERRORS}, summary="A care team")
def care_team_read(request: HttpRequest, patient_id: uuid.UUID) -> Any:
    """The patient's current care team, the memberships that ended and the lead changes."""
    _, patient = _reach(request, patient_id, change=False)
    return _team(patient)


@router.post(
    "/{patient_id}/members",
    response={201: MemberOut, 200: MemberOut, **BODY_ERRORS},
    summary="Add a member to the care team",
)
def care_team_member_create(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: MemberAddIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Any:
    """They reach the patient's chart at once; `lead` makes them the lead too."""
    user, patient = _reach(request, patient_id, change=True)

    def create() -> CareTeamMember:
        episode = _open_episode(patient)
        person = User.objects.filter(program_id=user.program_id, uuid=payload.staff_id).first()
        if person is None:
            raise ValidationError({"staff_id": ["Choose care team members from this program."]})
        member = care_team_member_add(
            actor=user, episode=episode, user=person, make_lead=payload.lead
        )
        return member

    member, created = idempotent_create(
        user=user,
        scope="careteam.add",
        key=idempotency_key or "",
        payload={"patient": str(patient_id), **payload.model_dump(mode="json")},
        create=create,
    )
    if created:
        return Status(201, _member(member))
    response["Idempotent-Replayed"] = "true"
    return Status(200, _member(member))


@router.post(
    "/{patient_id}/members/{member_id}/end",
    response={200: MemberOut, **BODY_ERRORS},
    summary="End a membership of the care team",
)
def care_team_member_finish(
    request: HttpRequest, patient_id: uuid.UUID, member_id: uuid.UUID, payload: MemberEndIn
) -> Any:
    """The person no longer reaches the chart through the team. Ending the lead needs
    `new_lead`."""
    user, patient = _reach(request, patient_id, change=True)
    ended = care_team_member_end(
        actor=user, episode=_open_episode(patient), member=member_id, new_lead=payload.new_lead
    )
    return _member(ended)


@router.post(
    "/{patient_id}/lead",
    response={200: MemberOut, **BODY_ERRORS},
    summary="Change the care team's lead",
)
def care_team_lead_set(request: HttpRequest, patient_id: uuid.UUID, payload: LeadIn) -> Any:
    """The change is kept: who made it, when, from whom to whom."""
    user, patient = _reach(request, patient_id, change=True)
    lead = care_team_lead_change(
        actor=user, episode=_open_episode(patient), member=payload.member_id
    )
    return _member(lead)
