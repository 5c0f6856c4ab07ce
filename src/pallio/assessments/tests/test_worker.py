"""Alerts are judged by the real background worker (`pallio db_worker`), at least once with
an idempotent effect: killing the worker mid-run loses no alert and raises none twice
(SECURITY.md 22)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from pallio.assessments.models import Alert, SymptomReport
from pallio.assessments.services import ReportInput, report_submit
from pallio.assessments.tests.helpers import esas, phq

PROJECT_DIR = Path(__file__).resolve().parents[4]


pytestmark = pytest.mark.usefixtures("audit_trail_deletable")


def submit(world: Any, key: str, answers: dict[str, Any], patient: Any = None) -> Any:
    report, _ = report_submit(
        actor=world.navigator,
        patient=patient or world.alice,
        data=ReportInput(key, answers, "patient", "portal"),
    )
    return report


def test_saving_a_report_queues_its_evaluation_for_the_background_worker(
    world: Any, transactional_db: None
) -> None:
    submit(world, "esas-r", esas(pain=7))
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert Alert.objects.filter(rule_key="esas-severe").count() == 1
    assert SymptomReport.objects.get().evaluated_at is not None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


# --- the kill drill ----------------------------------------------------------------------------


class Drill:
    """The database the worker subprocesses use, and how to read it from this process."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = {**os.environ, "PALLIO_VAR_DIR": str(tmp_path), "PALLIO_TESTING": "1"}
        self.file: Path | None = None
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            # The in-memory test database cannot be shared with another process: copy it,
            # committed rows and all, to a file the workers open.
            self.file = tmp_path / "drill.sqlite3"
            target = sqlite3.connect(self.file)
            connection.ensure_connection()
            connection.connection.backup(target)
            target.close()
            self.env["DATABASE_URL"] = f"sqlite:///{self.file}"
        else:
            user = settings["USER"]
            password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
            host = settings.get("HOST") or "127.0.0.1"
            port = settings.get("PORT") or 5432
            self.env["DATABASE_URL"] = (
                f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
            )

    def scalar(self, sql: str) -> Any:
        if self.file is not None:
            with sqlite3.connect(self.file, timeout=30) as db:
                return db.execute(sql).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def pallio(self, *args: str, **kwargs: Any) -> Any:
        command = [sys.executable, "-m", "pallio.cli", *args]
        return subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **kwargs,
        )

    def run(self, *args: str) -> None:
        process = self.pallio(*args)
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()


def test_killing_the_worker_mid_run_loses_no_alert_and_raises_none_twice(
    world: Any, transactional_db: None, tmp_path: Path
) -> None:
    severe, positive = 120, 40
    for _ in range(severe):
        submit(world, "esas-r", esas(pain=9))  # each: one severe-symptom alert, no rise
    for _ in range(positive):
        submit(world, "phq-4", phq(3, 3, 0, 0))  # each: one PHQ-2 alert
    total = severe + positive
    drill = Drill(tmp_path)
    # One judging run is queued for the whole burst (each report found one waiting); it
    # judges them in batches, small here so that the kill lands part-way through.
    assert drill.scalar("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult") == 1
    drill.env["PALLIO_ALERT_BATCH"] = "8"

    worker = drill.pallio("db_worker", "--no-startup-delay", "--interval", "0.05")
    deadline = time.monotonic() + 120
    evaluated = 0
    try:
        while time.monotonic() < deadline:
            evaluated = drill.scalar(
                "SELECT COUNT(*) FROM assessments_symptomreport WHERE evaluated_at IS NOT NULL"
            )
            running = drill.scalar(
                "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status='RUNNING'"
            )
            if evaluated >= 20 and running:
                break
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert 0 < evaluated < total, "the worker was not stopped part-way through"

    # What a SIGKILL leaves: the claimed task stays RUNNING (django-tasks-db never resets it),
    # while the batch it was judging was rolled back and is still unevaluated.
    orphaned = drill.scalar(
        "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status='RUNNING'"
    )
    unevaluated = drill.scalar(
        "SELECT COUNT(*) FROM assessments_symptomreport WHERE evaluated_at IS NULL"
    )
    assert unevaluated > 0
    # A batch commits whole or not at all.
    assert (total - unevaluated) % 8 == 0

    # The sweep requeues what the dead worker dropped; a new worker finishes the queue.
    drill.run("alerts", "sweep", "--stale-minutes", "0", "--no-missing")
    drill.run("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    assert (
        drill.scalar("SELECT COUNT(*) FROM assessments_symptomreport WHERE evaluated_at IS NULL")
        == 0
    )
    assert (
        drill.scalar(
            "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status='RUNNING'"
        )
        == 0
    )
    # Plus one HOPE in-person visit: it covers every later screening while it is open.
    assert (
        drill.scalar(
            "SELECT COUNT(*) FROM assessments_alert WHERE rule_key <> 'hope-in-person-visit'"
        )
        == total
    )
    assert (
        drill.scalar(
            "SELECT COUNT(*) FROM assessments_alert WHERE rule_key = 'hope-in-person-visit'"
        )
        == 1
    )
    assert (
        drill.scalar(
            "SELECT COUNT(*) FROM (SELECT report_id, rule_key FROM assessments_alert "
            "GROUP BY report_id, rule_key HAVING COUNT(*) > 1) AS duplicates"
        )
        == 0
    )
    assert (
        drill.scalar(
            "SELECT COUNT(DISTINCT report_id) FROM assessments_alert WHERE rule_key='esas-severe'"
        )
        == severe
    )
    assert (
        drill.scalar(
            "SELECT COUNT(DISTINCT report_id) FROM assessments_alert WHERE rule_key='phq2-positive'"
        )
        == positive
    )
    # One follow-up task per alert, none twice.
    assert (
        drill.scalar("SELECT COUNT(*) FROM careplans_task WHERE kind='alert_follow_up'")
        == total + 1
    )
    print(f"killed after {evaluated} of {total}; orphaned RUNNING rows: {orphaned}")


# --- escalation by the worker, and a kill mid-escalation ---------------------------------------


def overdue_alerts(world: Any, count: int) -> Any:
    """`count` severe-symptom alerts for a patient whose lead is the physician, assigned to
    the nurse navigator and a day overdue, none acknowledged."""
    from datetime import date, timedelta

    from tests.support.personas import make_patient

    from pallio.assessments.models import AlertRule
    from pallio.assessments.services import alert_raise
    from pallio.core import clock

    patient = make_patient(
        world.riverside, "Carl", "Cole", date(1944, 6, 2), team=(world.physician, world.navigator)
    )
    rule = AlertRule.objects.get(program__isnull=True, key="esas-severe")
    raised_at = clock.now() - timedelta(days=2)
    for n in range(count):
        alert_raise(
            rule=rule, patient=patient, dedupe_key=f"drill:{n}", detail="Pain 9", now=raised_at
        )
    return patient


def test_the_worker_escalates_an_overdue_alert_to_the_lead_once(
    world: Any, transactional_db: None
) -> None:
    from pallio.assessments.models import AlertEscalation
    from pallio.assessments.tasks import escalations_enqueue

    overdue_alerts(world, 2)
    assert escalations_enqueue() == 2  # one run per program
    assert escalations_enqueue() == 0  # already waiting
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert AlertEscalation.objects.filter(step="lead", to_user=world.physician).count() == 2
    escalations_enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert AlertEscalation.objects.count() == 2  # the next run escalates nothing again


def test_killing_the_worker_mid_escalation_loses_no_step_and_repeats_none(
    world: Any, transactional_db: None, tmp_path: Path
) -> None:
    from pallio.assessments.tasks import escalations_enqueue

    total = 300
    overdue_alerts(world, total)
    escalations_enqueue()
    drill = Drill(tmp_path)
    escalated_sql = "SELECT COUNT(*) FROM assessments_alertescalation"
    running_sql = (
        "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status='RUNNING' "
        "AND task_path='pallio.assessments.tasks.alerts_escalate_task'"
    )

    worker = drill.pallio("db_worker", "--no-startup-delay", "--interval", "0.05")
    deadline = time.monotonic() + 120
    escalated = 0
    try:
        while time.monotonic() < deadline:
            escalated = drill.scalar(escalated_sql)
            if escalated >= 20 and drill.scalar(running_sql):
                break
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    escalated = drill.scalar(escalated_sql)
    assert 0 < escalated < total, "the worker was not stopped part-way through"
    assert drill.scalar(running_sql) == 1  # the run it was in, left claimed for ever

    # The sweep marks the dead run failed and queues another; a new worker finishes it.
    drill.run("alerts", "sweep", "--stale-minutes", "0", "--no-missing")
    drill.run("db_worker", "--batch", "--no-startup-delay", "--interval", "0")

    assert drill.scalar(running_sql) == 0
    assert drill.scalar(escalated_sql) == total
    assert (
        drill.scalar(
            "SELECT COUNT(DISTINCT alert_id) FROM assessments_alertescalation WHERE step='lead'"
        )
        == total
    )
    assert (
        drill.scalar(
            "SELECT COUNT(*) FROM assessments_alertescalation e JOIN accounts_user u "
            "ON u.id = e.to_user_id WHERE u.username = 'phil'"  # the team lead
        )
        == total
    )
    # One audit event per step: nothing written twice, nothing of the killed step kept.
    assert (
        drill.scalar("SELECT COUNT(*) FROM audit_auditevent WHERE event='alert.escalate'") == total
    )
    print(f"killed after {escalated} of {total} escalations")
