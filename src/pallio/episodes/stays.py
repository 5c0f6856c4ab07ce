"""Every write to hospital and emergency-department stays.

Staff record stays from the chart; the FHIR API (Encounter) and the HL7 v2 ADT listener
record them for the hospital. All of them call these services, so a rule lives once.

Who may act: ``privilege_check(actor, "stay.record")`` (core/data/privileges.json) for a
person. ``actor=None`` is the system itself: a message the hospital's interface sent and
Pallio's listener received. The privilege matrix is about people and has nothing to say about
it, so no privilege is checked; the caller is the one that decides the sender may send
(the ADT listener accepts only its configured peers; the FHIR API always passes the signed-in
user, never None). The audit row of a system act has no user, and the stay says how it came
(``source``). Never pass None on behalf of a person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.models import ConflictError, versioned_save
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.episodes.models import (
    EpisodeOfCare,
    HospitalStay,
    StayDisposition,
    StayKind,
    StayMovement,
    StaySource,
)
from pallio.episodes.stay_reviews import stay_reviews_raise

# An interface engine's clock may run a little ahead of ours; beyond this, "in the future".
CLOCK_SKEW = timedelta(minutes=5)
# A readmission: an inpatient admission that begins within this many days of leaving an
# earlier inpatient stay (the 30-day window of CMS's Hospital Readmissions Reduction Program;
# CLINICAL.md section 4, "readmissions within 30 days"). Emergency visits and observation
# stays are neither the first stay nor the readmission.
READMISSION_DAYS = 30
STALE_MESSAGE = (
    "This stay was changed by someone else while you were looking at it. "
    "Reload to see the current stay, then make your change again."
)


def _check(actor: Any, action: str) -> None:
    """A person needs the privilege; the system (None) is vouched for by its caller."""
    if actor is not None:
        privilege_check(actor, action)


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _check_moment(errors: Errors, name: str, value: Any, *, what: str) -> bool:
    """A time of day with its zone, not in the future. True when usable."""
    if not isinstance(value, datetime):
        errors.setdefault(name, []).append(f"Enter the date and time of {what}.")
        return False
    if timezone.is_naive(value):
        errors.setdefault(name, []).append(f"Give the time zone of the {what} time.")
        return False
    if value > clock.now() + CLOCK_SKEW:
        errors.setdefault(name, []).append(f"The {what} cannot be in the future.")
        return False
    return True


def _check_same_program(actor: Any, patient: Any) -> None:
    if actor is not None and getattr(actor, "program_id", None) != patient.program_id:
        raise ValidationError("This patient belongs to another program; nothing was recorded.")


def _episode_at(patient: Any, at: datetime) -> EpisodeOfCare | None:
    """The palliative care episode open at `at`, if any."""
    return (
        EpisodeOfCare.objects.filter(patient=patient, start__lte=at)
        .exclude(end__lt=at)
        .order_by("-start")
        .first()
    )


def _locked(stay: HospitalStay) -> HospitalStay:
    current = HospitalStay.objects.select_for_update().get(pk=stay.pk)
    if current.entered_in_error:
        raise ValidationError("This stay was marked as entered in error; it cannot be changed.")
    return current


def _save(stay: HospitalStay, expected_version: int | None, fields: list[str]) -> None:
    try:
        versioned_save(stay, expected_version, fields)
    except ConflictError as exc:
        raise ConflictError(STALE_MESSAGE) from exc


def readmission_flags_refresh(patient: Any) -> None:
    """Mark each inpatient admission of the patient that began within READMISSION_DAYS of
    leaving an earlier one. Recomputed for the patient whenever a stay changes, so a stay
    entered late (or marked wrong) moves the flags of the stays after it."""
    stays = list(
        HospitalStay.objects.filter(
            patient=patient, kind=StayKind.INPATIENT, entered_in_error=False
        ).order_by("admitted_at", "created_at")
    )
    last_left: datetime | None = None
    for stay in stays:
        flag = last_left is not None and last_left <= stay.admitted_at <= last_left + timedelta(
            days=READMISSION_DAYS
        )
        if flag != stay.is_readmission:
            HospitalStay.objects.filter(pk=stay.pk).update(is_readmission=flag)
            stay.is_readmission = flag
        if stay.discharged_at is not None:
            last_left = max(last_left or stay.discharged_at, stay.discharged_at)
    HospitalStay.objects.filter(patient=patient).exclude(kind=StayKind.INPATIENT).filter(
        is_readmission=True
    ).update(is_readmission=False)
    HospitalStay.objects.filter(patient=patient, entered_in_error=True, is_readmission=True).update(
        is_readmission=False
    )


# An admission told to the team this long after it began is history, not news: it is
# recorded without calling the team (the stay still shows on the chart and the timeline).
NEWS_WITHIN = timedelta(days=2)


def _care_team_notify(stay: HospitalStay) -> None:
    """An enrolled patient arrived in hospital: the program's hospital-admission rule
    (assessments, a declared rule a program can retune or switch off) puts it on the alert
    worklist with a follow-up task for its discipline, due within its hours. Once per stay."""
    if stay.episode is None or stay.episode.status != EpisodeOfCare.Status.ACTIVE:
        return
    if stay.discharged_at is not None or clock.now() - stay.admitted_at > NEWS_WITHIN:
        return
    from pallio.assessments.models import RuleKind
    from pallio.assessments.services import alert_raise, rules_for

    patient = stay.patient
    place = stay.facility + (f", {stay.unit}" if stay.unit else "")
    arrived = {
        StayKind.EMERGENCY: "In the emergency department",
        StayKind.OBSERVATION: "In hospital for observation",
    }.get(StayKind(stay.kind), "Admitted to hospital")
    detail = f"{arrived}: {place}" + (f" ({stay.reason})" if stay.reason else "")
    if stay.is_readmission:
        detail += "; a readmission within 30 days"
    for rule in rules_for(patient.program):
        if rule.kind == RuleKind.HOSPITAL_ADMISSION:
            alert_raise(
                rule=rule, patient=patient, dedupe_key=f"stay:{stay.pk}:{rule.key}", detail=detail
            )


# --- admission, transfer, discharge -------------------------------------------------------------


@transaction.atomic
def stay_admit(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    facility: str,
    admitted_at: datetime,
    unit: str = "",
    icu: bool = False,
    reason: str = "",
    source: str = "staff",
    visit_number: str = "",
    informant: str = "",
) -> HospitalStay:
    """Record that the patient came to an emergency department or was admitted (inpatient
    or observation). The first unit is the first movement of the stay."""
    _check(actor, "stay.record")
    _check_same_program(actor, patient)
    errors: Errors = {}
    check_choice(errors, "kind", kind, StayKind.values)
    check_choice(errors, "source", source, StaySource.values)
    check_text(errors, "facility", facility, 200, required=True)
    check_text(errors, "unit", unit, 100)
    check_text(errors, "reason", reason, 300)
    check_text(errors, "visit_number", visit_number, 64)
    check_text(errors, "informant", informant, 200)
    _check_moment(errors, "admitted_at", admitted_at, what="admission")
    visit_number = visit_number.strip()
    if (
        visit_number
        and not errors
        and HospitalStay.objects.filter(
            program_id=patient.program_id, visit_number=visit_number, entered_in_error=False
        ).exists()
    ):
        errors.setdefault("visit_number", []).append(
            "A stay with this visit number is already recorded."
        )
    _raise(errors)
    stay = HospitalStay.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=_episode_at(patient, admitted_at),
        kind=kind,
        facility=facility.strip(),
        unit=unit.strip(),
        icu=bool(icu),
        admitted_at=admitted_at,
        reason=reason.strip(),
        source=source,
        informant=informant.strip(),
        visit_number=visit_number,
        recorded_by=actor,
    )
    StayMovement.objects.create(
        stay=stay, unit=stay.unit, is_icu=stay.icu, started_at=admitted_at, recorded_by=actor
    )
    readmission_flags_refresh(patient)
    stay.refresh_from_db()
    audit_record(
        actor=actor, action=Action.CREATE, event="stay.admit", patient=patient, target=stay
    )
    _care_team_notify(stay)
    stay_reviews_raise(actor=actor, stay=stay)
    return stay


@transaction.atomic
def stay_transfer(
    *, actor: Any, stay: HospitalStay, unit: str, icu: bool, at: datetime
) -> HospitalStay:
    """The person moved to another unit (HL7 A02): the current movement ends, a new one
    begins."""
    _check(actor, "stay.record")
    _check_same_program(actor, stay.patient)
    stay = _locked(stay)
    errors: Errors = {}
    check_text(errors, "unit", unit, 100)
    if _check_moment(errors, "at", at, what="transfer"):
        if stay.discharged_at is not None:
            errors.setdefault("at", []).append("This stay has ended; record a new one instead.")
        elif at < stay.admitted_at:
            errors.setdefault("at", []).append("The transfer is before the admission.")
    _raise(errors)
    current = stay.movements.filter(ended_at__isnull=True).order_by("-started_at").first()
    if current is not None:
        if at < current.started_at:
            raise ValidationError({"at": ["The transfer is before the last move recorded."]})
        current.ended_at = at
        current.save(update_fields=["ended_at", "updated_at"])
    StayMovement.objects.create(
        stay=stay, unit=unit.strip(), is_icu=bool(icu), started_at=at, recorded_by=actor
    )
    stay.unit = unit.strip()
    stay.icu = bool(icu)
    _save(stay, None, ["unit", "icu"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="stay.transfer",
        patient=stay.patient,
        target=stay,
        detail={"unit": stay.unit, "icu": stay.icu},
    )
    stay_reviews_raise(actor=actor, stay=stay)
    return stay


@transaction.atomic
def stay_discharge(
    *, actor: Any, stay: HospitalStay, discharged_at: datetime, disposition: str
) -> HospitalStay:
    """The stay ended: when, and where the person went (home, hospice, died...)."""
    _check(actor, "stay.record")
    _check_same_program(actor, stay.patient)
    stay = _locked(stay)
    errors: Errors = {}
    check_choice(errors, "disposition", disposition, StayDisposition.values)
    if _check_moment(errors, "discharged_at", discharged_at, what="discharge"):
        if stay.discharged_at is not None:
            errors.setdefault("discharged_at", []).append("This stay has already ended.")
        elif discharged_at < stay.admitted_at:
            errors.setdefault("discharged_at", []).append("The discharge is before the admission.")
    _raise(errors)
    current = stay.movements.filter(ended_at__isnull=True).order_by("-started_at").first()
    if current is not None:
        if discharged_at < current.started_at:
            raise ValidationError(
                {"discharged_at": ["The discharge is before the last move recorded."]}
            )
        current.ended_at = discharged_at
        current.save(update_fields=["ended_at", "updated_at"])
    stay.discharged_at = discharged_at
    stay.disposition = disposition
    _save(stay, None, ["discharged_at", "disposition"])
    readmission_flags_refresh(stay.patient)
    stay.refresh_from_db()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="stay.discharge",
        patient=stay.patient,
        target=stay,
        detail={"disposition": disposition},
    )
    stay_reviews_raise(actor=actor, stay=stay)
    return stay


# The fields a correction may change, and their limits.
UPDATABLE_TEXT = {
    "facility": 200,
    "unit": 100,
    "reason": 300,
    "informant": 200,
    "visit_number": 64,
}
UPDATABLE = {
    *UPDATABLE_TEXT,
    "kind",
    "disposition",
    "intubated",
    "cpr_performed",
    "admitted_at",
    "discharged_at",
}


@transaction.atomic
def stay_update(*, actor: Any, stay: HospitalStay, **fields: Any) -> HospitalStay:
    """Correct or complete a stay: facility, unit (where the person is, or was last), reason,
    kind, times, disposition, and whether the person was intubated or had CPR.
    ``expected_version`` (from a page) catches an edit made meanwhile by someone else."""
    _check(actor, "stay.record")
    _check_same_program(actor, stay.patient)
    expected_version = fields.pop("expected_version", None)
    unknown = sorted(set(fields) - UPDATABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed on a stay: {', '.join(unknown)}.")
    stay = _locked(stay)
    errors: Errors = {}
    for name, limit in UPDATABLE_TEXT.items():
        if name in fields:
            fields[name] = str(fields[name] or "").strip()
            check_text(errors, name, fields[name], limit, required=name == "facility")
    if "kind" in fields:
        check_choice(errors, "kind", fields["kind"], StayKind.values)
    if fields.get("disposition"):
        check_choice(errors, "disposition", fields["disposition"], StayDisposition.values)
    for name in ("intubated", "cpr_performed"):
        if name in fields:
            fields[name] = bool(fields[name])
    admitted_at = fields.get("admitted_at", stay.admitted_at)
    discharged_at = fields.get("discharged_at", stay.discharged_at)
    ok = _check_moment(errors, "admitted_at", admitted_at, what="admission")
    if discharged_at is not None:
        ok = _check_moment(errors, "discharged_at", discharged_at, what="discharge") and ok
        if ok and discharged_at < admitted_at:
            errors.setdefault("discharged_at", []).append("The discharge is before the admission.")
    if (
        fields.get("visit_number")
        and fields["visit_number"] != stay.visit_number
        and HospitalStay.objects.filter(
            program_id=stay.program_id,
            visit_number=fields["visit_number"],
            entered_in_error=False,
        )
        .exclude(pk=stay.pk)
        .exists()
    ):
        errors.setdefault("visit_number", []).append(
            "A stay with this visit number is already recorded."
        )
    movements = list(stay.movements.order_by("started_at"))
    if ok and movements and len(movements) > 1:
        if admitted_at > movements[1].started_at:
            errors.setdefault("admitted_at", []).append(
                "The admission would be after the first transfer."
            )
        if discharged_at is not None and discharged_at < movements[-1].started_at:
            errors.setdefault("discharged_at", []).append(
                "The discharge would be before the last transfer."
            )
    _raise(errors)
    changed = [name for name in fields if getattr(stay, name) != fields[name]]
    for name in changed:
        setattr(stay, name, fields[name])
    if "discharged_at" in changed and discharged_at is None:
        stay.disposition = ""
        changed.append("disposition")
    if changed:
        _save(stay, expected_version, sorted(set(changed)))
    elif expected_version is not None and expected_version != stay.version:
        raise ConflictError(STALE_MESSAGE)
    if movements and ("admitted_at" in changed or "discharged_at" in changed):
        first, last = movements[0], movements[-1]
        first.started_at = admitted_at
        first.save(update_fields=["started_at", "updated_at"])
        last.ended_at = discharged_at
        last.save(update_fields=["ended_at", "updated_at"])
    if movements and "unit" in changed:
        # The stay's unit is the one of its last movement: a corrected unit corrects that.
        last = movements[-1]
        last.unit = stay.unit
        last.save(update_fields=["unit", "updated_at"])
    readmission_flags_refresh(stay.patient)
    stay.refresh_from_db()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="stay.update",
        patient=stay.patient,
        target=stay,
        detail={"fields": sorted(changed)},
    )
    stay_reviews_raise(actor=actor, stay=stay)
    return stay


def stay_find_open(*, patient: Any, visit_number: str = "") -> HospitalStay | None:
    """The patient's stay still open (no discharge yet): the one with this visit number when
    one is given, else the latest. For the system's own matching of later messages; pages
    read stays through the access-checked selectors."""
    stays = HospitalStay.objects.filter(
        patient=patient, entered_in_error=False, discharged_at__isnull=True
    )
    if visit_number.strip():
        stays = stays.filter(visit_number=visit_number.strip())
    return stays.order_by("-admitted_at", "-created_at").first()


@transaction.atomic
def stay_record(
    *,
    actor: Any,
    patient: Any,
    kind: str,
    facility: str,
    admitted_at: datetime,
    unit: str = "",
    icu: bool = False,
    reason: str = "",
    informant: str = "",
    discharged_at: datetime | None = None,
    disposition: str = "",
    source: str = "staff",
    visit_number: str = "",
) -> HospitalStay:
    """A stay told to the team after the fact, admission and (when known) discharge at once;
    all of it is recorded or, on any problem, none of it."""
    errors: Errors = {}
    if discharged_at is not None and not disposition:
        errors.setdefault("disposition", []).append("Say where the person went on discharge.")
    if disposition and discharged_at is None:
        errors.setdefault("discharged_at", []).append("Enter when the stay ended.")
    if (
        isinstance(discharged_at, datetime)
        and isinstance(admitted_at, datetime)
        and discharged_at < admitted_at
    ):
        errors.setdefault("discharged_at", []).append("The discharge is before the admission.")
    _check(actor, "stay.record")
    _raise(errors)
    stay = stay_admit(
        actor=actor,
        patient=patient,
        kind=kind,
        facility=facility,
        admitted_at=admitted_at,
        unit=unit,
        icu=icu,
        reason=reason,
        source=source,
        visit_number=visit_number,
        informant=informant,
    )
    if discharged_at is not None:
        stay = stay_discharge(
            actor=actor, stay=stay, discharged_at=discharged_at, disposition=disposition
        )
    return stay


@transaction.atomic
def stay_mark_entered_in_error(*, actor: Any, stay: HospitalStay, reason: str) -> HospitalStay:
    """The stay was recorded wrongly (wrong patient, never happened). It stays visible,
    struck through, with who and why; readmission flags are worked out again without it."""
    _check(actor, "stay.void")
    _check_same_program(actor, stay.patient)
    stay = HospitalStay.objects.select_for_update().get(pk=stay.pk)
    if stay.entered_in_error:
        raise ValidationError("This stay was already marked as entered in error.")
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    _raise(errors)
    stay.entered_in_error = True
    stay.entered_in_error_at = clock.now()
    stay.entered_in_error_by = actor
    stay.entered_in_error_reason = reason.strip()
    _save(
        stay,
        None,
        [
            "entered_in_error",
            "entered_in_error_at",
            "entered_in_error_by",
            "entered_in_error_reason",
        ],
    )
    readmission_flags_refresh(stay.patient)
    stay.refresh_from_db()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="stay.entered_in_error",
        patient=stay.patient,
        target=stay,
    )
    return stay
