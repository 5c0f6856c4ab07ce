"""Visit cadences and external appointments: set how often a discipline visits, record or
cancel the patient's appointment elsewhere (entered by staff or received as a FHIR
Appointment).

Who may do it is the schedule's privilege (core/data/privileges.json "schedule.book" for
the cadence and for entering an appointment, "schedule.cancel" for cancelling one): a cadence
and an appointment are the arranging of the team's time. Atomic and audited, the same for
pages, API and the demo.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.codes import Discipline
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.episodes.models import EpisodeOfCare
from pallio.visits.cadence_models import (
    AppointmentKind,
    ExternalAppointment,
    Frequency,
    VisitCadence,
)
from pallio.visits.models import FACILITY_SETTINGS, Place
from pallio.visits.services.scheduling import _may_schedule

# The disciplines that visit (volunteers and administration keep no cadence).
CADENCE_DISCIPLINES = [
    d.value for d in Discipline if d not in (Discipline.VOLUNTEER, Discipline.ADMINISTRATION)
]
MAX_APPOINTMENT = timedelta(hours=12)
NO_EPISODE_MESSAGE = "This patient has no active episode of care, so no cadence can be set."


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _active_episode(patient: Any) -> EpisodeOfCare | None:
    return (
        EpisodeOfCare.objects.filter(patient=patient, status=EpisodeOfCare.Status.ACTIVE)
        .order_by("-start")
        .first()
    )


@transaction.atomic
def cadence_set(*, actor: Any, patient: Any, discipline: str, frequency: str) -> VisitCadence:
    """Set (or change) how often a discipline visits the patient in their active episode.
    The next visit is due one interval after the discipline's last visit, or after today."""
    privilege_check(actor, "schedule.book")
    _may_schedule(actor, patient)
    errors: Errors = {}
    check_choice(errors, "discipline", discipline, CADENCE_DISCIPLINES)
    check_choice(errors, "frequency", frequency, Frequency.values)
    _raise(errors)
    episode = _active_episode(patient)
    if episode is None:
        raise ValidationError(NO_EPISODE_MESSAGE)
    cadence = (
        VisitCadence.objects.select_for_update()
        .filter(episode=episode, discipline=discipline)
        .first()
    )
    created = cadence is None
    before = "" if cadence is None else cadence.frequency
    today = clock.today_in(patient.program.timezone)
    if cadence is None:
        cadence = VisitCadence(
            program_id=patient.program_id,
            patient=patient,
            episode=episode,
            discipline=discipline,
            since=today,
        )
    elif cadence.frequency != frequency:
        cadence.since = today
    cadence.frequency = frequency
    cadence.set_by = actor
    cadence.updated_at = clock.now()
    cadence.save()
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        event="visit_cadence.set",
        patient=patient,
        target=cadence,
        detail={"discipline": discipline, "frequency": frequency, "before": before},
    )
    return cadence


def _check_when(errors: Errors, starts_at: Any, ends_at: Any) -> None:
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        errors.setdefault("starts_at", []).append("Enter when the appointment starts.")
        return
    if not isinstance(ends_at, datetime) or ends_at.tzinfo is None:
        errors.setdefault("ends_at", []).append("Enter when the appointment ends.")
        return
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append("The appointment must end after it starts.")
    elif ends_at - starts_at > MAX_APPOINTMENT:
        errors.setdefault("ends_at", []).append("An appointment can last at most 12 hours.")


@transaction.atomic
def appointment_record(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    place: Place | None = None,
    site: str = "",
    description: str = "",
    source: str = ExternalAppointment.Source.STAFF,
    identifier: str = "",
    status: str = ExternalAppointment.Status.BOOKED,
) -> ExternalAppointment:
    """Record the patient's appointment at another service: at one of the program's
    facilities, or at a site named in words."""
    privilege_check(actor, "schedule.book")
    _may_schedule(actor, patient)
    errors: Errors = {}
    check_choice(errors, "kind", kind, AppointmentKind.values)
    check_choice(errors, "status", status, ExternalAppointment.Status.values)
    check_text(errors, "site", site, 200)
    check_text(errors, "description", description, 300)
    check_text(errors, "identifier", identifier, 64)
    _check_when(errors, starts_at, ends_at)
    if place is not None and (
        not isinstance(place, Place)
        or place.program_id != patient.program_id
        or place.setting not in FACILITY_SETTINGS
        or not place.active
    ):
        errors.setdefault("place", []).append("This site is not known. Choose one from the list.")
    if place is None and not site.strip() and "place" not in errors:
        errors.setdefault("site", []).append("Choose the site, or name it.")
    _raise(errors)
    appointment = ExternalAppointment.objects.create(
        program_id=patient.program_id,
        patient=patient,
        kind=kind,
        place=place,
        site="" if place is not None else site.strip(),
        description=description.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        source=source,
        identifier=identifier.strip(),
        entered_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="external_appointment.create",
        patient=patient,
        target=appointment,
        detail={"kind": kind, "source": source},
    )
    return appointment


@transaction.atomic
def appointment_cancel(
    *, actor: Any, appointment: ExternalAppointment, reason: str
) -> ExternalAppointment:
    """Cancel an external appointment (it stays on the record, cancelled); a same-day visit
    is no longer suggested beside it."""
    privilege_check(actor, "schedule.cancel")
    _may_schedule(actor, appointment.patient)
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    if "reason" in errors and not reason.strip():
        errors["reason"] = ["Say why the appointment is cancelled."]
    _raise(errors)
    current = ExternalAppointment.objects.select_for_update().get(pk=appointment.pk)
    if current.status != ExternalAppointment.Status.BOOKED:
        raise ValidationError("This appointment is already cancelled.")
    current.status = ExternalAppointment.Status.CANCELLED
    current.cancel_reason = reason.strip()
    current.version += 1
    current.updated_at = clock.now()
    current.save(update_fields=["status", "cancel_reason", "version", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="external_appointment.cancel",
        patient=current.patient,
        target=current,
    )
    return current
