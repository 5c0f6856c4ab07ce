"""Symptom reports and the alert rules they are judged by: submit a report, raise, acknowledge
and resolve alerts, and the scheduled checks for missing reports and unstable phases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery

from pallio.assessments import instruments as inst
from pallio.assessments.models import (
    Alert,
    AlertRule,
    Channel,
    Instrument,
    Phase,
    PhaseOfCare,
    Respondent,
    RuleKind,
    SymptomReport,
)
from pallio.assessments.rules import (
    REPORT_KINDS,
    RULE_FIELDS,
    Finding,
    default_rules,
    judge_report,
)
from pallio.assessments.services.catalogue import instrument_for_program
from pallio.assessments.services.comprehensive import domain_action
from pallio.assessments.services.phases import CLOCK_SKEW, phase_record
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_close_with, task_create
from pallio.core import clock, privileges
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check
from pallio.episodes.models import CADENCE_DAYS, CareTeamMember, EpisodeOfCare, ReportingCadence


def alert_rules_sync_defaults(rule_model: Any = AlertRule) -> tuple[int, int]:
    """Load or refresh the default alert rules from the data file. Returns (created, updated)."""
    created = updated = 0
    # An older migration passes its historical model, which lacks the newer fields.
    present = {f.name for f in rule_model._meta.get_fields()}
    nullable = {"threshold", "due_days"}
    for data in default_rules():
        values = {
            name: data.get(name, None if name in nullable else "")
            for name in RULE_FIELDS
            if name in present
        }
        values["priority"] = data.get("priority", 2)
        row = rule_model.objects.filter(program__isnull=True, key=data["key"]).first()
        if row is None:
            rule_model.objects.create(key=data["key"], **values)
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            updated += 1
    return created, updated


# --- symptom reports ---------------------------------------------------------------------------


@dataclass
class ReportInput:
    instrument_key: str
    answers: dict[str, Any]
    respondent: str
    channel: str
    answered_at: datetime | None = None
    respondent_name: str = ""


def report_validate(patient: Any, data: ReportInput) -> tuple[Instrument, dict[str, Any]]:
    """The instrument and clean answers, or ValidationError naming every problem."""
    errors: dict[str, list[str]] = {}
    instrument = instrument_for_program(patient.program, str(data.instrument_key)[:60])
    if instrument is None:
        raise ValidationError({"instrument": ["Choose an instrument the program uses."]})
    if data.respondent not in Respondent.values:
        errors.setdefault("respondent", []).append("Say who answered.")
    if data.channel not in Channel.values:
        errors.setdefault("channel", []).append("Say how the report was taken.")
    if len(data.respondent_name) > 200 or "\x00" in data.respondent_name:
        errors.setdefault("respondent_name", []).append("Keep the name under 200 characters.")
    now = clock.now()
    if data.answered_at is not None:
        if data.answered_at.tzinfo is None:
            errors.setdefault("answered_at", []).append("Give the time with its time zone.")
        elif data.answered_at > now + CLOCK_SKEW:
            errors.setdefault("answered_at", []).append("The time answered is in the future.")
        elif data.answered_at.date() < patient.birth_date:
            errors.setdefault("answered_at", []).append("The time answered is before birth.")
    spec = inst.spec_of(instrument.questionnaire)
    try:
        answers = inst.clean_answers(spec, data.answers)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        answers = {}
    if errors:
        raise ValidationError(errors)
    return instrument, answers


@transaction.atomic
def report_submit(
    *, actor: Any, patient: Any, data: ReportInput, idempotency_key: str = ""
) -> tuple[SymptomReport, bool]:
    """Record a symptom report from a visit, a call or the API; its alerts are judged by
    the background worker once this transaction commits. Returns (report, created)."""
    report_privilege_check(actor, data.instrument_key)
    return report_record(actor=actor, patient=patient, data=data, idempotency_key=idempotency_key)


@transaction.atomic
def report_record(
    *, actor: Any, patient: Any, data: ReportInput, idempotency_key: str = ""
) -> tuple[SymptomReport, bool]:
    """What report_submit does once the caller is known to be allowed to report for the
    patient. It checks nobody: the staff path checks the clinical privilege (report_submit),
    the portal path the portal access and its diary scope (portal/diary.py)."""
    if idempotency_key:
        existing = SymptomReport.objects.filter(
            patient=patient, idempotency_key=idempotency_key[:100]
        ).first()
        if existing is not None:
            return existing, False
    instrument, answers = report_validate(patient, data)
    spec = inst.spec_of(instrument.questionnaire)
    result = inst.score(spec, answers)
    primary = spec.primary_scale
    blank = inst.unanswered(spec, answers)
    report = SymptomReport(
        program_id=patient.program_id,
        patient=patient,
        instrument=instrument,
        instrument_key=instrument.key,
        answers=answers,
        scores=result.as_json(),
        primary_score=result.scales.get(primary.name) if primary else None,
        respondent=data.respondent,
        respondent_name=data.respondent_name,
        channel=data.channel,
        answered_at=data.answered_at or clock.now(),
        entered_by=actor if getattr(actor, "is_authenticated", False) else None,
        idempotency_key=idempotency_key[:100],
        partial=bool(blank),
        unanswered=blank,
    )
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:
        existing = SymptomReport.objects.get(patient=patient, idempotency_key=idempotency_key[:100])
        return existing, False
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="symptom_report.create",
        patient=patient,
        target=report,
        detail={"instrument": instrument.key, "channel": data.channel, "unanswered": blank},
    )
    from pallio.assessments.tasks import report_evaluation_enqueue

    report_id = str(report.pk)
    transaction.on_commit(lambda: report_evaluation_enqueue(report_id))
    return report, True


# --- alerts -------------------------------------------------------------------------------------


@transaction.atomic
def contact_report_submit(
    *, actor: Any, patient: Any, data: ReportInput, phase: str, note: str = ""
) -> SymptomReport:
    """A staff contact (a visit or a call): the symptom report and the phase of care recorded
    at that contact, together or not at all (PCOC: the phase is recorded at every contact)."""
    report_privilege_check(actor, data.instrument_key)
    privilege_check(actor, "phase.record")
    report, _ = report_submit(actor=actor, patient=patient, data=data)
    phase_record(
        actor=actor,
        patient=patient,
        phase=phase,
        contact=data.channel,
        note=note,
        recorded_at=report.answered_at,
    )
    return report


def rules_for(program: Any) -> list[AlertRule]:
    """The program's active rules: its own, and the defaults it has not overridden."""
    rows = list(AlertRule.objects.filter(Q(program=program) | Q(program__isnull=True)))
    own = {r.key for r in rows if r.program_id is not None}
    return [r for r in rows if r.active and (r.program_id is not None or r.key not in own)]


def _assignee(patient: Any, discipline: str) -> Any:
    member = (
        CareTeamMember.objects.filter(patient=patient, active=True, discipline=discipline)
        .select_related("user")
        .order_by("-is_lead", "created_at")
        .first()
    )
    return member.user if member is not None else None


def alert_due_at(rule: AlertRule, *, now: datetime, zone: ZoneInfo, since: datetime) -> datetime:
    """When the follow-up is due: the rule's hours from now, or, for a rule counted in
    calendar days (HOPE: an in-person visit within 2 calendar days; a same-day assessment),
    the end of that day in the program's zone, counted from when the report was answered."""
    if rule.due_days is None:
        return now + timedelta(hours=rule.due_hours)
    day = since.astimezone(zone).date() + timedelta(days=rule.due_days)
    return datetime.combine(day, time(23, 59), tzinfo=zone)


def alert_task_title(rule: AlertRule, detail: str) -> str:
    return f"{rule.title}: {detail}"[:200] if detail else rule.title


@transaction.atomic
def alert_raise(
    *,
    rule: AlertRule,
    patient: Any,
    dedupe_key: str,
    detail: str,
    report: SymptomReport | None = None,
    now: datetime | None = None,
) -> Alert | None:
    """Raise `rule` for `patient` once: a second call with the same dedupe key does nothing.
    Creates the follow-up task for the rule's discipline, due within the rule's hours."""
    if Alert.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    now = now or clock.now()
    zone = ZoneInfo(patient.program.timezone)
    due_at = alert_due_at(rule, now=now, zone=zone, since=report.answered_at if report else now)
    episode = EpisodeOfCare.objects.filter(
        patient=patient, status=EpisodeOfCare.Status.ACTIVE
    ).first()
    title = alert_task_title(rule, detail)
    task = task_create(
        actor=None,
        patient=patient,
        episode=episode,
        kind=TaskKind.ALERT_FOLLOW_UP,
        title=title,
        due=due_at.astimezone(zone).date(),
        discipline=rule.discipline,
        assigned_to=_assignee(patient, rule.discipline),
    )
    alert = Alert.objects.create(
        program_id=patient.program_id,
        patient=patient,
        rule=rule,
        rule_key=rule.key,
        report=report,
        dedupe_key=dedupe_key,
        title=rule.title,
        detail=detail[:2000],
        discipline=rule.discipline,
        priority=rule.priority,
        task=task,
        raised_at=now,
        due_at=due_at,
    )
    audit_record(
        actor=None,
        action=Action.CREATE,
        event="alert.raise",
        patient=patient,
        target=alert,
        detail={"rule": rule.key},
    )
    return alert


def _previous_scores(report: SymptomReport) -> dict[str, Any] | None:
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
        .values_list("scores", flat=True)
        .first()
    )
    return previous


# Rules whose follow-up covers every report until it is done: a screening that finds a
# moderate symptom while an in-person visit for the last one is still pending needs no
# second visit task (HOPE: a visit within 2 calendar days of a moderate or severe screen).
ONE_OPEN_PER_PATIENT = frozenset({RuleKind.ITEM_SEVERITY_AT_LEAST})


def _open_alert_of(patient_id: Any, rule_key: str) -> bool:
    return (
        Alert.objects.filter(patient_id=patient_id, rule_key=rule_key)
        .exclude(status=Alert.Status.RESOLVED)
        .exists()
    )


# Rules judged against the patient's previous report of the same instrument.
NEEDS_PREVIOUS = frozenset({RuleKind.ITEM_RISE, RuleKind.SCALE_FALL})


def report_findings(
    rules: list[AlertRule],
    *,
    instrument_key: str,
    spec: inst.InstrumentSpec,
    scores: dict[str, Any],
    previous_of: Callable[[], dict[str, Any] | None],
) -> list[tuple[AlertRule, Finding]]:
    """The rules that fire for a report, and what each found. ``previous_of`` gives the
    previous report's scores; it is asked only when a rule compares with it."""
    previous = None
    looked_up = False
    fired = []
    for rule in rules:
        if rule.kind not in REPORT_KINDS or rule.instrument_key != instrument_key:
            continue
        if rule.kind in NEEDS_PREVIOUS and not looked_up:
            previous, looked_up = previous_of(), True
        finding = judge_report(rule, spec, scores, previous)
        if finding is not None:
            fired.append((rule, finding))
    # A rule yields to another that fired for the same report (an acute suicide-risk
    # screen raises the emergency, not also the same-day positive screen).
    keys = {rule.key for rule, _ in fired}
    return [(r, f) for r, f in fired if not (r.unless_rule and r.unless_rule in keys)]


@transaction.atomic
def report_evaluate(*, report_id: Any, rules: list[AlertRule] | None = None) -> list[Alert]:
    """Judge a report against the program's rules and raise what fires, once.

    The alerts and the report's ``evaluated_at`` are written in one transaction: a worker
    killed half-way leaves nothing behind, and a second run finds the report evaluated.
    The worker judges many reports at once with services.batch.reports_evaluate, which
    gives the same alerts.
    """
    report = (
        SymptomReport.objects.select_for_update()
        .select_related("patient__program", "instrument")
        .filter(pk=report_id)
        .first()
    )
    if report is None or report.evaluated_at is not None:
        return []
    raised: list[Alert] = []
    if not report.entered_in_error:
        fired = report_findings(
            rules if rules is not None else rules_for(report.patient.program),
            instrument_key=report.instrument_key,
            spec=inst.spec_of(report.instrument.questionnaire),
            scores=report.scores,
            previous_of=lambda: _previous_scores(report),
        )
        for rule, finding in fired:
            if rule.kind in ONE_OPEN_PER_PATIENT and _open_alert_of(report.patient_id, rule.key):
                continue
            alert = alert_raise(
                rule=rule,
                patient=report.patient,
                report=report,
                dedupe_key=f"report:{report.pk}:{rule.key}",
                detail=finding.detail,
            )
            if alert is not None:
                raised.append(alert)
    report.evaluated_at = clock.now()
    report.save(update_fields=["evaluated_at"])
    return raised


def missing_reports_check(*, program: Any, now: datetime | None = None) -> list[Alert]:
    """Raise the 'expected report missing' rules for the program's enrolled patients.

    Each episode expects reports at its own cadence (weekly: 7 days, every 2 weeks: 14 days;
    none expected: never alerts), plus the program's grace (`missing_report_grace_days`).
    """
    now = now or clock.now()
    raised: list[Alert] = []
    rules = [r for r in rules_for(program) if r.kind == RuleKind.REPORT_MISSING]
    if not rules:
        return raised
    grace = timedelta(days=float(program.setting("missing_report_grace_days")))
    episodes = [
        e
        for e in EpisodeOfCare.objects.filter(program=program, status=EpisodeOfCare.Status.ACTIVE)
        .select_related("patient__program")
        .filter(patient__deceased_at__isnull=True, patient__entered_in_error=False)
        if e.reporting_cadence in CADENCE_DAYS
    ]
    zone = ZoneInfo(program.timezone)
    for rule in rules:
        latest = {
            row["patient_id"]: row
            for row in SymptomReport.objects.filter(
                program=program, instrument_key=rule.instrument_key, entered_in_error=False
            )
            .order_by("patient_id", "answered_at")
            .values("patient_id", "answered_at", "id")
        }
        for episode in episodes:
            expected_every = timedelta(days=CADENCE_DAYS[episode.reporting_cadence])
            last = latest.get(episode.patient_id)
            since = last["answered_at"] if last else episode.start
            if since >= now - expected_every - grace:
                continue
            occasion = last["id"] if last else f"episode-{episode.pk}"
            cadence = ReportingCadence(episode.reporting_cadence).label.lower()
            alert = alert_raise(
                rule=rule,
                patient=episode.patient,
                dedupe_key=f"missing:{rule.key}:{episode.patient_id}:{occasion}",
                detail=f"expected {cadence}; none since {since.astimezone(zone):%Y-%m-%d}",
                now=now,
            )
            if alert is not None:
                raised.append(alert)
    return raised


def unstable_phases_check(*, program: Any, now: datetime | None = None) -> list[Alert]:
    """Raise the 'unstable phase' rules, once per unstable phase, for each patient whose
    current phase of care has been unstable for longer than the program's
    `unstable_phase_alert_days` (PCOC benchmark 2: 3 days or less)."""
    now = now or clock.now()
    raised: list[Alert] = []
    rules = [r for r in rules_for(program) if r.kind == RuleKind.PHASE_UNSTABLE]
    if not rules:
        return raised
    days = float(program.setting("unstable_phase_alert_days"))
    limit = now - timedelta(days=days)
    # Each patient's newest phase: only those still unstable and begun before the limit.
    newest = (
        PhaseOfCare.objects.filter(patient=OuterRef("patient"))
        .order_by("-recorded_at", "-created_at")
        .values("pk")[:1]
    )
    current = list(
        PhaseOfCare.objects.filter(
            program=program,
            pk=Subquery(newest),
            phase=Phase.UNSTABLE,
            phase_started_at__lt=limit,
            patient__deceased_at__isnull=True,
            patient__entered_in_error=False,
            patient__episodes__status=EpisodeOfCare.Status.ACTIVE,
        )
        .select_related("patient__program")
        .distinct()
    )
    zone = ZoneInfo(program.timezone)
    for row in current:
        unstable_for = (now - row.phase_started_at).days
        for rule in rules:
            alert = alert_raise(
                rule=rule,
                patient=row.patient,
                dedupe_key=(
                    f"phase:{rule.key}:{row.patient_id}:{row.phase_started_at.isoformat()}"
                ),
                detail=(
                    f"unstable since {row.phase_started_at.astimezone(zone):%Y-%m-%d} "
                    f"({unstable_for} days; the program allows {days:g})"
                ),
                now=now,
            )
            if alert is not None:
                raised.append(alert)
    return raised


def _close_task(alert: Alert, *, status: str) -> None:
    if alert.task_id is None:
        return
    task_close_with(task_id=alert.task_id, status=status)


def _check_version(alert: Alert, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != alert.version:
        raise ConflictError(
            "This alert was changed by someone else while you were looking at it. "
            "Reload to see their change."
        )


@transaction.atomic
def alert_acknowledge(*, actor: Any, alert: Alert, expected_version: int | None) -> Alert:
    """Someone has seen the alert and is on it."""
    _check_version(alert, expected_version)
    if alert.status != Alert.Status.OPEN:
        raise ValidationError("Only an open alert can be acknowledged.")
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = actor
    alert.save_versioned(
        expected_version=expected_version,
        fields=["status", "acknowledged_at", "acknowledged_by"],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="alert.acknowledge",
        patient=alert.patient,
        target=alert,
    )
    return alert


@transaction.atomic
def alert_resolve(
    *, actor: Any, alert: Alert, expected_version: int | None, action_taken: str
) -> Alert:
    """Close the alert with the action taken; its follow-up task is done."""
    _check_version(alert, expected_version)
    action_taken = action_taken.strip()
    if not action_taken:
        raise ValidationError({"action_taken": ["Say what was done."]})
    if len(action_taken) > 2000 or "\x00" in action_taken:
        raise ValidationError({"action_taken": ["Keep this under 2000 characters."]})
    if alert.status == Alert.Status.RESOLVED:
        raise ValidationError("This alert is already resolved.")
    now = clock.now()
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = actor
    alert.action_taken = action_taken
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor
    alert.save_versioned(
        expected_version=expected_version,
        fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "action_taken",
            "acknowledged_at",
            "acknowledged_by",
        ],
    )
    _close_task(alert, status=Task.Status.DONE)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="alert.resolve",
        patient=alert.patient,
        target=alert,
    )
    return alert


def report_privilege_check(actor: Any, instrument_key: str) -> None:
    """A symptom report needs the symptom-report privilege, or the privilege of an assessment
    domain that draws on this instrument (the chaplain's spiritual history)."""
    from pallio.assessments.domains import DOMAIN_INSTRUMENTS

    domains = [d for d, keys in DOMAIN_INSTRUMENTS.items() if instrument_key in keys]
    if any(privileges.can(actor, domain_action(d)) for d in domains):
        return
    privilege_check(actor, "symptom_report.record")
