"""The hospice eligibility aid: what the record shows against each criterion (function,
disease-specific signs, admissions, scores), each met, missing or unknown, with its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from pallio.careplans.agenda import hospice_reasons
from pallio.core.codes import DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES, ICD10CM, diagnosis_lookup

# The scores the eligibility aid reads (assessments/instruments): performance (PPS, KPS,
# AKPS), NYHA class, FAST stage, and the prognostic indices the worklist reads.
FUNCTION_KEYS = ("pps", "karnofsky", "akps")
ELIGIBILITY_KEYS = (*FUNCTION_KEYS, "nyha", "fast", "ppi", "pap")
KEY_TITLES = {
    "pps": "PPS",
    "karnofsky": "Karnofsky (KPS)",
    "akps": "AKPS",
    "nyha": "NYHA class",
    "fast": "FAST stage",
    "ppi": "PPI",
    "pap": "PaP",
}

MET = "met"
MISSING = "missing"
UNKNOWN = "unknown"
STATUS_LABELS = {MET: "Met", MISSING: "Missing", UNKNOWN: "Unknown"}

# Disease groups of the LCD's disease-specific criteria, from the diagnosis groups Pallio
# already codes (core/codes.py, CLINICAL.md section 7).
DISEASE_GROUPS: dict[str, str] = {
    "cancer": "cancer",
    "heart_failure": "heart",
    "copd": "pulmonary",
    "lung_disease": "pulmonary",
    "dementia": "dementia",
    "liver": "liver",
    "kidney": "renal",
    "stroke": "stroke",
    "als": "als",
}
GROUP_TITLES = {
    "general": "Decline in clinical status (any diagnosis)",
    "cancer": "Cancer",
    "heart": "Heart disease",
    "pulmonary": "Pulmonary disease",
    "dementia": "Dementia",
    "liver": "Liver disease",
    "renal": "Renal disease",
    "stroke": "Stroke",
    "als": "ALS",
}
METASTATIC_PREFIXES = ("C77", "C78", "C79")  # secondary malignant neoplasm (CLINICAL.md 7)
NOT_STRUCTURED = "Not recorded as structured data in Pallio; read the notes."
NO_LABS = "Laboratory results are not recorded in Pallio."


# --- reading the record ---------------------------------------------------------------------


def hospital_stays_of(patient_id: Any, *, since: date) -> list[Any]:
    """The patient's hospital stays and emergency visits (episodes.HospitalStay) admitted on
    or after `since`, newest first, each with `admitted_on`, the day of admission in the
    program's time zone. The one place this module reads hospital stays."""
    from pallio.episodes.models import HospitalStay

    stays = list(
        HospitalStay.objects.filter(
            patient_id=patient_id, entered_in_error=False, admitted_at__date__gte=since
        )
        .select_related("program")
        .order_by("-admitted_at")
    )
    for stay in stays:
        stay.admitted_on = stay.admitted_at.astimezone(ZoneInfo(stay.program.timezone)).date()  # type: ignore[attr-defined]
    return stays


def _emergency_visits_of(patient_id: Any, *, since: datetime) -> list[Any]:
    from pallio.visits.models import Setting, Visit

    return list(
        Visit.objects.filter(
            patient_id=patient_id,
            entered_in_error=False,
            setting=Setting.EMERGENCY,
            started_at__gte=since,
        )
        .order_by("-started_at")
        .only("pk", "started_at", "setting")
    )


def latest_reports(patient_id: Any, keys: tuple[str, ...], *, per_key: int) -> dict[str, list[Any]]:
    """The newest `per_key` scored reports of each instrument in `keys`, newest first: one
    query whatever the size of the record."""
    from pallio.assessments.models import SymptomReport

    rows = (
        SymptomReport.objects.filter(
            patient_id=patient_id,
            instrument_key__in=keys,
            entered_in_error=False,
            primary_score__isnull=False,
        )
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("instrument_key")],
                order_by=[F("answered_at").desc(), F("id").desc()],
            )
        )
        .filter(newest__lte=per_key)
        .select_related("instrument")
        .order_by("instrument_key", "newest")
    )
    found: dict[str, list[Any]] = {key: [] for key in keys}
    for row in rows:
        found[row.instrument_key].append(row)
    return found


# --- the eligibility aid --------------------------------------------------------------------


@dataclass
class Criterion:
    """One criterion of the LCD, what the record says of it, and where that was read."""

    group: str
    text: str
    status: str
    finding: str
    source: str = ""
    when: date | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Eligibility:
    groups: list[tuple[str, list[Criterion]]]
    prognosis_flags: list[str]
    diagnoses: list[Any]
    counts: dict[str, int] = field(default_factory=dict)


def _day(value: datetime | date | None, zone: ZoneInfo) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(zone).date()
    return value


def _score_text(key: str, report: Any) -> str:
    value = report.primary_score
    if key == "nyha":
        return ("I", "II", "III", "IV")[int(value) - 1] if 1 <= value <= 4 else f"{value:g}"
    if key == "fast":
        return str(report.answers.get("fast", f"{value:g}"))
    if key in FUNCTION_KEYS:
        return f"{value:g}%"
    return f"{value:g}"


def _report_source(key: str, report: Any) -> str:
    return f"{KEY_TITLES[key]} report"


def _disease_groups(conditions: list[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for condition in conditions:
        found = None
        if condition.system == ICD10CM:
            for name, prefixes in DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES.items():
                if any(condition.code.upper().startswith(p) for p in prefixes):
                    found = name
                    break
        else:
            known = diagnosis_lookup(condition.system, condition.code)
            found = known.group if known else None
        group = DISEASE_GROUPS.get(found or "")
        if group:
            groups.setdefault(group, []).append(condition)
    return groups


def _function_criteria(reports: dict[str, list[Any]], zone: ZoneInfo) -> list[Criterion]:
    """Baseline KPS or PPS below 70%, and whether it is falling (the newest performance
    score of PPS, KPS or AKPS, against the one before it of the same scale)."""
    newest = [(key, rows) for key, rows in reports.items() if key in FUNCTION_KEYS and rows]
    newest.sort(key=lambda kr: kr[1][0].answered_at, reverse=True)
    if not newest:
        return [
            Criterion("general", "KPS or PPS below 70%", UNKNOWN, "No PPS or KPS recorded."),
            Criterion("general", "KPS or PPS falling", UNKNOWN, "No PPS or KPS recorded."),
        ]
    key, rows = newest[0]
    latest = rows[0]
    when = _day(latest.answered_at, zone)
    below = latest.primary_score < 70
    found = [
        Criterion(
            "general",
            "KPS or PPS below 70%",
            MET if below else MISSING,
            f"{KEY_TITLES[key]} {_score_text(key, latest)}",
            _report_source(key, latest),
            when,
        )
    ]
    if len(rows) < 2:
        found.append(
            Criterion(
                "general",
                "KPS or PPS falling",
                UNKNOWN,
                f"One {KEY_TITLES[key]} recorded; a trend needs two.",
                _report_source(key, latest),
                when,
            )
        )
    else:
        before = rows[1]
        falling = latest.primary_score < before.primary_score
        found.append(
            Criterion(
                "general",
                "KPS or PPS falling",
                MET if falling else MISSING,
                f"{KEY_TITLES[key]} {_score_text(key, latest)}, "
                f"was {_score_text(key, before)} on {_day(before.answered_at, zone)}",
                _report_source(key, latest),
                when,
            )
        )
    return found


def _admission_criterion(
    program: Any, stays: list[Any], emergency: list[Any], zone: ZoneInfo
) -> Criterion:
    months = int(program.setting("hospice_admissions_months"))
    at_least = int(program.setting("hospice_admissions_at_least"))
    events = [(s.admitted_on, f"Hospital stay at {s.facility}") for s in stays] + [
        (_day(v.started_at, zone), "Emergency department visit") for v in emergency
    ]
    events.sort(key=lambda e: e[0] or date.min, reverse=True)
    text = f"{at_least} or more hospital admissions or emergency visits in {months} months"
    if not events:
        return Criterion("general", text, MISSING, "None recorded.", "Hospital stays and visits")
    newest_day, newest_what = events[0]
    count = len(events)
    return Criterion(
        "general",
        text,
        MET if count >= at_least else MISSING,
        f"{count} recorded",
        f"{newest_what} (latest)",
        newest_day,
    )


def _score_criterion(
    group: str,
    text: str,
    key: str,
    reports: dict[str, list[Any]],
    zone: ZoneInfo,
    passes: Any,
) -> Criterion:
    rows = reports.get(key) or []
    if not rows:
        return Criterion(group, text, UNKNOWN, f"No {KEY_TITLES[key]} recorded.")
    latest = rows[0]
    return Criterion(
        group,
        text,
        MET if passes(latest.primary_score) else MISSING,
        f"{KEY_TITLES[key]} {_score_text(key, latest)}",
        _report_source(key, latest),
        _day(latest.answered_at, zone),
    )


def _condition_source(condition: Any) -> str:
    return f"Diagnosis {condition.code} {condition.display}"[:200]


def _disease_criteria(
    group: str, conditions: list[Any], reports: dict[str, list[Any]], zone: ZoneInfo
) -> list[Criterion]:
    first = conditions[0]
    if group == "cancer":
        metastatic = [
            c
            for c in conditions
            if c.advanced
            or (c.system == ICD10CM and c.code.upper().startswith(METASTATIC_PREFIXES))
        ]
        shown = metastatic[0] if metastatic else first
        return [
            Criterion(
                group,
                "Metastatic at presentation, or progressed to metastatic disease",
                MET if metastatic else MISSING,
                "Advanced or metastatic disease recorded"
                if metastatic
                else "No metastatic disease recorded",
                _condition_source(shown),
                shown.onset_date,
            ),
            Criterion(
                group, "Decline despite therapy, or therapy declined", UNKNOWN, NOT_STRUCTURED
            ),
        ]
    if group == "heart":
        return [
            _score_criterion(group, "NYHA class IV", "nyha", reports, zone, lambda v: v >= 4),
            Criterion(group, "Optimally treated, or declines treatment", UNKNOWN, NOT_STRUCTURED),
            Criterion(group, "Ejection fraction 20% or less (supporting)", UNKNOWN, NO_LABS),
        ]
    if group == "pulmonary":
        return [
            Criterion(group, "Disabling dyspnea at rest (FEV1 below 30%)", UNKNOWN, NOT_STRUCTURED),
            Criterion(group, "Progression of the disease", UNKNOWN, NOT_STRUCTURED),
            Criterion(
                group,
                "Resting pO2 55 mmHg or less, SpO2 88% or less, or pCO2 50 or more",
                UNKNOWN,
                NO_LABS,
            ),
        ]
    if group == "dementia":
        return [
            _score_criterion(
                group, "FAST stage 7 or beyond", "fast", reports, zone, lambda v: v >= 7
            ),
            Criterion(
                group,
                "A complication in the last 12 months (aspiration pneumonia, pyelonephritis, "
                "septicemia, stage 3-4 ulcers, recurrent fever, weight loss over 10% or "
                "albumin below 2.5)",
                UNKNOWN,
                NOT_STRUCTURED,
            ),
        ]
    if group == "liver":
        return [
            Criterion(group, "INR above 1.5 and albumin below 2.5", UNKNOWN, NO_LABS),
            Criterion(group, "A complication of liver disease", UNKNOWN, NOT_STRUCTURED),
        ]
    if group == "renal":
        return [
            Criterion(group, "Stopping or not starting dialysis", UNKNOWN, NOT_STRUCTURED),
            Criterion(
                group,
                "Creatinine clearance below 10 (15 if diabetic) or creatinine above 8 "
                "(6 if diabetic)",
                UNKNOWN,
                NO_LABS,
            ),
        ]
    if group == "stroke":
        return [
            _score_criterion(group, "PPS 40% or less", "pps", reports, zone, lambda v: v <= 40),
            Criterion(group, "Poor nutritional intake", UNKNOWN, NOT_STRUCTURED),
        ]
    return [
        Criterion(
            group,
            "Breathing or nutrition criteria, with rapid progression",
            UNKNOWN,
            NOT_STRUCTURED,
        )
    ]


def hospice_eligibility(patient: Any, *, today: date) -> Eligibility:
    """What the record says of each Medicare hospice criterion for `patient` (already
    access-checked). Four queries whatever the size of the record."""
    zone = ZoneInfo(patient.program.timezone)
    program = patient.program
    conditions = list(
        patient.conditions.filter(entered_in_error=False).order_by("-is_primary", "display")
    )
    reports = latest_reports(patient.pk, ELIGIBILITY_KEYS, per_key=2)
    months = int(program.setting("hospice_admissions_months"))
    since = today - timedelta(days=round(months * 30.44))
    stays = hospital_stays_of(patient.pk, since=since)
    emergency = _emergency_visits_of(
        patient.pk, since=datetime.combine(since, time(0), tzinfo=zone)
    )

    general = [
        *_function_criteria(reports, zone),
        Criterion(
            "general",
            "Dependence in 2 or more activities of daily living",
            UNKNOWN,
            NOT_STRUCTURED,
        ),
        _admission_criterion(program, stays, emergency, zone),
        Criterion(
            "general",
            "Weight loss over 10% in 6 months",
            UNKNOWN,
            "Weight is not recorded in Pallio.",
        ),
        Criterion(
            "general",
            "Other decline: recurrent infections, dysphagia with aspiration, intractable "
            "symptoms, systolic blood pressure below 90",
            UNKNOWN,
            NOT_STRUCTURED,
        ),
    ]
    groups: list[tuple[str, list[Criterion]]] = [(GROUP_TITLES["general"], general)]
    for group, found in _disease_groups(conditions).items():
        groups.append((GROUP_TITLES[group], _disease_criteria(group, found, reports, zone)))

    # The prognosis flags, by the team meeting's rule and the program's thresholds.
    row = _ScoreRow(reports)
    return Eligibility(
        groups=groups,
        prognosis_flags=hospice_reasons(row, program, zone),
        diagnoses=conditions,
        counts={"stays": len(stays), "emergency": len(emergency)},
    )


class _ScoreRow:
    """The latest prognostic scores as the team meeting's rule reads them from a row."""

    def __init__(self, reports: dict[str, list[Any]]) -> None:
        for key in ("ppi", "pap", "fast", "pps"):
            newest = (reports.get(key) or [None])[0]
            setattr(self, f"{key}_score", newest.primary_score if newest else None)
            setattr(self, f"{key}_at", newest.answered_at if newest else None)
        pap = (reports.get("pap") or [None])[0]
        self.pap_scores = pap.scores if pap else None
        earlier = [r for r in (reports.get("pps") or [])[1:] if r.primary_score is not None]
        self.pps_before = earlier[0].primary_score if earlier else None
