"""Judging symptom reports in batches: what the background worker does with a burst of
diaries (thousands after the morning reminder).

A batch gives the same alerts, follow-up tasks and audit events as judging each report with
reports.report_evaluate in the order the reports were saved, in a few statements whatever
its size: the rules are read once per program, the previous scores of every report in one
query, and the alerts, their tasks, history rows and audit events written with one INSERT
each.

Exactly once: the reports of a batch are locked (FOR UPDATE; SKIP LOCKED when a worker
claims what is waiting, so two workers share a burst), and their ``evaluated_at`` is set in
the transaction that writes their alerts. A worker killed mid-batch leaves nothing of it;
the reports stay unjudged and the next claim takes them. An alert is unique per (report,
rule) besides, so nothing a race could do raises one twice. SQLite has no row locks: its
transactions start IMMEDIATE (settings), so claims there are taken one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import JSONField, OuterRef, Q, QuerySet, Subquery
from simple_history.utils import bulk_create_with_history

from pallio.assessments import instruments as inst
from pallio.assessments.models import Alert, AlertRule, Instrument, SymptomReport
from pallio.assessments.rules import Finding
from pallio.assessments.services.reports import (
    NEEDS_PREVIOUS,
    ONE_OPEN_PER_PATIENT,
    alert_due_at,
    alert_task_title,
    report_findings,
    rules_for,
)
from pallio.audit.models import Action
from pallio.audit.services import audit_record_many
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_build, tasks_create_many
from pallio.core import clock
from pallio.episodes.models import CareTeamMember, EpisodeOfCare
from pallio.patients.models import Patient
from pallio.programs.models import Program

# The fields of a report that judging reads.
REPORT_FIELDS = (
    "id",
    "created_at",
    "program_id",
    "patient_id",
    "instrument_id",
    "instrument_key",
    "scores",
    "answered_at",
    "evaluated_at",
    "entered_in_error",
)


def batch_size() -> int:
    return max(1, int(getattr(settings, "PALLIO_ALERT_BATCH", 500)))


def _locked(reports: QuerySet[SymptomReport], *, skip_locked: bool) -> QuerySet[SymptomReport]:
    return (
        reports.filter(evaluated_at__isnull=True)
        .select_for_update(skip_locked=skip_locked, of=("self",))
        .only(*REPORT_FIELDS)
        .order_by("created_at", "id")
    )


def reports_evaluate(report_ids: Iterable[Any]) -> list[Alert]:
    """Judge these reports (those not judged yet) in one transaction, as report_evaluate
    would judge each in the order they were saved; returns the alerts raised."""
    ids = list(report_ids)
    with transaction.atomic():
        reports = list(_locked(SymptomReport.objects.filter(pk__in=ids), skip_locked=False))
        return _judge(reports)


def reports_evaluate_pending(
    *, limit: int | None = None, exclude: Iterable[Any] = ()
) -> tuple[list[Any], list[Alert]]:
    """Claim up to `limit` reports waiting to be judged (oldest first; rows another worker
    holds are skipped) and judge them in one transaction. Returns (the reports' ids, the
    alerts raised); no ids when nothing is waiting."""
    waiting = SymptomReport.objects.all()
    skip = list(exclude)
    if skip:
        waiting = waiting.exclude(pk__in=skip)
    with transaction.atomic():
        reports = list(_locked(waiting, skip_locked=True)[: limit or batch_size()])
        return [r.pk for r in reports], _judge(reports)


def reports_waiting(*, limit: int, exclude: Iterable[Any] = ()) -> list[Any]:
    """The ids of the oldest reports not judged yet."""
    return list(
        SymptomReport.objects.filter(evaluated_at__isnull=True)
        .exclude(pk__in=list(exclude))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def previous_scores_of(report_ids: list[Any]) -> dict[Any, dict[str, Any] | None]:
    """Each report's previous report of the same instrument for its patient (what
    report_evaluate looks up one at a time), in one query."""
    if not report_ids:
        return {}
    before = (
        SymptomReport.objects.filter(
            patient_id=OuterRef("patient_id"),
            instrument_key=OuterRef("instrument_key"),
            entered_in_error=False,
        )
        .filter(
            Q(answered_at__lt=OuterRef("answered_at"))
            | Q(answered_at=OuterRef("answered_at"), created_at__lt=OuterRef("created_at"))
        )
        .order_by("-answered_at", "-created_at")
        .values("scores")[:1]
    )
    rows = (
        SymptomReport.objects.filter(pk__in=report_ids)
        .annotate(previous=Subquery(before, output_field=JSONField()))
        .values_list("pk", "previous")
    )
    return dict(rows)


class _Context:
    """What a batch reads once: patients, programs and their rules, instruments."""

    def __init__(self, reports: list[SymptomReport]) -> None:
        self.patients = Patient._base_manager.only("id", "program_id").in_bulk(
            {r.patient_id for r in reports}
        )
        program_ids = {p.program_id for p in self.patients.values()}
        self.programs = Program.objects.in_bulk(program_ids)
        self.rules: dict[Any, list[AlertRule]] = {
            pk: rules_for(program) for pk, program in self.programs.items()
        }
        self.zones = {pk: ZoneInfo(p.timezone) for pk, p in self.programs.items()}
        judged = {r.instrument_id for r in reports if not r.entered_in_error}
        self.specs = {
            pk: inst.spec_of(i.questionnaire)
            for pk, i in Instrument.objects.only("id", "questionnaire").in_bulk(judged).items()
        }

    def rules_of(self, report: SymptomReport) -> list[AlertRule]:
        return self.rules[self.patients[report.patient_id].program_id]


def _first_active_episodes(patient_ids: set[Any]) -> dict[Any, EpisodeOfCare]:
    first: dict[Any, EpisodeOfCare] = {}
    for episode in EpisodeOfCare.objects.filter(
        patient_id__in=patient_ids, status=EpisodeOfCare.Status.ACTIVE
    ).order_by("-start"):  # EpisodeOfCare's own order, as .first() reads it
        first.setdefault(episode.patient_id, episode)
    return first


def _assignees(patient_ids: set[Any], disciplines: set[str]) -> dict[tuple[Any, str], Any]:
    first: dict[tuple[Any, str], Any] = {}
    for member in (
        CareTeamMember.objects.filter(
            patient_id__in=patient_ids, active=True, discipline__in=disciplines
        )
        .select_related("user")
        .order_by("-is_lead", "created_at")
    ):
        first.setdefault((member.patient_id, member.discipline), member.user)
    return first


def _judge(reports: list[SymptomReport]) -> list[Alert]:
    """Judge locked reports, oldest first, and mark them judged; one transaction."""
    if not reports:
        return []
    context = _Context(reports)
    judged = [r for r in reports if not r.entered_in_error]
    previous = previous_scores_of(
        [
            r.pk
            for r in judged
            if any(
                rule.kind in NEEDS_PREVIOUS and rule.instrument_key == r.instrument_key
                for rule in context.rules_of(r)
            )
        ]
    )
    fired: list[tuple[SymptomReport, list[tuple[AlertRule, Finding]]]] = []
    for report in judged:
        found = report_findings(
            context.rules_of(report),
            instrument_key=report.instrument_key,
            spec=context.specs[report.instrument_id],
            scores=report.scores,
            previous_of=partial(previous.get, report.pk),
        )
        if found:
            fired.append((report, found))
    alerts = _raise_all(context, fired) if fired else []
    SymptomReport.objects.filter(pk__in=[r.pk for r in reports]).update(evaluated_at=clock.now())
    return alerts


def _raise_all(
    context: _Context, fired: list[tuple[SymptomReport, list[tuple[AlertRule, Finding]]]]
) -> list[Alert]:
    """alert_raise for every finding, in order, with what it reads fetched once."""
    patient_ids = {report.patient_id for report, _ in fired}
    keys = [f"report:{report.pk}:{rule.key}" for report, found in fired for rule, _ in found]
    existing = set(Alert.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    once_keys = {
        rule.key for _, found in fired for rule, _ in found if rule.kind in ONE_OPEN_PER_PATIENT
    }
    open_once: set[tuple[Any, str]] = set()
    if once_keys:
        open_once = set(
            Alert.objects.filter(patient_id__in=patient_ids, rule_key__in=once_keys)
            .exclude(status=Alert.Status.RESOLVED)
            .values_list("patient_id", "rule_key")
        )
    episodes = _first_active_episodes(patient_ids)
    assignees = _assignees(patient_ids, {rule.discipline for _, f in fired for rule, _ in f})
    tasks: list[Task] = []
    alerts: list[Alert] = []
    for report, found in fired:
        patient = context.patients[report.patient_id]
        zone = context.zones[patient.program_id]
        for rule, finding in found:
            if rule.kind in ONE_OPEN_PER_PATIENT and (patient.pk, rule.key) in open_once:
                continue
            dedupe_key = f"report:{report.pk}:{rule.key}"
            if dedupe_key in existing:
                continue
            existing.add(dedupe_key)
            if rule.kind in ONE_OPEN_PER_PATIENT:
                open_once.add((patient.pk, rule.key))
            now = clock.now()
            due_at = alert_due_at(rule, now=now, zone=zone, since=report.answered_at)
            task = task_build(
                actor=None,
                patient=patient,
                episode=episodes.get(patient.pk),
                kind=TaskKind.ALERT_FOLLOW_UP,
                title=alert_task_title(rule, finding.detail),
                due=due_at.astimezone(zone).date(),
                discipline=rule.discipline,
                assigned_to=assignees.get((patient.pk, rule.discipline)),
            )
            tasks.append(task)
            alerts.append(
                Alert(
                    program_id=patient.program_id,
                    patient=patient,
                    rule=rule,
                    rule_key=rule.key,
                    report=report,
                    dedupe_key=dedupe_key,
                    title=rule.title,
                    detail=finding.detail[:2000],
                    discipline=rule.discipline,
                    priority=rule.priority,
                    task=task,
                    raised_at=now,
                    due_at=due_at,
                )
            )
    tasks_create_many(tasks)
    bulk_create_with_history(alerts, Alert)
    audit_record_many(
        [
            {
                "actor": None,
                "action": Action.CREATE,
                "event": "alert.raise",
                "patient": alert.patient,
                "target": alert,
                "detail": {"rule": alert.rule_key},
            }
            for alert in alerts
        ]
    )
    return alerts
