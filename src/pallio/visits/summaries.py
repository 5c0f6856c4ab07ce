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
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from pallio.acp.selectors import current_code_status
from pallio.assessments import instruments as inst
from pallio.assessments.models import SymptomReport
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.patients.selectors import patient_get_for
from pallio.programs.models import letter_text
from pallio.visits.models import SummaryDelivery, Visit, VisitNote, VisitSummary

CONTENT_VERSION = 1
LATE_PAGE_SIZE = 25

# Plain words for the ESAS-r items, for the patient's summary (the clinical letter keeps the
# instrument's own labels).
PLAIN_SYMPTOM_WORDS = {
    "pain": "Pain",
    "tiredness": "Tiredness",
    "drowsiness": "Feeling sleepy",
    "nausea": "Feeling sick to your stomach",
    "appetite": "Not wanting to eat",
    "dyspnea": "Short of breath",
    "depression": "Feeling sad",
    "anxiety": "Feeling worried",
    "wellbeing": "How you feel overall",
    "other": "Other problem",
}
# Dose units written out for the patient's summary.
PLAIN_UNITS = {
    "mg": "milligrams",
    "mcg": "micrograms",
    "g": "grams",
    "ml": "milliliters",
    "mL": "milliliters",
    "mcg/hr": "micrograms an hour",
    "units": "units",
    "tablet": "tablets",
    "tab": "tablets",
    "capsule": "capsules",
    "drop": "drops",
    "puff": "puffs",
    "patch": "patches",
}
# What each code status means, in plain words, for the patient's summary.
PLAIN_CODE_STATUS = {
    "full_code": "If your heart or breathing stops, the team will try to restart it.",
    "dnr": "If your heart or breathing stops, the team will not try to restart it. "
    "You will be kept comfortable.",
    "dnr_dni": "If your heart or breathing stops, the team will not try to restart it, "
    "and will not put in a breathing tube. You will be kept comfortable.",
    "comfort_focused": "Your care is focused on comfort. The team will not try to restart "
    "your heart or breathing if they stop.",
}
PLAIN_GOAL_FOCUS = {
    "life-prolonging": "You chose all the treatment that may help you live longer.",
    "balanced": "You chose treatment, with some limits you set.",
    "comfort-focused": "You chose care that keeps you comfortable.",
}
PLAIN_MODE = {"in_person": "in person", "telephone": "by phone", "video": "by video"}
NEXT_VISIT_UNKNOWN = "as arranged with your team"


# --- building the content ----------------------------------------------------------------------


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = float(value)
    return f"{value:g}"


def _symptoms(note: VisitNote) -> list[dict[str, Any]]:
    """The scores of the instruments done in the visit, each with the previous report of the
    same instrument, so the letter can say what changed."""
    rows: list[dict[str, Any]] = []
    reports = note.symptom_reports.filter(entered_in_error=False).select_related("instrument")
    for report in reports.order_by("answered_at"):
        spec = inst.spec_of(report.instrument.questionnaire)
        previous = (
            SymptomReport.objects.filter(
                patient_id=report.patient_id,
                instrument_key=report.instrument_key,
                entered_in_error=False,
            )
            .filter(
                Q(answered_at__lt=report.answered_at)
                | Q(answered_at=report.answered_at, created_at__lt=report.created_at)
            )
            .order_by("-answered_at", "-created_at")
            .values("scores", "answered_at")
            .first()
        )
        before: dict[str, Any] = (previous["scores"] if previous else None) or {}
        scores = report.scores or {}
        items: list[dict[str, Any]] = []
        values_now: dict[str, float] = scores.get("item_values", {})
        if spec.banded_items:
            severities = scores.get("item_severities", {})
            was_values = before.get("item_values", {})
            for link in spec.banded_items:
                if link not in values_now:
                    continue
                item = spec.item(link)
                label = item.text.split(" (")[0] if item else link
                now_value = values_now[link]
                was = was_values.get(link)
                items.append(
                    {
                        "key": link,
                        "label": label,
                        "plain_label": PLAIN_SYMPTOM_WORDS.get(link, label),
                        "value": now_value,
                        "maximum": item.maximum if item else None,
                        "previous": was,
                        "change": None if was is None else now_value - was,
                        "severity": severities.get(link, ""),
                    }
                )
        else:
            was_scales = before.get("scales", {})
            for scale in spec.scales:
                value = scores.get("scales", {}).get(scale.name)
                if value is None:
                    continue
                was = was_scales.get(scale.name)
                items.append(
                    {
                        "key": scale.name,
                        "label": scale.title,
                        "plain_label": "",
                        "value": value,
                        "maximum": scale.maximum,
                        "previous": was,
                        "change": None if was is None else value - was,
                        "severity": (scale.band_for(value) or inst.Band(0, 0, "")).label,
                    }
                )
        rows.append(
            {
                "instrument": report.instrument_key,
                "title": spec.title,
                "answered_at": report.answered_at.isoformat(),
                "previous_at": previous["answered_at"].isoformat() if previous else None,
                # Only symptom scores with plain labels go in the patient's summary.
                "plain": bool(spec.banded_items),
                "items": items,
            }
        )
    return rows


def _dose(row: Any, *, plain: bool) -> str:
    parts = []
    if row.dose_amount is not None:
        unit = PLAIN_UNITS.get(row.dose_unit, row.dose_unit) if plain else row.dose_unit
        parts.append(f"{_number(row.dose_amount)} {unit}".strip())
    if row.doses_per_day is not None:
        times = _number(row.doses_per_day)
        parts.append(
            ("once a day" if times == "1" else f"{times} times a day")
            if plain
            else f"{times} times daily"
        )
    if row.as_needed:
        parts.append("when needed" if plain else "as needed")
    if row.route and not plain:
        parts.append(row.route)
    return ", ".join(parts)


def _medication_changes(patient: Any, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Medicines started, stopped or changed since `since`, as the list stands at signing.

    Started: added since. Stopped: stopped on a day since (and added before). Changed: on
    the list before and its dose now differs from the dose its history shows at `since`."""
    from pallio.medications.models import MedicationStatement

    zone = ZoneInfo(patient.program.timezone)
    since_day = since.astimezone(zone).date()
    statements = list(
        MedicationStatement.objects.filter(patient_id=patient.pk)
        .exclude(status=MedicationStatement.Status.ENTERED_IN_ERROR)
        .filter(
            Q(created_at__gt=since)
            | Q(created_at__lte=since, stopped_on__gte=since_day)
            | Q(created_at__lte=since, status=MedicationStatement.Status.ACTIVE)
        )
        .filter(created_at__lte=until)
    )
    older = [s.pk for s in statements if s.created_at <= since]
    at_since: dict[Any, Any] = {}
    history = MedicationStatement.history.model
    for row in history.objects.filter(id__in=older, history_date__lte=since).order_by(
        "history_date", "history_id"
    ):
        at_since[row.id] = row  # the last one read is the state at `since`
    changes = []
    for statement in statements:
        entry: dict[str, Any] = {"name": statement.display, "is_opioid": statement.is_opioid}
        active = statement.status == MedicationStatement.Status.ACTIVE
        if statement.created_at > since:
            if not active:
                continue  # started and stopped in between: nothing to tell
            entry.update(
                change="started",
                detail=_dose(statement, plain=False),
                plain_detail=_dose(statement, plain=True),
            )
        elif not active:
            entry.update(change="stopped", detail="", plain_detail="")
        else:
            before = at_since.get(statement.pk)
            if before is None:
                continue
            was, now = _dose(before, plain=False), _dose(statement, plain=False)
            if was == now:
                continue
            entry.update(
                change="changed",
                detail=f"{now} (was {was})",
                plain_detail=f"now {_dose(statement, plain=True)}. Before, it was "
                f"{_dose(before, plain=True)}",
            )
        changes.append(entry)
    order = {"started": 0, "changed": 1, "stopped": 2}
    changes.sort(key=lambda c: (order[c["change"]], c["name"].lower()))
    return changes


def _goals_of_care(patient: Any, until: datetime) -> dict[str, Any] | None:
    from pallio.acp.models import GoalsOfCareConversation

    latest = (
        GoalsOfCareConversation.objects.filter(
            patient_id=patient.pk, status="signed", entered_in_error=False, held_at__lte=until
        )
        .order_by("-held_at")
        .first()
    )
    if latest is None:
        return None
    return {
        "focus": latest.goal_focus,
        "focus_display": latest.get_goal_focus_display(),
        "plain_focus": PLAIN_GOAL_FOCUS.get(latest.goal_focus, ""),
        "goals": latest.goals,
        "held_on": latest.held_at.date().isoformat(),
    }


def _code_status(patient: Any) -> dict[str, Any] | None:
    status = current_code_status(patient)
    if status is None:
        return None
    return {
        "code": status.status,
        "display": status.get_status_display(),
        "plain": PLAIN_CODE_STATUS.get(status.status, ""),
        "effective_date": status.effective_date.isoformat(),
    }


def _plan(visit: Visit, note: VisitNote) -> dict[str, Any]:
    from pallio.careplans.models import CarePlan, Goal, Intervention

    plan = None
    if visit.episode_id:
        plan = CarePlan.objects.filter(episode_id=visit.episode_id).first()
    if plan is None:
        plan = CarePlan.objects.filter(patient_id=visit.patient_id).order_by("-created_at").first()
    goals: list[dict[str, Any]] = []
    interventions: list[dict[str, Any]] = []
    if plan is not None:
        goals = [
            {"target": g.target, "patient_words": g.patient_words}
            for g in Goal.objects.filter(
                plan=plan, entered_in_error=False, status=Goal.Status.ACTIVE
            )
        ]
        interventions = [
            {
                "description": i.description,
                "discipline": i.discipline,
                "discipline_display": i.get_discipline_display(),
            }
            for i in Intervention.objects.filter(
                plan=plan, entered_in_error=False, status=Intervention.Status.ACTIVE
            )
        ]
    changes = [
        str(change.get("summary", ""))
        for change in (note.plan_changes or [])
        if isinstance(change, dict) and change.get("summary")
    ]
    return {"goals": goals, "interventions": interventions, "changes": changes}


def _next_visit(visit: Visit, now: datetime) -> dict[str, Any] | None:
    upcoming = (
        Visit.objects.filter(
            patient_id=visit.patient_id,
            entered_in_error=False,
            started_at__gt=max(visit.started_at, now),
        )
        .select_related("clinician")
        .order_by("started_at")
        .first()
    )
    if upcoming is None:
        return None
    return {
        "at": upcoming.started_at.isoformat(),
        "mode": upcoming.mode,
        "mode_display": upcoming.get_mode_display(),
        "plain_mode": PLAIN_MODE.get(upcoming.mode, ""),
        "clinician": upcoming.clinician.display_name,
        "discipline_display": upcoming.get_discipline_display(),
    }


def _referral_of(visit: Visit) -> Any:
    from pallio.episodes.models import EpisodeOfCare

    episode = visit.episode
    if episode is None:
        episode = (
            EpisodeOfCare.objects.filter(patient_id=visit.patient_id).order_by("-start").first()
        )
    return getattr(episode, "referral", None) if episode is not None else None


def summary_content(note: VisitNote) -> dict[str, Any]:
    """The data both forms of the summary are rendered from (JSON-ready)."""
    visit = note.visit
    patient = note.patient
    program = patient.program
    until = note.cosigned_at or note.signed_at or clock.now()
    previous_visit = (
        Visit.objects.filter(
            patient_id=visit.patient_id, entered_in_error=False, started_at__lt=visit.started_at
        )
        .order_by("-started_at")
        .first()
    )
    if previous_visit is not None:
        since = previous_visit.started_at
    elif visit.episode is not None:
        since = visit.episode.start
    else:
        since = visit.started_at - timedelta(days=1)
    referral = _referral_of(visit)
    return {
        "version": CONTENT_VERSION,
        "patient": {
            "id": str(patient.pk),
            "name": patient.full_name,
            "given_name": patient.given_name,
            "birth_date": patient.birth_date.isoformat(),
            "mrn": patient.mrn,
        },
        "program": {
            "name": program.name,
            "phone": program.phone,
            "email": program.email,
            "timezone": program.timezone,
        },
        "visit": {
            "id": str(visit.pk),
            "at": visit.started_at.isoformat(),
            "discipline": visit.discipline,
            "discipline_display": visit.get_discipline_display(),
            "setting": visit.setting,
            "setting_display": visit.get_setting_display(),
            "mode": visit.mode,
            "mode_display": visit.get_mode_display(),
            "plain_mode": PLAIN_MODE.get(visit.mode, ""),
            "clinician": visit.clinician.display_name,
            "clinician_name": visit.clinician.get_full_name() or visit.clinician.username,
            "reason": visit.reason,
        },
        "note": {
            "id": str(note.pk),
            "signed_by": note.signed_by.display_name if note.signed_by else "",
            "signed_at": note.signed_at.isoformat() if note.signed_at else None,
            "cosigned_by": note.cosigned_by.display_name if note.cosigned_by else "",
        },
        "referrer": {
            "name": getattr(referral, "referrer_name", "") or "",
            "organization": getattr(referral, "referrer_organization", "") or "",
        },
        "primary_care": {"name": patient.primary_care_name},
        "previous_visit_at": previous_visit.started_at.isoformat() if previous_visit else None,
        "symptoms": _symptoms(note),
        "medications": _medication_changes(patient, since, until),
        "goals_of_care": _goals_of_care(patient, until),
        "code_status": _code_status(patient),
        "plan": _plan(visit, note),
        "next_visit": _next_visit(visit, until),
        "call": {"phone": program.phone, "program": program.name},
        "letter": {"intro": letter_text(program, "summary_intro")},
    }


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
