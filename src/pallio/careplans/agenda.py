"""The weekly team meeting's agenda, built from the record (issue 9, requirement 3).

A patient is on a team's agenda when one of the team's members is on their care team and
something in the record calls for the team's attention since the team last met (or in the
week before, for a first meeting): a new admission, an open alert, a phase of care that is
unstable or deteriorating, a hospital or emergency department visit, a death, a care plan
due for review, an overdue task, or scores that make the patient a hospice candidate
(CLINICAL.md sections 2 and 5; the thresholds are program settings).

Building costs a fixed number of queries whatever the size of the team: one for the
patients with their latest phase, plan review date and prognostic scores, then one per kind
of event (alerts, hospital stays, hospital and emergency visits, overdue tasks).

The assessments, acp and visits apps write tasks through careplans.services; their tables
are read here by name (``apps.get_model``) so that the import arrows keep pointing one way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import Exists, FloatField, JSONField, OuterRef, Q, QuerySet, Subquery

from pallio.careplans.models import CarePlan, IdtMeeting, IdtTeam, Task
from pallio.core import clock
from pallio.core.words import day_text

# What puts a patient on the agenda, in the order the meeting takes them.
REASONS: dict[str, str] = {
    "death": "Died",
    "hospital_visit": "Hospital or emergency visit",
    "open_alert": "Open alert",
    "phase": "Phase of care",
    "hospice_candidate": "Possible hospice candidate",
    "new_admission": "New admission",
    "plan_review_due": "Care plan due for review",
    "overdue_task": "Overdue task",
}
REASON_ORDER = {code: n for n, code in enumerate(REASONS)}
PHASES_TO_DISCUSS = ("unstable", "deteriorating")
HOSPITAL_SETTINGS = ("hospital", "emergency")
# The prognostic instruments the hospice candidate reason reads (assessments/instruments):
# their key and the scale each stores as the report's primary score.
HOSPICE_INSTRUMENTS = ("ppi", "pap", "fast", "pps")
PAP_GROUPS = ("A", "B", "C")


@dataclass
class Candidate:
    """One patient of the team with every reason found, in plain words."""

    patient: Any
    episode: Any
    reasons: list[dict[str, str]] = field(default_factory=list)

    def add(self, code: str, detail: str) -> None:
        self.reasons.append({"code": code, "detail": detail})


def reason_label(code: str) -> str:
    return REASONS.get(code, "Other")


def agenda_since(meeting: IdtMeeting) -> datetime:
    """The start of the period the agenda covers: the team's previous meeting, or a week
    before this one when there is none."""
    previous = (
        IdtMeeting.objects.filter(team_id=meeting.team_id, scheduled_for__lt=meeting.scheduled_for)
        .exclude(pk=meeting.pk)
        .order_by("-scheduled_for")
        .values_list("scheduled_for", flat=True)
        .first()
    )
    return previous or meeting.scheduled_for - timedelta(days=7)


def _day(value: datetime | date | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return day_text(value)


def _number(value: float) -> str:
    return f"{value:g}"


def _latest_report(key: str) -> QuerySet[Any]:
    report = apps.get_model("assessments", "SymptomReport")
    return report.objects.filter(
        patient_id=OuterRef("patient_id"),
        instrument_key=key,
        entered_in_error=False,
        primary_score__isnull=False,
    ).order_by("-answered_at", "-pk")


def _episodes(meeting: IdtMeeting, since: datetime) -> QuerySet[Any]:
    """The team's patients: an active episode with a team member on the care team, or an
    episode of a patient who died in the period (its care team may have been closed)."""
    episode_model = apps.get_model("episodes", "EpisodeOfCare")
    member_model = apps.get_model("episodes", "CareTeamMember")
    phase_model = apps.get_model("assessments", "PhaseOfCare")
    team_users = _team_user_ids(meeting)
    on_team = member_model.objects.filter(episode_id=OuterRef("pk"), user_id__in=team_users)
    latest_phase = phase_model.objects.filter(patient_id=OuterRef("patient_id")).order_by(
        "-recorded_at"
    )
    annotations: dict[str, Any] = {
        "phase_now": Subquery(latest_phase.values("phase")[:1]),
        "phase_since": Subquery(latest_phase.values("phase_started_at")[:1]),
        "plan_review_due": Subquery(
            CarePlan.objects.filter(episode_id=OuterRef("pk")).values("review_due")[:1]
        ),
    }
    annotations.update(hospice_score_annotations())
    active = Q(status="active") & Exists(on_team.filter(active=True))
    died = (
        Q(patient__deceased_at__gte=since)
        & Exists(on_team)
        & (Q(status="active") | Q(end__gte=since))
    )
    return (
        episode_model.objects.filter(program_id=meeting.program_id, patient__entered_in_error=False)
        .filter(active | died)
        .select_related("patient")
        .annotate(**annotations)
        .order_by("patient__family_name", "patient__given_name", "patient_id", "-start")
    )


def hospice_score_annotations() -> dict[str, Any]:
    """Subqueries for the latest prognostic scores of a row's patient (a queryset of a model
    with a ``patient_id``): ``<key>_score``, ``<key>_at`` for each of HOSPICE_INSTRUMENTS and
    ``pap_scores`` and ``pps_before`` (the PPS before the newest); read by
    ``hospice_reasons``. No query of their own."""
    annotations: dict[str, Any] = {}
    for key in HOSPICE_INSTRUMENTS:
        latest = _latest_report(key)
        annotations[f"{key}_score"] = Subquery(
            latest.values("primary_score")[:1], output_field=FloatField()
        )
        annotations[f"{key}_at"] = Subquery(latest.values("answered_at")[:1])
    annotations["pap_scores"] = Subquery(
        _latest_report("pap").values("scores")[:1], output_field=JSONField()
    )
    # The PPS before the newest one: "PPS 40% or less and falling" compares the two.
    annotations["pps_before"] = Subquery(
        _latest_report("pps").values("primary_score")[1:2], output_field=FloatField()
    )
    return annotations


def _team_user_ids(meeting: IdtMeeting) -> QuerySet[Any]:
    """The ids of the team's members, as a subquery (no query of its own)."""
    through = IdtTeam.members.through
    return through.objects.filter(idtteam_id=meeting.team_id).values("user_id")


def _pap_group(scores: Any) -> str | None:
    """The PaP group letter from the band the report was scored in ("Group C: ...")."""
    if isinstance(scores, str):
        try:
            scores = json.loads(scores)
        except ValueError:
            return None
    if not isinstance(scores, dict):
        return None
    label = str((scores.get("bands") or {}).get("total", ""))
    if label.startswith("Group "):
        letter = label.removeprefix("Group ")[:1].upper()
        return letter if letter in PAP_GROUPS else None
    return None


def _hospice_reasons(candidate: Candidate, row: Any, program: Any, zone: ZoneInfo) -> None:
    for detail in hospice_reasons(row, program, zone):
        candidate.add("hospice_candidate", detail)


def hospice_reasons(row: Any, program: Any, zone: ZoneInfo) -> list[str]:
    """Why a row annotated by ``hospice_score_annotations`` makes the patient a possible
    hospice candidate, in plain words, by the program's thresholds (empty when none)."""
    found: list[str] = []
    ppi_above = float(program.setting("idt_hospice_ppi_above"))
    pap_group = str(program.setting("idt_hospice_pap_group")).upper()
    fast_at_least = float(program.setting("idt_hospice_fast_at_least"))
    pps_at_most = float(program.setting("idt_hospice_pps_at_most"))
    if row.ppi_score is not None and row.ppi_score > ppi_above:
        found.append(
            f"PPI {_number(row.ppi_score)} on {_day(row.ppi_at, zone)} "
            f"(above {_number(ppi_above)})",
        )
    group = _pap_group(row.pap_scores) if row.pap_score is not None else None
    if group and pap_group in PAP_GROUPS and group >= pap_group:
        found.append(
            f"PaP group {group} (score {_number(row.pap_score)}) on {_day(row.pap_at, zone)}",
        )
    if row.fast_score is not None and row.fast_score >= fast_at_least:
        found.append(
            f"FAST stage {_fast_stage(row.fast_score)} on {_day(row.fast_at, zone)} "
            f"({_number(fast_at_least)} or beyond)",
        )
    if row.pps_score is not None and row.pps_score <= pps_at_most:
        before = getattr(row, "pps_before", None)
        if not program.setting("idt_hospice_pps_must_fall"):
            found.append(
                f"PPS {_number(row.pps_score)}% on {_day(row.pps_at, zone)} "
                f"({_number(pps_at_most)}% or less)",
            )
        elif before is not None and row.pps_score < before:
            found.append(
                f"PPS {_number(row.pps_score)}% on {_day(row.pps_at, zone)}, down from "
                f"{_number(before)}% ({_number(pps_at_most)}% or less and falling)",
            )
    return found


def _fast_stage(score: float) -> str:
    """FAST scores 6a-6e as 6.1-6.5 and 7a-7f as 7.1-7.6 (assessments/instruments/fast.json)."""
    whole = int(score)
    sub = round((score - whole) * 10)
    return f"{whole}{'abcdef'[sub - 1]}" if 1 <= sub <= 6 else str(whole)


def agenda_candidates(meeting: IdtMeeting, *, since: datetime) -> list[Candidate]:
    """Every patient of the team with a reason to be discussed, with their reasons, in the
    order the meeting takes them (deaths and hospital visits first, then by name)."""
    program = meeting.program
    zone = ZoneInfo(program.timezone)
    meeting_day = meeting.scheduled_for.astimezone(zone).date()
    today = clock.today_in(program.timezone)
    since_day = since.astimezone(zone).date()

    rows = list(_episodes(meeting, since))
    by_patient: dict[Any, Candidate] = {}
    for row in rows:
        if row.patient_id in by_patient:
            continue  # the newest episode of a patient speaks for them
        candidate = Candidate(patient=row.patient, episode=row)
        by_patient[row.patient_id] = candidate
        patient = row.patient
        if patient.deceased_at is not None and patient.deceased_at >= since:
            candidate.add("death", f"Died {_day(patient.deceased_at, zone)}")
            continue  # the other reasons no longer call for the team's action
        if row.start >= since:
            candidate.add("new_admission", f"Admitted to the program {_day(row.start, zone)}")
        if row.phase_now in PHASES_TO_DISCUSS:
            label = "Unstable" if row.phase_now == "unstable" else "Deteriorating"
            candidate.add("phase", f"{label} since {_day(row.phase_since, zone)}")
        if row.plan_review_due is not None and row.plan_review_due <= meeting_day:
            candidate.add(
                "plan_review_due", f"Care plan review due {_day(row.plan_review_due, zone)}"
            )
        _hospice_reasons(candidate, row, program, zone)

    living = [
        pid for pid, c in by_patient.items() if not any(r["code"] == "death" for r in c.reasons)
    ]
    if living:
        _event_reasons(by_patient, living, since=since, since_day=since_day, today=today, zone=zone)

    found = [c for c in by_patient.values() if c.reasons]
    for candidate in found:
        candidate.reasons.sort(key=lambda r: REASON_ORDER.get(r["code"], len(REASONS)))
    found.sort(
        key=lambda c: (
            REASON_ORDER.get(c.reasons[0]["code"], len(REASONS)),
            c.patient.family_name.lower(),
            c.patient.given_name.lower(),
            str(c.patient.pk),
        )
    )
    return found


def _event_reasons(
    by_patient: dict[Any, Candidate],
    patient_ids: list[Any],
    *,
    since: datetime,
    since_day: date,
    today: date,
    zone: ZoneInfo,
) -> None:
    """Open alerts, hospital stays and visits since, and overdue tasks: one query each."""
    alert_model = apps.get_model("assessments", "Alert")
    stay_model = apps.get_model("episodes", "HospitalStay")
    visit_model = apps.get_model("visits", "Visit")

    for alert in (
        alert_model.objects.filter(patient_id__in=patient_ids)
        .exclude(status="resolved")
        .order_by("raised_at")
        .only("patient_id", "title", "detail", "raised_at")
    ):
        what = f"{alert.title}: {alert.detail}" if alert.detail else alert.title
        by_patient[alert.patient_id].add(
            "open_alert", f"{what[:300]} (raised {_day(alert.raised_at, zone)})"
        )
    for stay in stay_model.objects.filter(
        patient_id__in=patient_ids, entered_in_error=False, admitted_at__gte=since
    ).order_by("admitted_at"):
        arrived = "Admitted to"
        if stay.kind == "emergency":
            arrived = "Seen in the emergency department of"
        detail = f"{arrived} {stay.facility} {_day(stay.admitted_at, zone)}"
        if stay.discharged_at:
            detail += f", left {_day(stay.discharged_at, zone)}"
        if stay.is_readmission:
            detail += " (readmission within 30 days)"
        if stay.reason:
            detail += f": {stay.reason}"
        by_patient[stay.patient_id].add("hospital_visit", detail)
    for visit in visit_model.objects.filter(
        patient_id__in=patient_ids,
        entered_in_error=False,
        setting__in=HOSPITAL_SETTINGS,
        started_at__gte=since,
    ).order_by("started_at"):
        where = "the emergency department" if visit.setting == "emergency" else "hospital"
        by_patient[visit.patient_id].add(
            "hospital_visit", f"Seen in {where} {_day(visit.started_at, zone)}"
        )
    overdue: dict[Any, list[Any]] = defaultdict(list)
    for task in (
        Task.objects.filter(patient_id__in=patient_ids, status=Task.Status.OPEN, due__lt=today)
        .order_by("due", "title")
        .only("patient_id", "title", "due")
    ):
        overdue[task.patient_id].append(task)
    for patient_id, tasks in overdue.items():
        names = "; ".join(f"{t.title} (due {day_text(t.due)})" for t in tasks[:3])
        more = f"; and {len(tasks) - 3} more" if len(tasks) > 3 else ""
        count = "1 overdue task" if len(tasks) == 1 else f"{len(tasks)} overdue tasks"
        by_patient[patient_id].add("overdue_task", f"{count}: {names}{more}")
