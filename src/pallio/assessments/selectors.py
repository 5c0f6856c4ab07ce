"""Reads of assessments, reports, alerts and phases: access-checked, audited, bounded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    JSONField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from pallio.assessments import instruments as inst
from pallio.assessments.models import (
    Alert,
    AlertEscalation,
    Assessment,
    Instrument,
    Phase,
    PhaseOfCare,
    SymptomReport,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock, params
from pallio.core.read_together import Rows, Total, read_together
from pallio.patients.selectors import patient_get_for

WORKLIST_PAGE_SIZE = 25
TREND_LIMIT = 500
UNSTABLE_BENCHMARK = timedelta(days=3)  # PCOC benchmark 2 (CLINICAL.md section 4)
FUNCTION_KEYS = ("pps", "akps")
SPARKLINE_POINTS = 12
# The ESAS-r chart shows its first few symptoms and hides the rest behind the legend, except
# any symptom scored severe in one of the patient's last few reports: never hidden.
CHART_SHOWN_SERIES = 3
CHART_RECENT_REPORTS = 3


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404(f"No such {what}") from None


def instruments_for(program: Any) -> list[Instrument]:
    """The instruments a program can use: shipped ones, and its own (which win on a key)."""
    rows = Instrument.objects.filter(Q(program=program) | Q(program__isnull=True), active=True)
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
    limit: int = 50,
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
    esas_instrument = instruments_for(patient.program)
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
    recent = list(
        SymptomReport.objects.filter(patient=patient, entered_in_error=False)
        .select_related("entered_by", "instrument")
        .order_by("-answered_at")[:20]
    )
    alerts = list(
        Alert.objects.filter(patient=patient)
        .exclude(status=Alert.Status.RESOLVED)
        .order_by("due_at")[:20]
    )
    esas = _esas_series(esas_rows, esas_spec, zone) if esas_spec else None
    return {
        "patient": patient,
        "esas": esas,
        "esas_severe": [s["label"] for s in esas["series"] if s["severe"]] if esas else [],
        "esas_count": len(esas_rows),
        "function": function,
        "recent": recent,
        "alerts": alerts,
        "phase": phase_status(patient),
        "instruments": esas_instrument,
    }


def chart_parts(patient: Any) -> dict[str, Rows | Total]:
    """The chart's reads of assessments (header alert count and the 'Assessment and
    symptoms' section), to be read together with its other sections."""
    open_alerts = Alert.objects.filter(patient_id=patient.pk).exclude(status=Alert.Status.RESOLVED)
    return {
        "assessments_reports": Rows(
            SymptomReport.objects.filter(patient_id=patient.pk, entered_in_error=False)
            .select_related("instrument")
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


# --- the alert worklist -----------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistFilters:
    scope: str = "mine"  # mine | discipline | all
    status: str = "open"  # open | resolved

    @classmethod
    def from_query(cls, query: Any) -> WorklistFilters:
        """The worklist's filters; BadQuery naming each value that is not on offer."""
        data = params.parse(WorklistQuery, query)
        return cls(scope=data["scope"], status=data["status"])


class WorklistQuery(params.QueryForm):
    scope = params.ChoiceParam(
        label="Whose alerts",
        initial="mine",
        choices=[("mine", "Mine"), ("discipline", "My discipline"), ("all", "All")],
    )
    status = params.ChoiceParam(
        label="Status", initial="open", choices=[("open", "Open"), ("resolved", "Resolved")]
    )
    page = params.PageParam()


def _queue_q(user: Any) -> Q:
    """The alerts on the program-wide queue of `user`'s discipline: raised when nobody of
    the discipline was on the patient's team, and not yet taken. Every member of the
    discipline in the program sees them (escalation.py)."""
    if not access.has_perm(user, "alert.worklist") or not getattr(user, "discipline", ""):
        return Q(pk__in=[])
    return Q(
        program_id=user.program_id,
        discipline=user.discipline,
        task__isnull=False,
        task__assigned_to__isnull=True,
    )


def _escalated_to(user: Any) -> Exists:
    return Exists(AlertEscalation.objects.filter(alert_id=OuterRef("pk"), to_user_id=user.pk))


def alert_worklist_for(user: Any, filters: WorklistFilters) -> QuerySet[Alert]:
    """The alerts the worklist shows `user`: the one source of both its rows and the counts
    in its header. Open alerts come escalated-to-me first, then by report (the alerts of
    one report together), the most urgent report first, then the soonest due."""
    if not access.has_perm(user, "alert.worklist"):
        return Alert.objects.none()
    queue = _queue_q(user)
    qs = Alert.objects.filter(access.patient_access_q(user, prefix="patient__") | queue)
    if filters.status == "open":
        qs = qs.exclude(status=Alert.Status.RESOLVED)
    else:
        qs = qs.filter(status=Alert.Status.RESOLVED)
    escalated = _escalated_to(user)
    if filters.scope == "mine":
        qs = qs.filter(Q(task__assigned_to=user) | queue | escalated)
    elif filters.scope == "discipline":
        qs = qs.filter(discipline=user.discipline)
    return qs


def _ordered(qs: QuerySet[Alert], user: Any, status: str) -> QuerySet[Alert]:
    if status != "open":
        return qs.order_by("-resolved_at", "id")
    siblings = (
        Alert.objects.filter(report_id=OuterRef("report_id"))
        .exclude(status=Alert.Status.RESOLVED)
        .order_by()
        .values("report_id")
    )
    return qs.annotate(
        escalated_to_me=_escalated_to(user),
        group_priority=Coalesce(
            Subquery(siblings.annotate(p=Min("priority")).values("p")[:1]), F("priority")
        ),
        group_due=Coalesce(
            Subquery(siblings.annotate(d=Min("due_at")).values("d")[:1]), F("due_at")
        ),
    ).order_by(
        "-escalated_to_me",
        "group_priority",
        "group_due",
        "report_id",
        "priority",
        "due_at",
        "rule_key",
        "id",
    )


@dataclass
class WorklistGroup:
    """The alerts one report raised (or one alert without a report), shown together."""

    patient: Any
    report: SymptomReport | None
    values: list[str]
    alerts: list[Alert]


def _fmt(value: float) -> str:
    return f"{value:g}"


def report_values(
    spec: inst.InstrumentSpec, scores: dict[str, Any], previous: dict[str, Any] | None
) -> list[str]:
    """A report's values worth reading on the worklist, with the previous report's for
    comparison: "Pain 9/10 (was 5)". Items scored moderate or worse (or, when none is, the
    items higher than last time); for instruments without banded items, every scale."""
    before_items = (previous or {}).get("item_values", {})
    before_scales = (previous or {}).get("scales", {})
    shown: list[tuple[float, str]] = []
    items_now: dict[str, float] = scores.get("item_values", {})
    if spec.banded_items:
        severities = scores.get("item_severities", {})
        present = [link for link in spec.banded_items if link in items_now]
        notable = [link for link in present if severities.get(link) in {"moderate", "severe"}]
        if not notable:  # nothing moderate or worse: what rose since last time
            notable = [
                link
                for link in present
                if link in before_items and items_now[link] > before_items[link]
            ]
        for link in notable:
            value = items_now[link]
            was = before_items.get(link)
            item = spec.item(link)
            label = item.text.split(":")[0] if item else link
            top = f"/{_fmt(item.maximum)}" if item and item.maximum is not None else ""
            text = f"{label} {_fmt(value)}{top}"
            if was is not None:
                text += f" (was {_fmt(was)})"
            shown.append((value, text))
        shown.sort(key=lambda pair: -pair[0])
        return [text for _, text in shown[:6]]
    for scale in spec.scales:
        value = scores.get("scales", {}).get(scale.name)
        if value is None:
            continue
        text = f"{scale.title} {_fmt(value)}/{_fmt(scale.maximum)}"
        was = before_scales.get(scale.name)
        if was is not None:
            text += f" (was {_fmt(was)})"
        shown.append((0, text))
    return [text for _, text in shown[:6]]


def _groups(alerts: list[Alert]) -> list[WorklistGroup]:
    groups: list[WorklistGroup] = []
    for alert in alerts:
        report = alert.report
        last = groups[-1].report if groups else None
        if report is not None and last is not None and last.pk == report.pk:
            groups[-1].alerts.append(alert)
            continue
        values: list[str] = []
        if report is not None and not report.entered_in_error:
            spec = inst.spec_of(report.instrument.questionnaire)
            values = report_values(spec, report.scores, getattr(alert, "previous_scores", None))
        groups.append(WorklistGroup(alert.patient, report, values, [alert]))
    return groups


@dataclass
class Worklist:
    page: Page[Alert]
    groups: list[WorklistGroup]
    counts: dict[str, int]


def alert_worklist_page_for(user: Any, filters: WorklistFilters, page: Any) -> Worklist:
    """One page of the worklist, grouped by report, with the counts of the same list."""
    base = alert_worklist_for(user, filters)
    now = clock.now()
    counts = base.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=Q(due_at__lt=now) & ~Q(status=Alert.Status.RESOLVED)),
    )
    previous = (
        SymptomReport.objects.filter(
            patient_id=OuterRef("report__patient_id"),
            instrument_key=OuterRef("report__instrument_key"),
            entered_in_error=False,
            answered_at__lt=OuterRef("report__answered_at"),
        )
        .order_by("-answered_at", "-created_at")
        .values("scores")[:1]
    )
    rows: QuerySet[Alert] = (
        _ordered(base, user, filters.status)
        .annotate(
            previous_scores=Subquery(previous, output_field=JSONField()),
            reachable=ExpressionWrapper(
                access.patient_access_q(user, prefix="patient__"), output_field=BooleanField()
            ),
        )
        .select_related(
            "patient",
            "task__assigned_to",
            "acknowledged_by",
            "resolved_by",
            "report__instrument",
        )
        .prefetch_related(
            Prefetch("escalations", queryset=AlertEscalation.objects.select_related("to_user"))
        )
    )
    paginator = Paginator(rows, WORKLIST_PAGE_SIZE)
    paginator.count = counts["total"]  # the same list, counted once
    result = paginator.get_page(page)
    alerts = list(result.object_list)
    audit_record(
        actor=user,
        action=Action.READ,
        event="alert.worklist",
        detail={"alerts": [str(a.pk) for a in alerts]},
    )
    return Worklist(result, _groups(alerts), counts)


def alert_counts_for(user: Any, filters: WorklistFilters | None = None) -> dict[str, int]:
    """The worklist's counts: the same list alert_worklist_for gives, counted."""
    qs = alert_worklist_for(user, filters or WorklistFilters())
    return qs.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=Q(due_at__lt=clock.now()) & ~Q(status=Alert.Status.RESOLVED)),
    )


def alert_get_for(user: Any, alert_id: Any, *, from_queue: bool = False) -> Alert:
    """The alert, if `user` may see its patient (or, with `from_queue`, if it waits on the
    queue of their discipline); 404 otherwise."""
    aid = _uuid(alert_id, "alert")
    visible = access.patient_access_q(user, prefix="patient__")
    if from_queue:
        visible |= _queue_q(user)
    alert = (
        Alert.objects.filter(visible)
        .select_related("patient__program", "task")
        .filter(pk=aid)
        .first()
    )
    if alert is None:
        raise Http404("No such alert")
    return alert


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
