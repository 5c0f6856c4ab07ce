"""Places and scheduled visits: book, reschedule, cancel, mark a no-show.

A clinician cannot be in two places at once. On PostgreSQL the database refuses it (an
exclusion constraint over the clinician and the time range of booked and completed visits,
migration 0004): the loser of two bookings racing for the same time gets the same plain
message as anyone booking over a visit already there. On SQLite the rule is checked here:
once before writing, for the message, and again after the row is written, when the write
holds the database's only write lock, so that two bookings cannot both pass.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.models import versioned_save
from pallio.core.privileges import privilege_check
from pallio.core.validation import Errors, check_choice, check_text
from pallio.visits.models import (
    FACILITY_SETTINGS,
    HOME_SETTINGS,
    Mode,
    Place,
    Priority,
    ScheduledVisit,
    Setting,
    VisitKind,
)

# The longest a scheduled visit may last, and how far ahead one may be booked.
MAX_LENGTH = timedelta(hours=8)
MAX_AHEAD = timedelta(days=366)
NOT_BOOKED_MESSAGE = "Only a booked visit can be changed; this one is {status}."


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _zone(program: Any) -> ZoneInfo:
    return ZoneInfo(program.timezone)


def _local(at: datetime, program: Any) -> str:
    return f"{at.astimezone(_zone(program)):%H:%M}"


def _may_schedule(actor: Any, patient: Any) -> None:
    if actor is None:
        return
    if not access.can_access_patient(actor, patient):
        raise PermissionDenied("You cannot reach this patient's record.")


# --- places ------------------------------------------------------------------------------------


def _coordinate(errors: Errors, name: str, value: Any, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append("Enter a number such as 42.360100.")
        return None
    if not -limit <= number <= limit:
        errors.setdefault(name, []).append(f"Enter a number from -{limit} to {limit}.")
        return None
    return number


def _gazetteer_geocode(program: Any, line: str, city: str, postal_code: str) -> Any:
    """The place's coordinates from the program's local gazetteer file, when that module is
    installed (never an outside service); None when it is not or the address is not found."""
    try:
        from pallio.visits import geo  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return None
    return geo.geocode(program=program, line=line, city=city, postal_code=postal_code)


@transaction.atomic
def place_save_home(
    *,
    actor: Any,
    patient: Any,
    setting: str,
    name: str,
    line: str,
    city: str,
    postal_code: str = "",
    latitude: Any = None,
    longitude: Any = None,
    access_notes: str = "",
    place: Place | None = None,
) -> Place:
    """Record (or change) a patient's home-type place: its address, where it is on the map
    (entered, else looked up in the gazetteer) and the access notes for the visitor."""
    privilege_check(actor, "schedule.book")
    _may_schedule(actor, patient)
    errors: Errors = {}
    check_choice(errors, "setting", setting, [s.value for s in HOME_SETTINGS])
    check_text(errors, "name", name, 120, required=True)
    check_text(errors, "line", line, 200, required=True)
    check_text(errors, "city", city, 100, required=True)
    check_text(errors, "postal_code", postal_code, 20)
    check_text(errors, "access_notes", access_notes, 1000)
    lat = _coordinate(errors, "latitude", latitude, 90)
    lon = _coordinate(errors, "longitude", longitude, 180)
    if (lat is None) != (lon is None) and not errors:
        errors.setdefault("longitude", []).append("Give both the latitude and the longitude.")
    if place is not None and place.patient_id != patient.pk:
        errors.setdefault("__all__", []).append("This place is not this patient's.")
    _raise(errors)
    source = Place.GeocodeSource.ENTERED if lat is not None else Place.GeocodeSource.NONE
    if lat is None:
        found = _gazetteer_geocode(patient.program, line.strip(), city.strip(), postal_code)
        if found is not None:
            lat, lon = (Decimal(str(v)).quantize(Decimal("0.000001")) for v in found)
            source = Place.GeocodeSource.GAZETTEER
    created = place is None
    place = place or Place(program_id=patient.program_id, patient=patient)
    place.setting = setting
    place.name = name.strip()
    place.line = line.strip()
    place.city = city.strip()
    place.postal_code = postal_code.strip()
    place.latitude, place.longitude, place.geocode_source = lat, lon, source
    place.access_notes = access_notes.strip()
    place.updated_at = clock.now()
    place.save()
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        event="place.create" if created else "place.update",
        patient=patient,
        target=place,
    )
    return place


@transaction.atomic
def place_create_facility(
    *, actor: Any, program: Any, setting: str, name: str, line: str = "", city: str = ""
) -> Place:
    """A place of the program: an inpatient unit, the emergency department, a cancer center
    or a clinic."""
    errors: Errors = {}
    check_choice(errors, "setting", setting, [s.value for s in FACILITY_SETTINGS])
    check_text(errors, "name", name, 120, required=True)
    check_text(errors, "line", line, 200)
    check_text(errors, "city", city, 100)
    _raise(errors)
    place = Place.objects.create(
        program=program, setting=setting, name=name.strip(), line=line.strip(), city=city.strip()
    )
    audit_record(
        actor=actor, action=Action.CREATE, event="place.create", program=program, target=place
    )
    return place


# --- the video link ----------------------------------------------------------------------------


def join_url_for(program: Any) -> str:
    """A fresh join link from the program's video service template: ``{room}`` becomes a
    random room name that says nothing about the patient. Empty when no service is set."""
    template = str(program.setting("video_url_template") or "")
    if "{room}" not in template:
        return ""
    return template.replace("{room}", f"pallio-{secrets.token_urlsafe(12)}")


# --- scheduled visits ---------------------------------------------------------------------------


def triage_priority_of(patient: Any) -> str:
    """The priority triage set: the urgency of the patient's latest accepted referral."""
    referral = apps.get_model("referrals", "Referral")
    urgency = (
        referral.objects.filter(patient_id=patient.pk)
        .order_by("-received_at")
        .values_list("urgency", flat=True)
        .first()
    )
    return urgency if urgency in Priority.values else Priority.ROUTINE


def _check_clinician(errors: Errors, clinician: Any, patient: Any) -> None:
    """The clinician: an active clinical staff member of the patient's program, on the
    patient's care team or reaching every patient of the program."""
    if (
        clinician is None
        or not clinician.is_active
        or clinician.program_id != patient.program_id
        or clinician.role not in access.CLINICAL_ROLES
    ):
        errors.setdefault("clinician", []).append("Choose a clinician of this program.")
        return
    member = apps.get_model("episodes", "CareTeamMember")
    on_team = member.objects.filter(user_id=clinician.pk, patient_id=patient.pk, active=True)
    if clinician.role not in access.PROGRAM_WIDE and not on_team.exists():
        errors.setdefault("clinician", []).append(
            f"{clinician.display_name} is not on this patient's care team. Add them to the "
            "team first, or choose someone on it."
        )


def _check_time(errors: Errors, starts_at: Any, ends_at: Any) -> None:
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        errors.setdefault("starts_at", []).append("Enter when the visit starts.")
        return
    if not isinstance(ends_at, datetime) or ends_at.tzinfo is None:
        errors.setdefault("ends_at", []).append("Enter when the visit ends.")
        return
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append("The visit must end after it starts.")
    elif ends_at - starts_at > MAX_LENGTH:
        errors.setdefault("ends_at", []).append("A visit can last at most 8 hours.")
    if starts_at < clock.now():
        errors.setdefault("starts_at", []).append(
            "This time has already passed. Choose a time from now on."
        )
    elif starts_at > clock.now() + MAX_AHEAD:
        errors.setdefault("starts_at", []).append("Book at most a year ahead.")


def _check_place(
    errors: Errors, *, setting: str, place: Any, patient: Any, mode: str
) -> tuple[Any, str]:
    """The place fits the setting: a home-type setting needs one of the patient's places, a
    facility one of the program's; a video visit needs none. Returns (place, mode)."""
    if setting == Setting.TELEHEALTH:
        return None, Mode.VIDEO
    if place is None:
        errors.setdefault("place", []).append("Choose where the visit takes place.")
        return None, mode
    if not isinstance(place, Place) or place.program_id != patient.program_id or not place.active:
        errors.setdefault("place", []).append("This place is not known. Choose one from the list.")
        return None, mode
    if place.setting != setting:
        errors.setdefault("place", []).append(
            f"{place.name} is a {place.get_setting_display().lower()}, not a "
            f"{Setting(setting).label.lower()}."
        )
    if setting in HOME_SETTINGS and place.patient_id != patient.pk:
        errors.setdefault("place", []).append("This place is not known. Choose one from the list.")
    return place, Mode.IN_PERSON if mode == Mode.VIDEO else mode


def _overlap_message(clinician: Any, other: ScheduledVisit) -> str:
    program = other.program
    day = other.starts_at.astimezone(_zone(program)).date()
    from pallio.core.words import day_text

    return (
        f"{clinician.display_name} already has a visit from {_local(other.starts_at, program)} "
        f"to {_local(other.ends_at, program)} on {day_text(day)} and cannot be in two places "
        "at once. Choose another time or another clinician."
    )


def _overlapping(
    clinician: Any, starts_at: datetime, ends_at: datetime, exclude: Any = None
) -> Any:
    rows = ScheduledVisit.objects.filter(
        clinician_id=clinician.pk,
        status__in=ScheduledVisit.ACTIVE_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).select_related("program")
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.order_by("starts_at").first()


def _refuse_overlap(clinician: Any, starts_at: datetime, ends_at: datetime, exclude: Any) -> None:
    other = _overlapping(clinician, starts_at, ends_at, exclude)
    if other is not None:
        raise ValidationError({"starts_at": [_overlap_message(clinician, other)]})


def _save_guarded(visit: ScheduledVisit, save: Any) -> None:
    """Write the visit; the database (PostgreSQL) or the re-check under the write lock
    (SQLite) refuses a clinician in two places at once with the plain message."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError as exc:
        if "not_in_two_places" not in str(exc):
            raise
        _refuse_overlap(visit.clinician, visit.starts_at, visit.ends_at, visit.pk)
        raise ValidationError(
            {"starts_at": ["This clinician was just booked at this time. Choose another time."]}
        ) from exc
    if connection.vendor != "postgresql":
        _refuse_overlap(visit.clinician, visit.starts_at, visit.ends_at, visit.pk)


@transaction.atomic
def scheduled_visit_book(
    *,
    actor: Any,
    patient: Any,
    clinician: Any,
    setting: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    place: Place | None = None,
    room: str = "",
    priority: str | None = None,
    mode: str = Mode.IN_PERSON,
    note: str = "",
) -> ScheduledVisit:
    """Book a visit for the patient with a clinician at a place (or by video)."""
    privilege_check(actor, "schedule.book")
    _may_schedule(actor, patient)
    priority = priority or triage_priority_of(patient)
    errors: Errors = {}
    check_choice(errors, "setting", setting, Setting.values)
    check_choice(errors, "kind", kind, VisitKind.values)
    check_choice(errors, "priority", priority, Priority.values)
    check_choice(errors, "mode", mode, [Mode.IN_PERSON, Mode.VIDEO])
    check_text(errors, "room", room, 40)
    check_text(errors, "note", note, 300)
    _check_clinician(errors, clinician, patient)
    _check_time(errors, starts_at, ends_at)
    place, mode = (
        _check_place(errors, setting=setting, place=place, patient=patient, mode=mode)
        if setting in Setting.values
        else (None, mode)
    )
    if room.strip() and setting != Setting.HOSPITAL:
        errors.setdefault("room", []).append("A room is given only for an inpatient visit.")
    _raise(errors)
    _refuse_overlap(clinician, starts_at, ends_at, None)
    visit = ScheduledVisit(
        program_id=patient.program_id,
        patient=patient,
        clinician=clinician,
        discipline=clinician.discipline,
        kind=kind,
        priority=priority,
        setting=setting,
        mode=mode,
        place=place,
        room=room.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip(),
        join_url=join_url_for(patient.program) if mode == Mode.VIDEO else "",
        booked_by=actor,
    )
    _save_guarded(visit, visit.save)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="scheduled_visit.book",
        patient=patient,
        target=visit,
        detail={"setting": setting, "priority": priority},
    )
    return visit


def _locked(visit: ScheduledVisit) -> ScheduledVisit:
    current = (
        ScheduledVisit.objects.select_for_update()
        .select_related("program", "clinician", "patient")
        .get(pk=visit.pk)
    )
    if current.status != ScheduledVisit.Status.BOOKED:
        raise ValidationError(
            NOT_BOOKED_MESSAGE.format(status=current.get_status_display().lower())
        )
    return current


@transaction.atomic
def scheduled_visit_reschedule(
    *,
    actor: Any,
    visit: ScheduledVisit,
    starts_at: datetime,
    ends_at: datetime,
    clinician: Any = None,
    expected_version: int | None = None,
) -> ScheduledVisit:
    """Move a booked visit to another time (and, if given, to another clinician)."""
    privilege_check(actor, "schedule.book")
    _may_schedule(actor, visit.patient)
    current = _locked(visit)
    clinician = clinician or current.clinician
    errors: Errors = {}
    if clinician.pk != current.clinician_id:
        _check_clinician(errors, clinician, current.patient)
    _check_time(errors, starts_at, ends_at)
    _raise(errors)
    _refuse_overlap(clinician, starts_at, ends_at, current.pk)
    before = {"starts_at": current.starts_at.isoformat(), "clinician": current.clinician_id}
    current.starts_at, current.ends_at = starts_at, ends_at
    current.clinician, current.discipline = clinician, clinician.discipline
    current.updated_at = clock.now()
    _save_guarded(
        current,
        lambda: versioned_save(
            current,
            expected_version=expected_version,
            fields=["starts_at", "ends_at", "clinician", "discipline", "updated_at"],
        ),
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="scheduled_visit.reschedule",
        patient=current.patient,
        target=current,
        detail={"from": before["starts_at"]},
    )
    return current


@transaction.atomic
def scheduled_visit_cancel(
    *, actor: Any, visit: ScheduledVisit, reason: str, expected_version: int | None = None
) -> ScheduledVisit:
    """Cancel a booked visit, saying why; the clinician's time is free again."""
    privilege_check(actor, "schedule.cancel")
    _may_schedule(actor, visit.patient)
    errors: Errors = {}
    check_text(errors, "reason", reason, 300, required=True)
    if "reason" in errors and not reason.strip():
        errors["reason"] = ["Say why the visit is cancelled."]
    _raise(errors)
    current = _locked(visit)
    current.status = ScheduledVisit.Status.CANCELLED
    current.cancel_reason = reason.strip()
    current.updated_at = clock.now()
    versioned_save(
        current,
        expected_version=expected_version,
        fields=["status", "cancel_reason", "updated_at"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="scheduled_visit.cancel",
        patient=current.patient,
        target=current,
    )
    return current


@transaction.atomic
def scheduled_visit_no_show(
    *, actor: Any, visit: ScheduledVisit, expected_version: int | None = None
) -> ScheduledVisit:
    """The patient was not there (or did not join): recorded once the visit has started."""
    privilege_check(actor, "schedule.no_show")
    _may_schedule(actor, visit.patient)
    current = _locked(visit)
    if current.starts_at > clock.now():
        raise ValidationError("A visit can be marked as missed only once it has started.")
    current.status = ScheduledVisit.Status.NO_SHOW
    current.updated_at = clock.now()
    versioned_save(current, expected_version=expected_version, fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="scheduled_visit.no_show",
        patient=current.patient,
        target=current,
    )
    return current
