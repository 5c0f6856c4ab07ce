"""What a visit summary says, in plain words for the patient and family: symptoms,
medication changes, goals of care, code status, the plan and the next visit."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from pallio.acp.selectors import current_code_status
from pallio.assessments import instruments as inst
from pallio.assessments.models import SymptomReport
from pallio.core import clock
from pallio.programs.models import letter_text
from pallio.visits.models import Visit, VisitNote

CONTENT_VERSION = 1

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
