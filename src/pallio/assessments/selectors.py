"""Reads of assessments, reports, alerts and phases: access-checked, audited, bounded (the
alert worklist's are in pallio.assessments.worklist)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import (
    Q,
    QuerySet,
)
from django.http import Http404

from pallio.assessments import instruments as inst
from pallio.assessments.models import (
    Alert,
    Assessment,
    Instrument,
    Phase,
    PhaseOfCare,
    SymptomReport,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock
from pallio.core.compiled_reads import read_compiled
from pallio.core.read_together import Rows, Total, read_together
from pallio.patients.selectors import patient_get_for

TREND_LIMIT = 500
UNSTABLE_BENCHMARK = timedelta(days=3)  # PCOC benchmark 2 (CLINICAL.md section 4)
FUNCTION_KEYS = ("pps", "akps")
SPARKLINE_POINTS = 12
# The ESAS-r chart shows its first few symptoms and hides the rest behind the legend, except
# any symptom scored severe in one of the patient's last few reports: never hidden.
CHART_SHOWN_SERIES = 3
CHART_RECENT_REPORTS = 3
PHASE_HISTORY_LIMIT = 50


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404(f"No such {what}") from None


def instruments_for(program: Any) -> list[Instrument]:
    """The instruments a program can use: shipped ones, and its own (which win on a key)."""
    return _chosen_instruments(_program_instruments(getattr(program, "pk", None)))


def _program_instruments(program_id: Any) -> QuerySet[Instrument]:
    shipped = Q(program__isnull=True)
    return Instrument.objects.filter(Q(program_id=program_id) | shipped, active=True)


def _chosen_instruments(rows: Any) -> list[Instrument]:
    chosen: dict[str, Instrument] = {}
    for row in sorted(rows, key=lambda r: r.program_id is not None):
        chosen[row.key] = row
    return sorted(chosen.values(), key=lambda r: r.title)


def instrument_get_for(user: Any, key: str) -> Instrument:
    for row in instruments_for(user.program):
        if row.key == key:
            return row
    raise Http404("No such instrument")


# --- trends ----------------------------------------------------------------------------------


@dataclass
class PhaseStatus:
    current: PhaseOfCare | None
    history: list[PhaseOfCare]
    unstable_too_long: bool
    unstable_days: int
    allowed_days: float = UNSTABLE_BENCHMARK.days


def phase_status(
    patient: Any,
    *,
    now: datetime | None = None,
    limit: int = PHASE_HISTORY_LIMIT,
    history: list[PhaseOfCare] | None = None,
) -> PhaseStatus:
    """The current phase and its history (read here, or the `history` already read with
    _phase_history); an unstable phase older than the program's `unstable_phase_alert_days`
    (PCOC benchmark 2, default 3) is flagged, as the sweep's alert is raised."""
    now = now or clock.now()
    if history is None:
        history = list(_phase_history(patient)[:limit])
    current = history[0] if history else None
    too_long = False
    days = 0
    allowed = float(patient.program.setting("unstable_phase_alert_days"))
    if current is not None and current.phase == Phase.UNSTABLE:
        age = now - current.phase_started_at
        days = age.days
        too_long = age > timedelta(days=allowed)
    return PhaseStatus(current, history, too_long, days, allowed)


def _phase_history(patient: Any) -> QuerySet[PhaseOfCare]:
    return PhaseOfCare.objects.filter(patient_id=patient.pk).order_by("-recorded_at")


def _chart_date(at: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """A chart point's time in the program's zone: ISO for order, and the date in words as
    the report table shows it ("3 Dec 2026"), so a report late in the evening falls on the
    same day in both."""
    local = at.astimezone(zone)
    return local.isoformat(), f"{local.day} {local:%b %Y}"


def _recently_severe(
    values: list[Any], link_id: str, spec: inst.InstrumentSpec, recent: int
) -> bool:
    answered = [v for v in values if v is not None][-recent:]
    for value in answered:
        band = spec.item_band(link_id, value)
        if band is not None and band.severity == "severe":
            return True
    return False


def _esas_series(
    rows: list[tuple[datetime, dict[str, Any] | None]],
    spec: inst.InstrumentSpec,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """Chart data from (answered_at, item values) pairs, oldest first. Each series says
    whether it is drawn at first (`shown`): the first few, and every one severe lately."""
    items = [i for i in spec.items if i.link_id in spec.banded_items]
    dates = [_chart_date(answered_at, zone) for answered_at, _ in rows]
    series = []
    for index, item in enumerate(items):
        values = [(v or {}).get(item.link_id) for _, v in rows]
        severe = _recently_severe(values, item.link_id, spec, CHART_RECENT_REPORTS)
        series.append(
            {
                "key": item.link_id,
                "label": item.text.split(":")[0],
                "values": values,
                "severe": severe,
                "shown": index < CHART_SHOWN_SERIES or severe,
            }
        )
    return {
        "labels": [iso for iso, _ in dates],
        "dates": [words for _, words in dates],
        "bands": [
            {"low": b.low, "high": b.high, "label": b.label, "severity": b.severity}
            for b in spec.item_bands
        ],
        "series": series,
    }


def patient_trends_for(user: Any, patient_id: Any) -> dict[str, Any]:
    """The trend page: ESAS symptoms over time, function over time, phases, alerts. A fixed
    number of queries, at most TREND_LIMIT reports per instrument."""
    patient = patient_get_for(user, patient_id, event="assessments.trends")

    # Plain tuples, and only the part of each report's scores the charts draw: a trend of
    # hundreds of reports should not build a model instance or decode every score per report.
    def latest(key: str, *fields: str) -> list[Any]:
        rows = list(
            SymptomReport.objects.filter(
                patient=patient, instrument_key=key, entered_in_error=False
            )
            .order_by("-answered_at")
            .values_list(*fields)[:TREND_LIMIT]
        )
        rows.reverse()
        return rows

    esas_rows = latest("esas-r", "answered_at", "scores__item_values")
    function_rows = {key: latest(key, "answered_at", "primary_score") for key in FUNCTION_KEYS}
    # Everything else in one query, compiled once (core.compiled_reads).
    rows = read_compiled(
        "assessments.trends", trends_parts, pk=patient.pk, program_id=patient.program_id
    )
    for row in (*rows["recent"], *rows["alerts"], *rows["phases"], *rows["episode"]):
        row.patient = patient
    esas_instrument = _chosen_instruments(rows["instruments"])
    spec_by_key = {i.key: inst.spec_of(i.questionnaire) for i in esas_instrument}
    esas_spec = spec_by_key.get("esas-r")
    zone = ZoneInfo(patient.program.timezone)
    function_dates = [
        _chart_date(at, zone)
        for at in sorted({at for rows in function_rows.values() for at, _ in rows})
    ]
    function = {
        "labels": [iso for iso, _ in function_dates],
        "dates": [words for _, words in function_dates],
        "series": [
            {
                "key": key,
                "label": spec_by_key[key].title.split(" (")[0] if key in spec_by_key else key,
                "points": [
                    {"x": _chart_date(at, zone)[0], "y": score} for at, score in function_rows[key]
                ],
            }
            for key in FUNCTION_KEYS
        ],
    }
    esas = _esas_series(esas_rows, esas_spec, zone) if esas_spec else None
    return {
        "patient": patient,
        "esas": esas,
        "esas_severe": [s["label"] for s in esas["series"] if s["severe"]] if esas else [],
        "esas_count": len(esas_rows),
        "function": function,
        "recent": rows["recent"],
        "alerts": rows["alerts"],
        "phase": phase_status(patient, history=rows["phases"]),
        "episode": next(iter(rows["episode"]), None),
        "instruments": esas_instrument,
    }


def trends_parts(patient: Any) -> dict[str, Rows | Total]:
    """The trend page's report table, open alerts, phase history, current enrollment and the
    program's instruments: a function of the patient's `pk` and `program_id` alone."""
    from pallio.episodes.models import EpisodeOfCare

    return {
        "recent": Rows(
            SymptomReport.objects.filter(patient_id=patient.pk, entered_in_error=False)
            .select_related("entered_by", "instrument")
            # The table shows neither: each instrument's questionnaire came decoded each row.
            .defer("answers", "scores", "instrument__questionnaire")
            .order_by("-answered_at")[:20]
        ),
        "alerts": Rows(
            Alert.objects.filter(patient_id=patient.pk)
            .exclude(status=Alert.Status.RESOLVED)
            .order_by("due_at")[:20]
        ),
        "phases": Rows(_phase_history(patient)[:PHASE_HISTORY_LIMIT]),
        "episode": Rows(
            EpisodeOfCare.objects.filter(
                patient_id=patient.pk, status=EpisodeOfCare.Status.ACTIVE
            ).order_by("pk")[:1]
        ),
        "instruments": Rows(_program_instruments(patient.program_id)),
    }


def chart_parts(patient: Any) -> dict[str, Rows | Total]:
    """The chart's reads of assessments (header alert count and the 'Assessment and
    symptoms' section), to be read together with its other sections."""
    open_alerts = Alert.objects.filter(patient_id=patient.pk).exclude(status=Alert.Status.RESOLVED)
    return {
        "assessments_reports": Rows(
            SymptomReport.objects.filter(patient_id=patient.pk, entered_in_error=False)
            .select_related("instrument")
            # The section shows each instrument's title and latest score: the answers, the
            # scores and the instrument's questionnaire (kilobytes each) are not read.
            .defer(
                "answers",
                "scores",
                "unanswered",
                "instrument__questionnaire",
                "instrument__citation",
            )
            .order_by("-answered_at")[:30]
        ),
        "assessments_open_alerts": Rows(open_alerts[:10]),
        "assessments_open_alert_count": Total(open_alerts),
        "assessments_phase": Rows(_phase_history(patient)[:1]),
    }


def chart_summary(patient: Any, rows: dict[str, Any] | None = None) -> dict[str, Any]:
    """For the chart's 'Assessment and symptoms' section (patient already access-checked),
    from `rows` read with chart_parts, or read here."""
    rows = rows if rows is not None else read_together(chart_parts(patient))
    latest: dict[str, SymptomReport] = {}
    for report in rows["assessments_reports"]:
        latest.setdefault(report.instrument_key, report)
    return {
        "patient": patient,
        "latest": list(latest.values())[:6],
        "open_alerts": rows["assessments_open_alerts"],
        "phase": phase_status(patient, history=rows["assessments_phase"]),
    }


def open_alert_count(patient: Any) -> int:
    return Alert.objects.filter(patient=patient).exclude(status=Alert.Status.RESOLVED).count()


def symptom_burden_sparklines(patient_ids: list[Any]) -> dict[Any, list[float]]:
    """The last SPARKLINE_POINTS ESAS-r totals of each patient, oldest first, in one query
    (for the caseload list)."""
    if not patient_ids:
        return {}
    since = clock.now() - timedelta(weeks=SPARKLINE_POINTS * 2)
    rows = (
        SymptomReport.objects.filter(
            patient_id__in=patient_ids,
            instrument_key="esas-r",
            entered_in_error=False,
            answered_at__gte=since,
            primary_score__isnull=False,
        )
        .order_by("patient_id", "answered_at")
        .values_list("patient_id", "primary_score")
    )
    result: dict[Any, list[float]] = {}
    for patient_id, value in rows:
        if value is not None:
            result.setdefault(patient_id, []).append(float(value))
    return {pid: values[-SPARKLINE_POINTS:] for pid, values in result.items()}


# --- the comprehensive assessment --------------------------------------------------------------


def assessment_current_for(user: Any, patient: Any) -> tuple[Assessment | None, list[Assessment]]:
    """The open draft (if any) and the signed assessments, newest first."""
    rows = list(
        Assessment.objects.filter(patient=patient)
        .select_related("started_by", "signed_by")
        .prefetch_related("sections__author", "addenda__author", "sections__reports")
        .order_by("-created_at")[:10]
    )
    draft = next((a for a in rows if a.status == Assessment.Status.DRAFT), None)
    return draft, [a for a in rows if a.status == Assessment.Status.SIGNED]


# --- symptom reports (the JSON API) ------------------------------------------------------------

REPORTS_PAGE_SIZE = 50


def symptom_reports_page_for(
    user: Any, patient_id: Any, *, instrument_key: str = "", page: Any = 1
) -> tuple[Any, Page[SymptomReport]]:
    """A patient's reports, newest first, a page at a time (the patient and 404 rule of
    patient_get_for; the read is audited with the ids shown)."""
    patient = patient_get_for(user, patient_id, event="symptom_report.list")
    qs = SymptomReport.objects.filter(patient=patient).select_related("entered_by")
    if instrument_key:
        qs = qs.filter(instrument_key=instrument_key)
    paginator = Paginator(qs.order_by("-answered_at", "-created_at"), REPORTS_PAGE_SIZE)
    result = paginator.get_page(page)
    audit_record(
        actor=user,
        action=Action.READ,
        event="symptom_report.read",
        patient=patient,
        detail={"reports": [str(r.pk) for r in result.object_list]},
    )
    return patient, result


def active_episode(patient: Any) -> Any:
    """The patient's current enrollment (patient already access-checked), or None."""
    from pallio.episodes.models import EpisodeOfCare

    return EpisodeOfCare.objects.filter(patient=patient, status=EpisodeOfCare.Status.ACTIVE).first()


def domain_offers_for(patient: Any) -> dict[str, list[dict[str, Any]]]:
    """The instruments each domain offers because of a recent result (patient already
    access-checked): e.g. the suicide-risk screen when the PHQ-2 is 3 or more."""
    from pallio.assessments.domains import DOMAIN_OFFERS

    wanted = {o.when_instrument for offers in DOMAIN_OFFERS.values() for o in offers}
    latest: dict[str, SymptomReport] = {}
    for report in (
        SymptomReport.objects.filter(
            patient=patient, instrument_key__in=wanted, entered_in_error=False
        )
        .only("instrument_key", "scores", "answered_at")
        .order_by("-answered_at")[:20]
    ):
        latest.setdefault(report.instrument_key, report)
    result: dict[str, list[dict[str, Any]]] = {}
    for domain, offers in DOMAIN_OFFERS.items():
        for offer in offers:
            found = latest.get(offer.when_instrument)
            if found is not None and offer.applies(found.scores):
                result.setdefault(domain, []).append({"offer": offer, "report": found})
    return result
