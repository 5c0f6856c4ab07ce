"""Judging symptom reports in batches (the background worker) raises exactly the alerts,
follow-up tasks and audit events of judging them one by one, once, and a batch that fails
part-way leaves nothing behind (issue 11, requirement 4)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from pallio.assessments.models import Alert, AlertRule, SymptomReport
from pallio.assessments.services import (
    ReportInput,
    report_evaluate,
    report_submit,
    reports_evaluate,
    reports_evaluate_pending,
)
from pallio.assessments.services import batch as batch_module
from pallio.assessments.tasks import TASK_PATH, report_evaluate_task
from pallio.assessments.tests.helpers import esas, phq
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.core import clock

pytestmark = pytest.mark.django_db


def asq(*yes: int, acute: bool) -> dict[str, str]:
    answers = {f"asq-{n}": "yes" if n in yes else "no" for n in range(1, 5)}
    answers["asq-5"] = "yes" if acute else "no"
    return answers


class Reports:
    """Reports submitted one a second, as a burst of diaries arrives."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.at = clock.now() - timedelta(hours=2)
        self.made: list[SymptomReport] = []

    def add(self, patient: Any, key: str, answers: dict[str, Any], *, days_ago: float = 0) -> Any:
        self.at += timedelta(seconds=1)
        with clock.frozen(self.at):
            report, _ = report_submit(
                actor=self.world.navigator,
                patient=patient,
                data=ReportInput(
                    key,
                    answers,
                    "patient",
                    "portal",
                    answered_at=self.at - timedelta(days=days_ago),
                ),
            )
        self.made.append(report)
        return report

    @property
    def ids(self) -> list[Any]:
        return [r.pk for r in self.made]


def varied_reports(world: Any) -> Reports:
    """Every rule kind, rises from an older report, HOPE visits one per patient while open,
    a rule that yields to another, partial answers, an entry in error, a report judged
    already, patients with and without a care team or an episode, two programs (one with
    its own rules, in another time zone)."""
    AlertRule.objects.create(
        program=world.hillside,
        key="hope-in-person-visit",
        kind="item_severity_at_least",
        title="In-person visit",
        instrument_key="esas-r",
        severity="moderate",
        discipline="nurse_navigator",
        due_hours=48,
        active=False,
    )
    AlertRule.objects.create(
        program=world.hillside,
        key="esas-severe",
        kind="item_severity",
        title="Hillside: severe symptom",
        instrument_key="esas-r",
        severity="severe",
        discipline="physician",
        due_hours=12,
        priority=1,
    )
    reports = Reports(world)
    alice, bob, hana = world.alice, world.bob, world.hana
    judged = reports.add(alice, "esas-r", esas(nausea=1), days_ago=14)
    report_evaluate(report_id=judged.pk)  # in the list, already judged: skipped both ways
    reports.add(alice, "esas-r", esas(nausea=1, anxiety=2), days_ago=7)
    reports.add(alice, "esas-r", esas(nausea=4, anxiety=4, pain=8), days_ago=1)
    reports.add(alice, "esas-r", esas(pain=5))  # a second HOPE visit while one is open: none
    reports.add(alice, "phq-4", phq(3, 3, 3, 3))
    reports.add(alice, "distress-thermometer", {"score": 4})  # no social worker on the team
    reports.add(alice, "asq", asq(1, acute=True))  # the emergency, not the positive screen
    reports.add(alice, "asq", asq(2, acute=False))
    reports.add(alice, "pps", {"pps": "60"}, days_ago=3)
    reports.add(alice, "pps", {"pps": "30"})
    partial = esas(pain=10)
    del partial["tiredness"]
    reports.add(alice, "esas-r", partial)
    wrong = reports.add(alice, "esas-r", esas(pain=9))
    SymptomReport.objects.filter(pk=wrong.pk).update(entered_in_error=True)
    reports.add(bob, "esas-r", esas(pain=9, dyspnea=7))  # no team: nobody assigned
    reports.add(bob, "esas-r", esas(pain=2))
    reports.add(bob, "esas-r", esas(pain=6), days_ago=30)  # older than bob's others
    reports.add(hana, "esas-r", esas(pain=7, nausea=5))  # Hillside's own rules, Chicago
    reports.add(hana, "distress-thermometer", {"score": 9})
    reports.add(hana, "esas-r", esas())
    return reports


def snapshot(ids: list[Any]) -> dict[str, Any]:
    """What judging left, in terms that do not depend on generated ids."""
    order = {pk: n for n, pk in enumerate(ids)}
    alerts = []
    for alert in Alert.objects.filter(report_id__in=ids).select_related(
        "task", "task__assigned_to", "patient", "rule"
    ):
        task = alert.task
        assert task is not None
        alerts.append(
            (
                order[alert.report_id],
                alert.rule_key,
                alert.rule_id,
                alert.priority,
                alert.patient.given_name,
                alert.program_id,
                alert.title,
                alert.detail,
                alert.discipline,
                alert.status,
                alert.raised_at,
                alert.due_at,
                task.kind,
                task.title,
                task.due,
                task.discipline,
                task.assigned_to.username if task.assigned_to else None,
                task.episode_id,
                task.status,
                task.created_by_id,
            )
        )
    tasks = Task.objects.filter(kind="alert_follow_up")
    events = AuditEvent.objects.filter(event__in=["alert.raise", "task.create"])
    return {
        "alerts": sorted(alerts),
        "judged": sorted(
            order[pk]
            for pk in SymptomReport.objects.filter(
                pk__in=ids, evaluated_at__isnull=False
            ).values_list("pk", flat=True)
        ),
        "tasks": tasks.count(),
        "alert history": Alert.history.filter(history_type="+").count(),
        "task history": Task.history.filter(history_type="+", kind="alert_follow_up").count(),
        "audit": Counter(
            (e.event, e.action, e.patient_id, e.program_id, e.username, str(e.detail))
            for e in events
        ),
    }


def test_a_batch_raises_exactly_what_judging_one_by_one_raises(world):
    reports = varied_reports(world)
    ids = reports.ids
    before = snapshot(ids)
    judged_at = clock.now() + timedelta(minutes=5)
    with transaction.atomic(), clock.frozen(judged_at):
        for pk in ids:
            report_evaluate(report_id=pk)
        one_by_one = snapshot(ids)
        transaction.set_rollback(True)
    assert snapshot(ids) == before  # back to unjudged
    with clock.frozen(judged_at):
        raised = reports_evaluate(ids)
    batched = snapshot(ids)

    assert batched == one_by_one
    assert len(raised) == len(batched["alerts"]) - len(before["alerts"])
    assert batched["judged"] == list(range(len(ids)))
    rules = Counter(a[1] for a in batched["alerts"])
    # The scenario reaches what it means to: every kind, yields, one visit while open.
    assert {"esas-severe", "esas-rise", "pps-fall", "phq2-positive", "distress-4"} <= set(rules)
    assert rules["asq-acute-physician"] == 1 and rules["asq-positive-physician"] == 1
    assert rules["hope-in-person-visit"] == 2  # alice once (while open), bob once
    assert {a[4] for a in batched["alerts"] if a[16] is None} >= {"Bob"}
    assert any(a[6] == "Hillside: severe symptom" for a in batched["alerts"])


def test_judging_again_raises_nothing_twice(world):
    reports = varied_reports(world)
    first = reports_evaluate(reports.ids)
    assert first
    counts = (Alert.objects.count(), Task.objects.count(), AuditEvent.objects.count())
    assert reports_evaluate(reports.ids) == []
    assert reports_evaluate_pending() == ([], [])
    for pk in reports.ids:
        assert report_evaluate(report_id=pk) == []
    assert (Alert.objects.count(), Task.objects.count(), AuditEvent.objects.count()) == counts


def test_a_batch_that_fails_part_way_leaves_nothing_and_is_judged_whole_next_time(
    world, monkeypatch
):
    reports = varied_reports(world)
    counts = (Alert.objects.count(), Task.objects.count(), AuditEvent.objects.count())

    def crash(entries: Any) -> None:
        raise RuntimeError("the worker died writing the audit trail")

    # The alerts and tasks are written by then; the audit events are not.
    monkeypatch.setattr(batch_module, "audit_record_many", crash)
    with pytest.raises(RuntimeError):
        reports_evaluate_pending(limit=100)
    assert (Alert.objects.count(), Task.objects.count(), AuditEvent.objects.count()) == counts
    assert (
        SymptomReport.objects.filter(pk__in=reports.ids, evaluated_at=None).count()
        == len(reports.ids) - 1
    )
    monkeypatch.undo()
    claimed, raised = reports_evaluate_pending(limit=100)
    assert len(claimed) == len(reports.ids) - 1 and raised
    assert not SymptomReport.objects.filter(evaluated_at=None).exists()


def test_the_oldest_reports_are_claimed_first_up_to_the_limit(world):
    reports = varied_reports(world)
    waiting = [pk for pk in reports.ids if pk != reports.ids[0]]
    claimed, _ = reports_evaluate_pending(limit=4)
    assert claimed == waiting[:4]
    claimed, _ = reports_evaluate_pending(limit=100)
    assert claimed == waiting[4:]


def test_a_burst_queues_one_run_that_judges_every_report_in_batches(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PALLIO_ALERT_BATCH = 3
    reports = Reports(world)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(10):
            reports.add(world.alice if n % 2 else world.bob, "esas-r", esas(pain=9))
    [queued] = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY")
    assert queued.args_kwargs["kwargs"] == {"report_id": str(reports.ids[0])}
    raised = report_evaluate_task.call(report_id=str(reports.ids[0]))
    assert raised == 10 + 2  # a severe alert each, and one HOPE visit per patient
    assert not SymptomReport.objects.filter(evaluated_at=None).exists()


def test_a_report_that_cannot_be_judged_holds_none_of_the_others_back(world, monkeypatch):
    from pallio.assessments import tasks

    reports = Reports(world)
    bad = reports.add(world.alice, "esas-r", esas(pain=9))
    good = [reports.add(world.bob, "esas-r", esas(pain=9)) for _ in range(3)]
    real = batch_module.report_findings

    def findings(rules: Any, **kwargs: Any) -> Any:
        if kwargs["scores"] == {"poison": True}:
            raise ValueError("a report nobody can judge")
        return real(rules, **kwargs)

    SymptomReport.objects.filter(pk=bad.pk).update(scores={"poison": True})
    monkeypatch.setattr(batch_module, "report_findings", findings)
    monkeypatch.setattr(
        "pallio.assessments.services.reports.report_findings", findings, raising=True
    )
    assert tasks.reports_drain() == 3 + 1  # the others' severe alerts and bob's visit
    assert set(
        SymptomReport.objects.filter(evaluated_at__isnull=False).values_list("pk", flat=True)
    ) == {r.pk for r in good}
