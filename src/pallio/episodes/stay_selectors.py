"""Reads of hospital stays: the patient is reached only through patient_get_for, so missing
and forbidden are the same 404; lists cost a fixed number of queries whatever their length."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.read_together import Rows, attach_prefetched, read_together
from pallio.episodes.models import (
    EpisodeOfCare,
    HospitalStay,
    StayKind,
    StayMovement,
    StayReview,
)
from pallio.patients.selectors import patient_get_for, patient_header_context

REVIEW_PAGE_SIZE = 25


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such record") from None


# --- days in hospital and in intensive care -------------------------------------------------


def _midnights(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """The local midnights (program time zone) after `start` up to and including `end`."""
    first: date = start.astimezone(zone).date() + timedelta(days=1)
    last: date = end.astimezone(zone).date()
    found = []
    day = first
    while day <= last:
        found.append(datetime.combine(day, time(0), tzinfo=zone))
        day += timedelta(days=1)
    return found


def _days_split(
    start: datetime, end: datetime, zone: ZoneInfo, enrolled_at: datetime | None
) -> tuple[int, int]:
    """(days before enrollment, days after) of one stretch in hospital, counted like a
    hospital's midnight census: one day for each midnight spent there, in the program's
    time zone; a stretch that begins and ends on the same day counts one day, on the side
    of enrollment it began."""

    def after(moment: datetime) -> bool:
        return enrolled_at is not None and moment >= enrolled_at

    midnights = _midnights(start, end, zone)
    if not midnights:
        return (0, 1) if after(start) else (1, 0)
    later = sum(1 for m in midnights if after(m))
    return len(midnights) - later, later


@dataclass
class HospitalUse:
    """A patient's hospital use before and after enrollment in the program."""

    enrolled_at: datetime | None
    hospital_days: list[int] = field(default_factory=lambda: [0, 0])
    icu_days: list[int] = field(default_factory=lambda: [0, 0])
    admissions: list[int] = field(default_factory=lambda: [0, 0])
    emergency_visits: list[int] = field(default_factory=lambda: [0, 0])
    readmissions: list[int] = field(default_factory=lambda: [0, 0])

    @property
    def rows(self) -> list[tuple[str, int, int]]:
        return [
            (label, values[0], values[1])
            for label, values in (
                ("Admissions (inpatient and observation)", self.admissions),
                ("Readmissions within 30 days", self.readmissions),
                ("Emergency department visits", self.emergency_visits),
                ("Days in hospital", self.hospital_days),
                ("Days in intensive care", self.icu_days),
            )
        ]


def hospital_use_of(
    patient: Any,
    stays: list[HospitalStay] | None = None,
    *,
    first_episode: list[EpisodeOfCare] | None = None,
) -> HospitalUse:
    """Days in hospital and in intensive care, admissions, readmissions and emergency visits,
    before and after the patient's first enrollment (for a patient already access-checked).
    Open stays count up to now. Emergency visits count as visits, not hospital days. Two
    queries, or one when `stays` (with their movements prefetched) are given, none when the
    `first_episode` read with stays_chart_parts is given too."""
    zone = ZoneInfo(patient.program.timezone)
    if first_episode is None:
        first_episode = list(_first_episode(patient))
    first = next(iter(first_episode), None)
    use = HospitalUse(enrolled_at=first.start if first else None)
    if stays is None:
        stays = list(
            HospitalStay.objects.filter(patient=patient).prefetch_related(
                Prefetch("movements", queryset=StayMovement.objects.order_by("started_at"))
            )
        )
    now = clock.now()

    def side(moment: datetime) -> int:
        return int(use.enrolled_at is not None and moment >= use.enrolled_at)

    for stay in stays:
        if stay.entered_in_error:
            continue
        if stay.kind == StayKind.EMERGENCY:
            use.emergency_visits[side(stay.admitted_at)] += 1
            continue
        use.admissions[side(stay.admitted_at)] += 1
        if stay.is_readmission:
            use.readmissions[side(stay.admitted_at)] += 1
        end = stay.discharged_at or now
        for n, days in enumerate(_days_split(stay.admitted_at, end, zone, use.enrolled_at)):
            use.hospital_days[n] += days
        for movement in stay.movements.all():
            if movement.is_icu:
                split = _days_split(
                    movement.started_at, movement.ended_at or end, zone, use.enrolled_at
                )
                for n, days in enumerate(split):
                    use.icu_days[n] += days
    return use


# --- one patient's stays --------------------------------------------------------------------


def _stay_rows(patient: Any) -> QuerySet[HospitalStay]:
    return (
        HospitalStay.objects.filter(patient_id=patient.pk)
        .select_related("recorded_by", "entered_in_error_by")
        .order_by("-admitted_at", "-created_at")
    )


def _stays_of(patient: Any) -> list[HospitalStay]:
    return list(
        _stay_rows(patient).prefetch_related(
            Prefetch(
                "movements",
                queryset=StayMovement.objects.select_related("recorded_by").order_by("started_at"),
            ),
            Prefetch("reviews", queryset=StayReview.objects.select_related("reviewed_by")),
        )
    )


def stays_for(user: Any, patient_id: Any) -> dict[str, Any]:
    """The patient's stays, their flags and reviews, and the hospital use before and after
    enrollment; a fixed number of queries. Audited."""
    patient = patient_get_for(user, patient_id, audit=False)
    stays = _stays_of(patient)
    audit_record(actor=user, action=Action.READ, event="stay.list", patient=patient)
    return {
        **patient_header_context(user, patient),
        "stays": stays,
        "use": hospital_use_of(patient, stays),
    }


def stay_get_for(user: Any, patient_id: Any, stay_id: Any, *, audit: bool = True) -> Any:
    """(patient, stay) when the user reaches the patient and the stay is theirs; 404 else."""
    patient = patient_get_for(user, patient_id, audit=False)
    stay = (
        HospitalStay.objects.filter(pk=_as_uuid(stay_id), patient=patient)
        .select_related("recorded_by", "entered_in_error_by", "episode")
        .prefetch_related(
            Prefetch(
                "movements",
                queryset=StayMovement.objects.select_related("recorded_by").order_by("started_at"),
            ),
            Prefetch("reviews", queryset=StayReview.objects.select_related("reviewed_by")),
        )
        .first()
    )
    if stay is None:
        raise Http404("No such stay")
    if audit:
        audit_record(
            actor=user, action=Action.READ, event="stay.read", patient=patient, target=stay
        )
    return patient, stay


def stay_get_by_id_for(user: Any, stay_id: Any) -> tuple[Any, HospitalStay]:
    """(patient, stay) for a stay named by its id alone (FHIR Encounter read): only in the
    user's program, only of a patient they reach; 404 else, the same for both. Audited."""
    patient_id = (
        HospitalStay.objects.filter(pk=_as_uuid(stay_id), program_id=user.program_id)
        .values_list("patient_id", flat=True)
        .first()
    )
    if patient_id is None:
        raise Http404("No such stay")
    return stay_get_for(user, patient_id, stay_id)


def stays_of_patient_for(user: Any, patient_id: Any) -> tuple[Any, list[HospitalStay]]:
    """(patient, stays) of a patient the user reaches (FHIR Encounter search); 404 else.
    Audited as one read of the list."""
    patient = patient_get_for(user, _as_uuid(patient_id), audit=False)
    stays = _stays_of(patient)
    audit_record(actor=user, action=Action.READ, event="stay.list", patient=patient)
    return patient, stays


def _first_episode(patient: Any) -> Any:
    return EpisodeOfCare.objects.filter(patient_id=patient.pk).order_by("start")[:1]


def stays_chart_parts(patient: Any) -> dict[str, Rows]:
    """The chart's reads of hospital stays, to be read together with its other sections."""
    return {
        "stays_rows": Rows(_stay_rows(patient)),
        "stays_movements": Rows(
            StayMovement.objects.filter(stay__patient_id=patient.pk)
            .select_related("recorded_by")
            .order_by("started_at")
        ),
        "stays_reviews": Rows(
            StayReview.objects.filter(stay__patient_id=patient.pk).select_related("reviewed_by")
        ),
        "stays_first_episode": Rows(_first_episode(patient)),
    }


def stays_chart_summary(patient: Any, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """For the chart (the patient already access-checked and the read audited there), from
    `rows` read with stays_chart_parts, or read here."""
    rows = rows if rows is not None else read_together(stays_chart_parts(patient))
    stays = rows["stays_rows"]
    attach_prefetched(stays, "movements", rows["stays_movements"], key="stay_id")
    attach_prefetched(stays, "reviews", rows["stays_reviews"], key="stay_id")
    live = [s for s in stays if not s.entered_in_error]
    return {
        "patient": patient,
        "recent_stays": live[:3],
        "open_stay": next((s for s in live if s.is_open), None),
        "open_reviews": sum(1 for s in live for r in s.reviews.all() if r.is_open),
        "use": hospital_use_of(patient, stays, first_episode=rows["stays_first_episode"]),
    }


# --- the review list ------------------------------------------------------------------------


def stay_reviews_page_for(user: Any, *, page: int, show: str = "open") -> Page[StayReview]:
    """Reviews of the patients the user reaches, open ones first by default; one page, a
    fixed number of queries whatever its length. The list read is audited once."""
    reviews = (
        StayReview.objects.filter(program_id=user.program_id)
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("patient", "stay", "reviewed_by")
    )
    if show == "open":
        reviews = reviews.filter(reviewed_at__isnull=True)
    elif show == "reviewed":
        reviews = reviews.filter(reviewed_at__isnull=False)
    reviews = reviews.order_by("-raised_at", "pk")
    result = Paginator(reviews, REVIEW_PAGE_SIZE).get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event="stay.review.list",
        program=user.program,
        detail={"patients": sorted({str(r.patient_id) for r in result.object_list})},
    )
    return result


def stay_review_get_for(user: Any, review_id: Any) -> StayReview:
    review = (
        StayReview.objects.filter(pk=_as_uuid(review_id), program_id=user.program_id)
        .filter(access.patient_access_q(user, prefix="patient__"))
        .select_related("patient", "stay")
        .first()
    )
    if review is None:
        raise Http404("No such review")
    return review
