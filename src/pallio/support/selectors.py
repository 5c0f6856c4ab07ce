"""Reads of the support line that other parts of Pallio use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pallio.core import clock
from pallio.support.models import Line, Shift


def on_call_now(*, program: Any, line: str = Line.FIRST, at: datetime | None = None) -> Any:
    """The person covering ``line`` for the program at ``at`` (now by default), or None."""
    when = at or clock.now()
    shift = (
        Shift.objects.filter(
            program=program, line=line, cancelled=False, starts_at__lte=when, ends_at__gt=when
        )
        .select_related("user")
        .order_by("-starts_at")
        .first()
    )
    return shift.user if shift is not None else None


# --- calls -----------------------------------------------------------------------------------

OPEN_CALLS_LIMIT = 50
RECENT_CALLS_LIMIT = 25


def _call_scope(user: Any) -> Any:
    """The calls `user` may see: their program's, about a patient they reach (or about no
    patient)."""
    from django.db.models import Q

    from pallio.core import access
    from pallio.support.models import Call

    if not access.has_perm(user, "support.calls"):
        return Call.objects.none()
    return Call.objects.filter(program_id=user.program_id, entered_in_error=False).filter(
        Q(patient__isnull=True) | Q(patient__in=access.visible_patients(user).values("pk"))
    )


def call_get_for(user: Any, call_id: Any, *, audit: bool = True) -> Any:
    """The call, if `user` may see it; Http404 for missing and forbidden alike. The read of a
    call about a patient is audited."""
    import uuid

    from django.http import Http404

    from pallio.audit.services import audit_read

    try:
        cid = call_id if isinstance(call_id, uuid.UUID) else uuid.UUID(str(call_id))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such call") from None
    call = (
        _call_scope(user)
        .select_related("patient__program", "program", "taken_by", "symptom_report")
        .filter(pk=cid)
        .first()
    )
    if call is None:
        raise Http404("No such call")
    if audit and call.patient is not None:
        audit_read(actor=user, patient=call.patient, target=call, event="call.read")
    return call


def on_call_screen_for(user: Any) -> dict[str, Any]:
    """The on-call screen: open calls newest first (red-flag calls marked), and the calls
    closed in the last day. A fixed number of queries; the patients listed are audited as
    one read each."""
    from datetime import timedelta

    from pallio.audit.models import Action
    from pallio.audit.services import audit_record
    from pallio.support.models import Call

    scope = _call_scope(user).select_related("patient", "taken_by")
    open_calls = list(
        scope.filter(status=Call.Status.OPEN).order_by("-received_at")[:OPEN_CALLS_LIMIT]
    )
    since = clock.now() - timedelta(hours=24)
    closed = list(
        scope.filter(status=Call.Status.CLOSED, received_at__gte=since).order_by("-received_at")[
            :RECENT_CALLS_LIMIT
        ]
    )
    listed = [c for c in [*open_calls, *closed] if c.patient_id]
    if listed:
        audit_record(
            actor=user,
            action=Action.READ,
            event="call.list",
            program=user.program,
            detail={"calls": [str(c.pk) for c in listed]},
        )
    return {
        "open_calls": open_calls,
        "red_flag_count": sum(1 for c in open_calls if c.red_flag),
        "open_limit": OPEN_CALLS_LIMIT,
        "closed_calls": closed,
    }


def call_chart_facts(patient: Any) -> dict[str, Any]:
    """The chart's key facts for the call screen (patient already access-checked): code
    status and portable order, goals of care, agent, allergies,
    current medications with MME and the as-needed ones, last symptom scores, phase, and the
    enrollment with the hospice status (read with the enrollment, in the same query). A fixed
    number of queries."""
    from pallio.acp.models import (
        CodeStatus,
        GoalsOfCareConversation,
        HealthcareAgent,
        PortableOrder,
    )
    from pallio.assessments.models import PhaseOfCare, SymptomReport
    from pallio.episodes import hospice
    from pallio.episodes.models import EpisodeOfCare
    from pallio.medications import mme
    from pallio.medications.allergies import allergies_for
    from pallio.medications.models import MedicationStatement

    code_status = (
        CodeStatus.objects.filter(patient_id=patient.pk, entered_in_error=False)
        .order_by("-created_at", "-id")
        .first()
    )
    order = (
        PortableOrder.objects.filter(
            patient_id=patient.pk, entered_in_error=False, superseded_by__isnull=True
        )
        .order_by("-version_number")
        .first()
    )
    goals = (
        GoalsOfCareConversation.objects.filter(
            patient_id=patient.pk, status="signed", entered_in_error=False
        )
        .order_by("-held_at")
        .first()
    )
    agent = (
        HealthcareAgent.objects.filter(patient_id=patient.pk, entered_in_error=False)
        .order_by("rank")
        .first()
    )
    medications = list(
        MedicationStatement.objects.filter(
            patient_id=patient.pk, status=MedicationStatement.Status.ACTIVE
        ).order_by("-is_opioid", "display")
    )
    esas = (
        SymptomReport.objects.filter(
            patient_id=patient.pk, instrument_key="esas-r", entered_in_error=False
        )
        .order_by("-answered_at")
        .first()
    )
    phase = PhaseOfCare.objects.filter(patient_id=patient.pk).order_by("-recorded_at").first()
    episode: Any = (
        EpisodeOfCare.objects.filter(patient_id=patient.pk)
        .annotate(**hospice.hospice_status_annotations())
        .order_by("-start")
        .first()
    )
    esas_rows = []
    if esas is not None:
        values = (esas.scores or {}).get("item_values", {})
        bands = (esas.scores or {}).get("item_bands", {})
        for item, label in ESAS_LABELS:
            if item in values:
                esas_rows.append((label, values[item], bands.get(item, "")))
    return {
        "code_status": code_status,
        "portable_order": order,
        "goals": goals,
        "agent": agent,
        "allergies": allergies_for(patient),
        "medications": medications,
        "as_needed": [m for m in medications if m.as_needed],
        "mme": mme.mme_summary(medications),
        "esas": esas,
        "esas_rows": esas_rows,
        "phase": phase,
        "episode": episode,
        "hospice_status": hospice.hospice_status_text(
            episode.hospice_status,
            episode.hospice_agency,
            episode.hospice_status_on,
            episode.hospice_referred_on,
        )
        if episode is not None
        else hospice.hospice_status_text(None, None, None, None),
    }


ESAS_LABELS = (
    ("pain", "Pain"),
    ("tiredness", "Tiredness"),
    ("drowsiness", "Drowsiness"),
    ("nausea", "Nausea"),
    ("appetite", "Lack of appetite"),
    ("dyspnea", "Shortness of breath"),
    ("depression", "Depression"),
    ("anxiety", "Anxiety"),
    ("wellbeing", "Wellbeing"),
)
