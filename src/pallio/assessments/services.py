"""Every write of the assessments domain: instruments, symptom reports, alerts, phases of
care and the comprehensive assessment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery

from pallio.assessments import instruments as inst
from pallio.assessments.models import (
    Addendum,
    Alert,
    AlertRule,
    Assessment,
    AssessmentSection,
    Channel,
    Domain,
    Instrument,
    Phase,
    PhaseOfCare,
    Respondent,
    RuleKind,
    SymptomReport,
)
from pallio.assessments.rules import REPORT_KINDS, RULE_FIELDS, default_rules, judge_report
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock, privileges
from pallio.core.models import ConflictError
from pallio.core.privileges import privilege_check
from pallio.episodes.models import (
    CADENCE_DAYS,
    CareTeamMember,
    EpisodeOfCare,
    ReportingCadence,
)

# A report may be timed a little ahead of the server's clock (a phone's clock), not more.
CLOCK_SKEW = timedelta(minutes=10)


# --- instruments ------------------------------------------------------------------------------


def _instrument_fields(q: dict[str, Any], spec: inst.InstrumentSpec) -> dict[str, Any]:
    return {
        "url": spec.url[:300],
        "version": spec.version[:40],
        "title": spec.title[:200],
        "questionnaire": q,
        "licence_terms": spec.licence_terms,
        "citation": spec.citation,
    }


def instruments_sync_shipped(instrument_model: Any = Instrument) -> tuple[int, int]:
    """Load or refresh the instruments shipped in assessments/instruments/*.json.

    Takes the model so that the data migration can pass its historical model. Returns
    (created, updated).
    """
    created = updated = 0
    for _name, text in inst.shipped_questionnaires():
        q = json.loads(text)
        spec = inst.spec_from_questionnaire(q)
        fields = _instrument_fields(q, spec)
        row = instrument_model.objects.filter(program__isnull=True, key=spec.key).first()
        if row is None:
            instrument_model.objects.create(key=spec.key, source="shipped", **fields)
            created += 1
        elif row.questionnaire != q:
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = clock.now()
            row.save()
            updated += 1
    return created, updated


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


@transaction.atomic
def instrument_upload(*, actor: Any, program: Any, data: bytes) -> Instrument:
    """Add (or revise) a program's own instrument from an uploaded FHIR Questionnaire.

    Everything is checked before anything is written: FHIR R4 validity, the scoring schema,
    the licence and the citation. A shipped instrument's key cannot be reused, so a form
    keeps its name only in its licensed wording.
    """
    q, spec = inst.parse_questionnaire_bytes(data)
    if Instrument.objects.filter(program__isnull=True, key=spec.key).exists():
        raise inst.InstrumentError(
            f"'{spec.key}' is the key of an instrument shipped with Pallio; give yours its own "
            "key (the instrument-key extension)."
        )
    fields = _instrument_fields(q, spec)
    row = Instrument.objects.select_for_update().filter(program=program, key=spec.key).first()
    if row is None:
        row = Instrument.objects.create(
            program=program,
            key=spec.key,
            source=Instrument.Source.UPLOADED,
            uploaded_by=actor,
            **fields,
        )
        event = "instrument.upload"
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.uploaded_by = actor
        row.updated_at = clock.now()
        row.save()
        event = "instrument.revise"
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event=event,
        program=program,
        target=row,
        detail={"key": spec.key, "version": spec.version},
    )
    return row


def instrument_for_program(program: Any, key: str) -> Instrument | None:
    """The instrument a program uses under `key`: its own, else the shipped one."""
    rows = Instrument.objects.filter(
        Q(program=program) | Q(program__isnull=True), key=key, active=True
    )
    return min(rows, key=lambda r: r.program_id is None, default=None)


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
    """Record a symptom report from a visit, a call or the portal; its alerts are judged by
    the background worker once this transaction commits. Returns (report, created)."""
    report_privilege_check(actor, data.instrument_key)
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
    title = f"{rule.title}: {detail}"[:200] if detail else rule.title
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


@transaction.atomic
def report_evaluate(*, report_id: Any, rules: list[AlertRule] | None = None) -> list[Alert]:
    """Judge a report against the program's rules and raise what fires, once.

    The alerts and the report's ``evaluated_at`` are written in one transaction: a worker
    killed half-way leaves nothing behind, and a second run finds the report evaluated.
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
        spec = inst.spec_of(report.instrument.questionnaire)
        previous = None
        looked_up = False
        fired = []
        for rule in rules if rules is not None else rules_for(report.patient.program):
            if rule.kind not in REPORT_KINDS or rule.instrument_key != report.instrument_key:
                continue
            if rule.kind in (RuleKind.ITEM_RISE, RuleKind.SCALE_FALL) and not looked_up:
                previous, looked_up = _previous_scores(report), True
            finding = judge_report(rule, spec, report.scores, previous)
            if finding is not None:
                fired.append((rule, finding))
        # A rule yields to another that fired for the same report (an acute suicide-risk
        # screen raises the emergency, not also the same-day positive screen).
        keys = {rule.key for rule, _ in fired}
        for rule, finding in fired:
            if rule.unless_rule and rule.unless_rule in keys:
                continue
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
    task = Task.objects.select_for_update().get(pk=alert.task_id)
    if task.status != Task.Status.OPEN:
        return
    task.status = status
    task.completed_at = clock.now()
    task.save_versioned(expected_version=task.version, fields=["status", "completed_at"])


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


# --- phase of care ------------------------------------------------------------------------------


@transaction.atomic
def phase_record(
    *,
    actor: Any,
    patient: Any,
    phase: str,
    contact: str,
    note: str = "",
    recorded_at: datetime | None = None,
) -> PhaseOfCare:
    """Record the phase of care at a contact. A phase continues while it is recorded again;
    a different phase starts a new one."""
    privilege_check(actor, "phase.record")
    errors: dict[str, list[str]] = {}
    if phase not in Phase.values:
        errors["phase"] = ["Choose a phase of care."]
    if contact not in Channel.values:
        errors["contact"] = ["Say how the contact was made."]
    if len(note) > 500 or "\x00" in note:
        errors["note"] = ["Keep the note under 500 characters."]
    now = clock.now()
    when = recorded_at or now
    if when > now + CLOCK_SKEW:
        errors["recorded_at"] = ["The time is in the future."]
    if errors:
        raise ValidationError(errors)
    latest = (
        PhaseOfCare.objects.filter(patient=patient, recorded_at__lte=when)
        .order_by("-recorded_at")
        .first()
    )
    started = latest.phase_started_at if latest and latest.phase == phase else when
    row = PhaseOfCare.objects.create(
        program_id=patient.program_id,
        patient=patient,
        phase=phase,
        recorded_at=when,
        phase_started_at=started,
        contact=contact,
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="phase.record",
        patient=patient,
        target=row,
        detail={"phase": phase},
    )
    return row


# --- the comprehensive assessment ---------------------------------------------------------------


def domain_action(domain: str) -> str:
    """The clinical privilege that writes and completes one domain (core/privileges.py)."""
    return f"assessment_domain.{domain}.sign"


# Which disciplines write which domain by default (CLINICAL.md section 1: the team): the
# domain's owners plus the physician and nurse practitioner, who may complete any domain when
# the owner is not on the team. The matrix is core/data/privileges.json.
DOMAIN_OWNERS: dict[str, frozenset[str]] = {
    domain: privileges.allowed(domain_action(domain))[1] for domain in Domain.values
}


def report_privilege_check(actor: Any, instrument_key: str) -> None:
    """A symptom report needs the symptom-report privilege, or the privilege of an assessment
    domain that draws on this instrument (the chaplain's spiritual history)."""
    from pallio.assessments.domains import DOMAIN_INSTRUMENTS

    domains = [d for d, keys in DOMAIN_INSTRUMENTS.items() if instrument_key in keys]
    if any(privileges.can(actor, domain_action(d)) for d in domains):
        return
    privilege_check(actor, "symptom_report.record")


def domains_for(patient: Any, on: Any) -> list[str]:
    """The domains the assessment shows for this patient's age: the child-and-family section
    for children, the adolescent-and-young-adult section for AYAs. The age bands are program
    settings (`child_max_age`, `young_adult_ages`)."""
    age = patient.age_on(on)
    program = patient.program
    youngest, oldest = program.setting("young_adult_ages")
    shown = [d for d in Domain.values if d not in (Domain.PEDIATRIC, Domain.YOUNG_ADULT)]
    if age <= int(program.setting("child_max_age")):
        shown.append(Domain.PEDIATRIC)
    elif int(youngest) <= age <= int(oldest):
        shown.append(Domain.YOUNG_ADULT)
    return shown


def may_write_domain(user: Any, domain: str) -> bool:
    return domain in Domain.values and privileges.can(user, domain_action(domain))


@transaction.atomic
def assessment_start(*, actor: Any, patient: Any) -> Assessment:
    """Start the comprehensive assessment, or return the draft already open."""
    draft = (
        Assessment.objects.select_for_update()
        .filter(patient=patient, status=Assessment.Status.DRAFT)
        .first()
    )
    if draft is not None:
        return draft
    assessment = Assessment.objects.create(
        program_id=patient.program_id, patient=patient, started_by=actor
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="assessment.start",
        patient=patient,
        target=assessment,
    )
    return assessment


def _clean_findings(domain: str, findings: dict[str, Any]) -> dict[str, Any]:
    from pallio.assessments.domains import DOMAIN_FINDINGS

    allowed = {f.name: f for f in DOMAIN_FINDINGS.get(domain, ())}
    unknown = [k for k in findings if k not in allowed]
    if unknown:
        raise ValidationError({"findings": [f"Unknown findings {unknown[:5]}."]})
    clean: dict[str, Any] = {}
    for name, value in findings.items():
        clean[name] = allowed[name].clean(value)
    return clean


@transaction.atomic
def assessment_section_save(
    *,
    actor: Any,
    assessment: Assessment,
    domain: str,
    findings: dict[str, Any],
    narrative: str,
    completed: bool,
    expected_version: int | None,
    reports: list[SymptomReport] | None = None,
) -> AssessmentSection:
    """Save one domain of a draft. Only the discipline that owns the domain may write it."""
    if domain in Domain.values:
        privilege_check(actor, domain_action(domain))
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError("A signed assessment cannot be changed; add an addendum.")
    if domain not in domains_for(assessment.patient, clock.now().date()):
        raise ValidationError({"domain": ["This domain is not part of this assessment."]})
    if len(narrative) > 8000 or "\x00" in narrative:
        raise ValidationError({"narrative": ["Keep the narrative under 8000 characters."]})
    clean = _clean_findings(domain, findings)
    section = (
        AssessmentSection.objects.select_for_update()
        .filter(assessment=assessment, domain=domain)
        .first()
    )
    if section is None:
        if expected_version not in (None, 0):
            raise ConflictError(
                "This section changed while you were editing. Reload to see the change."
            )
        section = AssessmentSection.objects.create(
            assessment=assessment,
            domain=domain,
            findings=clean,
            narrative=narrative,
            completed=completed,
            author=actor,
        )
    else:
        section.findings = clean
        section.narrative = narrative
        section.completed = completed
        section.author = actor
        section.save_versioned(
            expected_version=expected_version or section.version,
            fields=["findings", "narrative", "completed", "author"],
        )
    if reports:
        section.reports.add(*[r for r in reports if r.patient_id == assessment.patient_id])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="assessment.section",
        patient=assessment.patient,
        target=assessment,
        detail={"domain": domain},
    )
    return section


@transaction.atomic
def assessment_sign(*, actor: Any, assessment: Assessment, expected_version: int | None) -> None:
    """Sign a complete assessment; from now on it is immutable."""
    privilege_check(actor, "assessment.sign")
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError("This assessment is already signed.")
    shown = domains_for(assessment.patient, clock.now().date())
    done = set(assessment.sections.filter(completed=True).values_list("domain", flat=True))
    missing = [Domain(d).label for d in shown if d not in done]
    if missing:
        raise ValidationError(
            "Complete every domain before signing. Not yet complete: " + ", ".join(missing) + "."
        )
    assessment.status = Assessment.Status.SIGNED
    assessment.signed_at = clock.now()
    assessment.signed_by = actor
    assessment.save_versioned(
        expected_version=expected_version, fields=["status", "signed_at", "signed_by"]
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="assessment.sign",
        patient=assessment.patient,
        target=assessment,
    )


@transaction.atomic
def addendum_add(
    *, actor: Any, assessment: Assessment, reason: str, text: str, domain: str = ""
) -> Addendum:
    """Correct a signed assessment: the original stays as it was signed."""
    if assessment.status != Assessment.Status.SIGNED:
        raise ValidationError("A draft is edited directly; addenda are for signed assessments.")
    errors: dict[str, list[str]] = {}
    if not reason.strip() or len(reason) > 300:
        errors["reason"] = ["Give the reason for the addendum (under 300 characters)."]
    if not text.strip() or len(text) > 4000 or "\x00" in text:
        errors["text"] = ["Write the addendum (under 4000 characters)."]
    if domain and domain not in Domain.values:
        errors["domain"] = ["Choose a domain."]
    if errors:
        raise ValidationError(errors)
    row = Addendum.objects.create(
        assessment=assessment,
        domain=domain,
        reason=reason.strip(),
        text=text.strip(),
        author=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="assessment.addendum",
        patient=assessment.patient,
        target=row,
    )
    return row
