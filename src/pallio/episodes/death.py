"""A patient's death: one record per patient, whether staff enter it on the chart or it comes
from a death reported on the 24/7 line (support/services.py death_report_record).

Recording it marks the patient deceased, compares the place with the preferred place of death
held in advance care planning, closes the patient's open work (tasks cancelled, alerts
resolved, anything queued for the patient withheld, each with the reason "Patient died"),
discharges the episode with the reason "death" (the final summary goes to the referring
clinician), and records the bereaved phase of care for the family.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock, privileges
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.episodes.models import DeathPlace, DeathRecord, DischargeReason, EpisodeOfCare

PATIENT_DIED = "Patient died"
# A clock a minute fast on the device that typed the time is not "the future".
CLOCK_SKEW = timedelta(minutes=2)
# The place of death as advance care planning names places (acp.models.Place); a place
# with no counterpart there ("somewhere else") is never compared.
ACP_PLACE_OF: dict[str, str] = {
    DeathPlace.HOME: "home",
    DeathPlace.NURSING_HOME: "nursing_home",
    DeathPlace.HOSPITAL_WARD: "hospital",
    DeathPlace.ICU: "hospital",
    DeathPlace.EMERGENCY: "hospital",
    DeathPlace.HOSPICE_UNIT: "hospice_unit",
}
# The places the 24/7 line's death report offers (support.models.DeathReport.Place), as
# places of death, with the words that say what the line did not ask.
PHONE_PLACES: dict[str, tuple[str, str]] = {
    "home": (DeathPlace.HOME, ""),
    "nursing_home": (DeathPlace.NURSING_HOME, ""),
    "assisted_living": (DeathPlace.OTHER, "Assisted living"),
    "hospital": (DeathPlace.HOSPITAL_WARD, "Hospital, reported by phone"),
    "hospice": (DeathPlace.HOSPICE_UNIT, ""),
    "other": (DeathPlace.OTHER, "Reported by phone"),
}


@dataclass
class DeathInput:
    died_at: datetime | None
    place: str
    place_detail: str = ""
    present: str = ""
    expected: bool | None = None


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def death_input_problems(patient: Any, data: DeathInput) -> Errors:
    """Every problem of the input, in plain words (nothing is written while there is one)."""
    errors: Errors = {}
    zone = ZoneInfo(patient.program.timezone)
    died_at = data.died_at
    if not isinstance(died_at, datetime) or died_at.tzinfo is None:
        errors.setdefault("died_at", []).append("Give the date and time of death.")
    elif died_at > clock.now() + CLOCK_SKEW:
        errors.setdefault("died_at", []).append("The time of death cannot be in the future.")
    elif died_at.year < 1900 or died_at.astimezone(zone).date() < patient.birth_date:
        errors.setdefault("died_at", []).append("The time of death is before the date of birth.")
    check_choice(errors, "place", data.place, DeathPlace.values)
    check_text(
        errors, "place_detail", data.place_detail, 200, required=data.place == DeathPlace.OTHER
    )
    check_text(errors, "present", data.present, 300)
    if data.expected not in (True, False, None):
        errors.setdefault("expected", []).append("Say whether the death was expected.")
    return errors


def _preferred_place(patient: Any) -> tuple[str, str]:
    """The preferred place of death recorded in advance care planning, code and words."""
    from pallio.acp.models import PlacePreference

    preference = PlacePreference.objects.filter(patient_id=patient.pk).first()
    if preference is None or not preference.place_of_death:
        return "", ""
    words = preference.get_place_of_death_display()
    if preference.other_detail and preference.place_of_death == "other":
        words = f"{words} ({preference.other_detail})"
    return preference.place_of_death, words[:100]


@transaction.atomic
def death_record(*, actor: Any, patient: Any, data: DeathInput) -> DeathRecord:
    """Record a death from the chart. A second record of the same patient is refused: a
    wrong record is corrected, not recorded again."""
    privilege_check(actor, "death.record")
    from pallio.patients.models import Patient

    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    existing = DeathRecord.objects.filter(patient_id=patient.pk).first()
    if existing is not None:
        zone = ZoneInfo(patient.program.timezone)
        raise ValidationError(
            "A death is already recorded for this patient "
            f"({existing.died_at.astimezone(zone):%d %b %Y %H:%M})."
        )
    _raise(death_input_problems(patient, data))
    return _death_apply(actor=actor, patient=patient, data=data, source=DeathRecord.Source.CHART)


def death_record_from_report(*, actor: Any, report: Any) -> DeathRecord:
    """The death record made from a death reported on the 24/7 line (the caller has checked
    the privilege and the input); a patient whose death is already recorded keeps that one."""
    from pallio.patients.models import Patient

    patient = Patient.objects.select_for_update().get(pk=report.patient_id)
    existing = DeathRecord.objects.filter(patient_id=patient.pk).first()
    if existing is not None:
        return existing
    place, detail = PHONE_PLACES.get(report.place, (DeathPlace.OTHER, "Reported by phone"))
    data = DeathInput(
        died_at=report.died_at,
        place=place,
        place_detail=detail,
        present=report.present,
        # The line takes expected deaths (its "expected death" protocol).
        expected=True,
    )
    _raise(death_input_problems(patient, data))
    return _death_apply(actor=actor, patient=patient, data=data, source=DeathRecord.Source.PHONE)


def _death_apply(*, actor: Any, patient: Any, data: DeathInput, source: str) -> DeathRecord:
    from pallio.episodes.discharge import discharge_apply
    from pallio.episodes.services import patient_death_record

    assert data.died_at is not None
    preferred, preferred_words = _preferred_place(patient)
    compared = ACP_PLACE_OF.get(data.place)
    at_preferred = (
        None if not preferred or preferred == "other" or compared is None else compared == preferred
    )
    episode = (
        EpisodeOfCare.objects.filter(patient_id=patient.pk)
        .exclude(status=EpisodeOfCare.Status.FINISHED)
        .order_by("-start")
        .first()
    )
    record = DeathRecord.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode
        or EpisodeOfCare.objects.filter(patient_id=patient.pk).order_by("-start").first(),
        died_at=data.died_at,
        place=data.place,
        place_detail=data.place_detail.strip(),
        preferred_place=preferred,
        preferred_place_display=preferred_words,
        at_preferred_place=at_preferred,
        present=data.present.strip(),
        expected=data.expected,
        source=source,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    patient_death_record(actor=actor, patient=patient, died_at=data.died_at)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="death.record",
        patient=patient,
        target=record,
        detail={"place": data.place, "source": source, "at_preferred_place": at_preferred},
    )
    open_work_close(actor=actor, patient=patient)
    if episode is not None:
        discharge_apply(
            actor=actor,
            episode=episode,
            reason=DischargeReason.DEATH,
            on=max(data.died_at, episode.start),
        )
    if privileges.can(actor, "phase.record"):
        from pallio.assessments.services import phase_record

        phase_record(
            actor=actor,
            patient=patient,
            phase="bereaved",
            contact="call" if source == DeathRecord.Source.PHONE else "visit",
            note="The patient died; the family is bereaved.",
            recorded_at=min(data.died_at, clock.now()),
        )
    # The family's bereavement follow-up opens with the death, whichever path recorded it.
    from pallio.episodes.bereavement import bereavement_open

    bereavement_open(actor=actor, patient=patient, died_at=data.died_at)
    return record


def open_work_close(*, actor: Any, patient: Any) -> dict[str, int]:
    """Close everything still open for a patient who died, with the reason "Patient died":
    open tasks cancelled, open alerts resolved, summaries queued for the patient withheld.
    Returns how many of each."""
    from pallio.assessments.models import Alert
    from pallio.assessments.services import alert_resolve
    from pallio.careplans.models import Task
    from pallio.careplans.services import task_cancel
    from pallio.visits.summaries import patient_deliveries_withhold

    counts = {"tasks": 0, "alerts": 0, "deliveries": 0}
    for task in Task.objects.filter(patient_id=patient.pk, status=Task.Status.OPEN):
        task_cancel(actor=actor, task=task, reason=PATIENT_DIED)
        counts["tasks"] += 1
    alerts = Alert.objects.filter(patient_id=patient.pk).exclude(status=Alert.Status.RESOLVED)
    for alert in alerts.select_related("patient"):
        alert_resolve(actor=actor, alert=alert, expected_version=None, action_taken=PATIENT_DIED)
        counts["alerts"] += 1
    counts["deliveries"] = patient_deliveries_withhold(actor=actor, patient=patient)
    return counts
