"""Visit summaries: built when a visit's note is finally signed, delivered by the worker.

A summary's ``content`` is assembled once, from the record as it stands when the note becomes
final, and never recomputed: the clinical letter (for the referring clinician and the primary
care doctor) and the plain-language summary (for the patient and family) are both rendered
from it, so a letter sent again, or printed next month, reads exactly as the first one did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.patients.selectors import patient_get_for
from pallio.visits.models import SummaryDelivery, Visit, VisitNote, VisitSummary
from pallio.visits.summary_content import (
    CONTENT_VERSION,
    NEXT_VISIT_UNKNOWN,
    PLAIN_CODE_STATUS,
    PLAIN_GOAL_FOCUS,
    PLAIN_MODE,
    PLAIN_SYMPTOM_WORDS,
    PLAIN_UNITS,
    _referral_of,
    summary_content,
)

LATE_PAGE_SIZE = 25


def _recipients(visit: Visit, patient: Any) -> list[tuple[str, str, str]]:
    """(audience, name, email) of everyone with an address; one letter per address."""
    referral = _referral_of(visit)
    candidates = [
        (
            SummaryDelivery.Audience.REFERRER,
            getattr(referral, "referrer_name", "") or "",
            getattr(referral, "referrer_email", "") or "",
        ),
        (
            SummaryDelivery.Audience.PRIMARY_CARE,
            patient.primary_care_name,
            patient.primary_care_email,
        ),
    ]
    if patient.deceased_at is None:  # nothing is ever addressed to a patient who died
        candidates.append((SummaryDelivery.Audience.PATIENT, patient.full_name, patient.email))
    seen: set[tuple[str, str]] = set()
    result = []
    for audience, name, email in candidates:
        if not email:
            continue
        form = "plain" if audience == SummaryDelivery.Audience.PATIENT else "letter"
        if (form, email.lower()) in seen:
            continue  # the referrer is also the primary care doctor: one letter
        seen.add((form, email.lower()))
        result.append((str(audience), name[:200], email))
    return result


# Set while the demo signs its notes: their summaries are made afterwards by the summaries
# demo, recorded as sent or failed rather than queued to the demo's made-up addresses.
_HELD: ContextVar[bool] = ContextVar("visit_summaries_held", default=False)


@contextmanager
def summaries_held() -> Iterator[None]:
    """Inside this block, signing a note makes no summary (the demo only)."""
    token = _HELD.set(True)
    try:
        yield
    finally:
        _HELD.reset(token)


@transaction.atomic
def summary_create_for_note(*, actor: Any, note: Any) -> VisitSummary | None:
    """Build the visit's summary from the signed note and queue its deliveries.

    Called by the note services once a note is final (signed, and co-signed when a trainee
    wrote it). Returns the VisitSummary, or None when the visit already has one.
    """
    if _HELD.get():
        return None
    return summary_build(actor=actor, note=note, send=True)


@transaction.atomic
def summary_build(*, actor: Any, note: Any, send: bool) -> VisitSummary | None:
    """The summary and its deliveries; `send` queues them for the worker once this commits
    (the demo builds past summaries whose delivery it records itself)."""
    note = (
        VisitNote.objects.select_related(
            "visit__episode", "visit__clinician", "patient__program", "signed_by", "cosigned_by"
        )
        .filter(pk=note.pk)
        .first()
    )
    if note is None or note.entered_in_error or note.status != VisitNote.Status.SIGNED:
        raise ValidationError("Only a signed note produces a visit summary.")
    # Lock the visit so two signatures arriving together build one summary.
    Visit.objects.select_for_update().filter(pk=note.visit_id).first()
    if VisitSummary.objects.filter(visit_id=note.visit_id).exists():
        return None
    summary = VisitSummary(
        program_id=note.program_id,
        patient=note.patient,
        visit=note.visit,
        note=note,
        content=summary_content(note),
    )
    try:
        with transaction.atomic():
            summary.save(force_insert=True)
    except IntegrityError:
        return None  # another transaction made it first
    deliveries = SummaryDelivery.objects.bulk_create(
        [
            SummaryDelivery(summary=summary, audience=audience, recipient_name=name, to_email=email)
            for audience, name, email in _recipients(note.visit, note.patient)
        ]
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="visit_summary.create",
        patient=note.patient,
        target=summary,
        detail={"note": str(note.pk), "deliveries": [d.audience for d in deliveries]},
    )
    if send:
        ids = [str(d.pk) for d in deliveries]
        transaction.on_commit(lambda: _enqueue_all(ids))
    return summary


def _enqueue_all(ids: list[str]) -> None:
    from pallio.visits.tasks import summary_delivery_enqueue

    for delivery_id in ids:
        summary_delivery_enqueue(delivery_id)


@transaction.atomic
def summary_delivery_resend(*, actor: Any, delivery: SummaryDelivery) -> SummaryDelivery:
    """Queue a failed delivery again, now (a staff member pressed "Send again")."""
    delivery = (
        SummaryDelivery.objects.select_for_update().select_related("summary").get(pk=delivery.pk)
    )
    if delivery.status != SummaryDelivery.Status.FAILED:
        raise ValidationError("Only a delivery that failed can be sent again.")
    delivery.status = SummaryDelivery.Status.QUEUED
    delivery.updated_at = clock.now()
    delivery.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="visit_summary.resend",
        patient_id=delivery.summary.patient_id,
        program=delivery.summary.program,
        target=delivery,
        detail={"audience": delivery.audience},
    )
    delivery_id = str(delivery.pk)
    transaction.on_commit(lambda: _enqueue_all([delivery_id]))
    return delivery


WITHHELD_FOR_DEATH = "Not sent: the patient died."


def patient_deliveries_withhold(*, actor: Any, patient: Any) -> int:
    """A patient died: the summaries still waiting to go to them (queued or failed) are never
    sent. Returns how many were withheld."""
    pending = SummaryDelivery.objects.filter(
        summary__patient_id=patient.pk,
        audience=SummaryDelivery.Audience.PATIENT,
        status__in=[SummaryDelivery.Status.QUEUED, SummaryDelivery.Status.FAILED],
    )
    ids = [str(pk) for pk in pending.values_list("pk", flat=True)]
    if not ids:
        return 0
    SummaryDelivery.objects.filter(pk__in=ids).update(
        status=SummaryDelivery.Status.WITHHELD,
        last_error=WITHHELD_FOR_DEATH,
        updated_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="visit_summary.withhold",
        patient=patient,
        detail={"deliveries": ids, "reason": "patient died"},
    )
    return len(ids)


# --- reading ------------------------------------------------------------------------------------


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such visit") from None


def summary_of_visit(visit: Any) -> VisitSummary | None:
    """The visit's summary with its deliveries (for a visit already access-checked); what the
    note page passes to visits/_summary_status.html as ``summary``."""
    return (
        VisitSummary.objects.filter(visit_id=visit.pk)
        .prefetch_related(Prefetch("deliveries", queryset=SummaryDelivery.objects.all()))
        .first()
    )


def summary_get_for(
    user: Any,
    patient_id: Any,
    visit_id: Any,
    *,
    action: str = Action.READ,
    event: str = "visit_summary.read",
) -> VisitSummary:
    """The summary of a visit of a patient `user` may see; Http404 for missing and forbidden
    alike (a visit of another patient too). Audited as a read, a print or an export."""
    patient = patient_get_for(user, patient_id, audit=False)
    vid = _as_uuid(visit_id)
    summary = (
        VisitSummary.objects.filter(visit_id=vid, patient=patient)
        .select_related("patient__program", "visit", "note")
        .prefetch_related("deliveries")
        .first()
    )
    if summary is None:
        raise Http404("No such visit summary")
    audit_record(actor=user, action=action, event=event, patient=patient, target=summary)
    return summary


def delivery_get_for(
    user: Any, patient_id: Any, visit_id: Any, delivery_id: Any
) -> SummaryDelivery:
    summary = summary_get_for(user, patient_id, visit_id, event="visit_summary.delivery.read")
    try:
        did = uuid.UUID(str(delivery_id))
    except (ValueError, TypeError):
        raise Http404("No such delivery") from None
    delivery = next((d for d in summary.deliveries.all() if d.pk == did), None)
    if delivery is None:
        raise Http404("No such delivery")
    delivery.summary = summary
    return delivery


# --- late summaries -----------------------------------------------------------------------------


@dataclass
class LateRow:
    visit: Visit
    # "unsigned" (no signed note yet), "awaiting_cosign" (a trainee's note not co-signed yet)
    # or "unsent" (signed, its summary not sent)
    kind: str
    summary: VisitSummary | None


def late_visits_for(user: Any, *, now: datetime | None = None) -> QuerySet[Visit]:
    """Visits more than the program's `summary_due_days` old whose summary has not reached
    anyone: signed without a sent summary, or whose note is still unsigned. Program-wide roles
    see the program's; a clinician their own patients'."""
    if not access.has_perm(user, "caseload.view"):
        return Visit.objects.none()
    days = int(user.program.setting("summary_due_days"))
    cutoff = (now or clock.now()) - timedelta(days=days)
    sent = SummaryDelivery.objects.filter(
        summary__visit_id=OuterRef("pk"), status=SummaryDelivery.Status.SENT
    )
    signed = VisitNote.objects.filter(
        visit_id=OuterRef("pk"), status=VisitNote.Status.SIGNED, entered_in_error=False
    )
    return (
        Visit.objects.filter(program_id=user.program_id, entered_in_error=False)
        .filter(access.patient_access_q(user, prefix="patient__"))
        .filter(started_at__lte=cutoff, patient__entered_in_error=False)
        .annotate(
            is_signed=Exists(signed),
            awaiting_cosign=Exists(
                VisitNote.objects.filter(
                    visit_id=OuterRef("pk"),
                    status=VisitNote.Status.AWAITING_COSIGN,
                    entered_in_error=False,
                )
            ),
        )
        .exclude(Exists(sent))
        .select_related("patient", "clinician", "program", "summary")
        .prefetch_related("summary__deliveries")
        .order_by("started_at", "id")
    )


def late_page_for(user: Any, page: Any) -> tuple[Page[Any], int]:
    days = int(user.program.setting("summary_due_days"))
    result = Paginator(late_visits_for(user), LATE_PAGE_SIZE).get_page(page)
    rows = []
    for visit in result.object_list:
        summary = visit.summary if hasattr(visit, "summary") else None
        if getattr(visit, "is_signed", False):
            kind = "unsent"
        elif getattr(visit, "awaiting_cosign", False):
            kind = "awaiting_cosign"
        else:
            kind = "unsigned"
        rows.append(LateRow(visit, kind, summary))
    result.object_list = rows  # type: ignore[assignment]
    audit_record(
        actor=user,
        action=Action.READ,
        event="visit_summary.late_list",
        detail={"visits": [str(r.visit.pk) for r in rows]},
    )
    return result, days


def summaries_retry_failed() -> int:
    """Queue every failed delivery for an immediate attempt (after an outage); returns how
    many. The worker's row lock keeps a delivery from going out twice."""
    from pallio.visits.tasks import summary_delivery_enqueue

    ids = [
        str(pk)
        for pk in SummaryDelivery.objects.filter(
            status__in=[SummaryDelivery.Status.FAILED, SummaryDelivery.Status.QUEUED]
        ).values_list("pk", flat=True)
    ]
    SummaryDelivery.objects.filter(pk__in=ids, status=SummaryDelivery.Status.FAILED).update(
        status=SummaryDelivery.Status.QUEUED
    )
    for delivery_id in ids:
        summary_delivery_enqueue(delivery_id)
    return len(ids)


__all__ = [
    "CONTENT_VERSION",
    "LATE_PAGE_SIZE",
    "NEXT_VISIT_UNKNOWN",
    "PLAIN_CODE_STATUS",
    "PLAIN_GOAL_FOCUS",
    "PLAIN_MODE",
    "PLAIN_SYMPTOM_WORDS",
    "PLAIN_UNITS",
    "WITHHELD_FOR_DEATH",
    "LateRow",
    "delivery_get_for",
    "late_page_for",
    "late_visits_for",
    "patient_deliveries_withhold",
    "summaries_held",
    "summaries_retry_failed",
    "summary_build",
    "summary_content",
    "summary_create_for_note",
    "summary_delivery_resend",
    "summary_get_for",
    "summary_of_visit",
]
