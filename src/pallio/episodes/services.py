"""Enrollment, the care team, and break-the-glass access."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.episodes.models import (
    BreakGlassGrant,
    CareTeamMember,
    EpisodeOfCare,
    ReportingCadence,
)


@transaction.atomic
def episode_open(
    *,
    actor: Any,
    patient: Any,
    referral: Any = None,
    team: Sequence[Any] = (),
    first_visit_due: date,
    lead: Any = None,
) -> EpisodeOfCare:
    existing = patient.episodes.filter(status=EpisodeOfCare.Status.ACTIVE).first()
    if existing is not None:
        raise ValidationError("This patient is already enrolled.")
    if patient.deceased_at is not None:
        raise ValidationError("This patient has died and cannot be enrolled.")
    episode = EpisodeOfCare.objects.create(
        program_id=patient.program_id,
        patient=patient,
        referral=referral,
        start=clock.now(),
        first_visit_due=first_visit_due,
    )
    for member in team:
        care_team_add(actor=actor, episode=episode, user=member, is_lead=member == lead)
    audit_record(
        actor=actor, action=Action.CREATE, event="episode.open", patient=patient, target=episode
    )
    return episode


@transaction.atomic
def care_team_add(
    *, actor: Any, episode: EpisodeOfCare, user: Any, is_lead: bool = False
) -> CareTeamMember:
    if user.program_id != episode.program_id:
        raise ValidationError("A care team member must belong to the patient's program.")
    existing = episode.team.filter(user=user, active=True).first()
    if existing is not None:
        return existing
    member = CareTeamMember.objects.create(
        episode=episode,
        patient_id=episode.patient_id,
        user=user,
        discipline=user.discipline,
        is_lead=is_lead,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="careteam.add",
        patient=episode.patient,
        target=member,
    )
    return member


@transaction.atomic
def care_team_end(*, actor: Any, member: CareTeamMember) -> None:
    """Take someone off a team; their access to the patient ends at once."""
    member.active = False
    member.ended_at = clock.now()
    member.save(update_fields=["active", "ended_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="careteam.end",
        patient=member.episode.patient,
        target=member,
    )


@transaction.atomic
def break_glass_grant(*, actor: Any, patient: Any, reason: str) -> BreakGlassGrant:
    """Emergency access: a reason is required, it expires, it is audited, and the patient's
    team is told (a review task for the team's lead)."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError("Say why you need emergency access (at least 10 characters).")
    if patient.program_id != actor.program_id:
        raise ValidationError("No such patient.")
    grant = BreakGlassGrant.objects.create(
        user=actor,
        patient=patient,
        reason=reason,
        expires_at=clock.now() + timedelta(minutes=settings.PALLIO_BREAK_GLASS_MINUTES),
    )
    audit_record(
        actor=actor,
        action=Action.EMERGENCY,
        event="patient.break_glass",
        patient=patient,
        target=grant,
        detail={"reason": reason[:300]},
    )
    lead = (
        CareTeamMember.objects.filter(patient=patient, active=True)
        .order_by("-is_lead")
        .select_related("user")
        .first()
    )
    task_create(
        actor=actor,
        patient=patient,
        kind=TaskKind.BREAK_GLASS_REVIEW,
        title=f"Review emergency access by {actor.display_name}",
        due=clock.now().date(),
        assigned_to=lead.user if lead else None,
        episode=lead.episode if lead else None,
    )
    return grant


@transaction.atomic
def episode_reporting_cadence_set(*, actor: Any, episode: EpisodeOfCare, cadence: str) -> None:
    """Set how often the team expects a symptom report (weekly, every 2 weeks, or none):
    the missing-report alert follows it."""
    from pallio.core import access

    if not access.has_perm(actor, "assessment.record"):
        raise PermissionDenied("Your role does not allow this.")
    if cadence not in ReportingCadence.values:
        raise ValidationError({"cadence": ["Choose how often reports are expected."]})
    if episode.status != EpisodeOfCare.Status.ACTIVE:
        raise ValidationError("The patient is not enrolled.")
    before = episode.reporting_cadence
    if before == cadence:
        return
    episode.reporting_cadence = cadence
    episode.updated_at = clock.now()
    episode.save(update_fields=["reporting_cadence", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.reporting_cadence",
        patient=episode.patient,
        target=episode,
        detail={"from": before, "to": cadence},
    )


@transaction.atomic
def episode_first_contact_record(
    *, actor: Any, episode: EpisodeOfCare, contact_at: datetime, how: str
) -> bool:
    """A visit or call was documented: the episode's first contact is the earliest one, so
    the time to first contact is recorded, and the first-contact task closes. Returns whether
    the first contact changed."""
    from pallio.careplans.services import first_contact_tasks_close

    locked = EpisodeOfCare.objects.select_for_update().get(pk=episode.pk)
    if locked.first_contact_at is not None and locked.first_contact_at <= contact_at:
        return False
    before = locked.first_contact_at
    locked.first_contact_at = contact_at
    locked.updated_at = clock.now()
    locked.save(update_fields=["first_contact_at", "updated_at"])
    episode.first_contact_at = contact_at
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.first_contact",
        patient=locked.patient,
        target=locked,
        detail={"how": how[:100], "earlier": before.isoformat() if before else None},
    )
    first_contact_tasks_close(
        actor=actor, episode=locked, contact_at=contact_at.astimezone(UTC), how=how
    )
    return True


@transaction.atomic
def patient_death_record(*, actor: Any, patient: Any, died_at: Any) -> None:
    """Record when a patient died (Patient.deceased_at), once: a second report of the same
    death keeps the first time; correcting it is a chart correction, not a new report."""
    from pallio.core.models import versioned_save

    if died_at > clock.now():
        raise ValidationError({"died_at": ["The time of death cannot be in the future."]})
    if died_at.date() < patient.birth_date:
        raise ValidationError({"died_at": ["The time of death is before the date of birth."]})
    if patient.deceased_at is not None:
        return
    patient.deceased_at = died_at
    versioned_save(patient, patient.version, ["deceased_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="patient.death_record",
        patient=patient,
        target=patient,
    )
