"""The caseload shows, in words, each patient's code status, phase of care, open alerts and
next task (with the last visit), dated in the program's time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from tests.support.personas import make_patient

from pallio.acp.services import code_status_change
from pallio.assessments.services import ReportInput, phase_record, report_evaluate, report_submit
from pallio.assessments.tests.helpers import esas
from pallio.careplans.models import Task, TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.visits.models import Visit

NEW_YORK = ZoneInfo("America/New_York")


def row_of(body: str, family: str) -> str:
    rows = re.findall(r'<tr data-testid="caseload-row">.*?</tr>', body, re.S)
    return next(r for r in rows if family in r)


def cell(row: str, name: str) -> str:
    found = re.search(rf'data-testid="caseload-{name}">(.*?)</td>', row, re.S)
    assert found, name
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_a_patient_with_nothing_recorded_says_so_in_words(world, as_user):
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    row = row_of(body, "Anders")
    assert cell(row, "code-status") == "Not documented"
    assert cell(row, "phase") == "Not recorded"
    assert cell(row, "alerts") == "None open"
    # Everyone on a team starts with the first-contact task.
    first_contact = world.alice.tasks.get(status="open")
    due = first_contact.due
    assert cell(row, "next") == f"Task due {due.day} {due:%b} {first_contact.title}"
    first_contact.status = "done"
    first_contact.save()
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    assert cell(row_of(body, "Anders"), "next") == "No open task"


def test_code_status_phase_alerts_next_task_and_last_visit_in_plain_words(world, as_user):
    # 23:30 on 2 December in New York is already 3 December in UTC.
    late = datetime(2026, 12, 2, 23, 30, tzinfo=NEW_YORK)
    with clock.frozen(late + timedelta(minutes=5)):
        code_status_change(
            actor=world.physician,
            patient=world.alice,
            status="dnr",
            effective_date=late.date(),
            expected_current_id=None,
        )
        phase_record(actor=world.navigator, patient=world.alice, phase="unstable", contact="visit")
        for pain in (8, 9):
            report, _ = report_submit(
                actor=world.navigator,
                patient=world.alice,
                data=ReportInput("esas-r", esas(pain=pain), "patient", "call"),
            )
            report_evaluate(report_id=report.pk)
        task_create(
            actor=None,
            patient=world.alice,
            kind=TaskKind.FOLLOW_UP,
            title="Call about the new dose",
            due=late.date() + timedelta(days=2),
        )
        Visit.objects.create(
            program=world.riverside,
            patient=world.alice,
            clinician=world.navigator,
            discipline="nurse_navigator",
            setting="home",
            mode="in_person",
            started_at=late,
            reason="Pain",
        )
        # Only the new task stays open (the first contact and the alerts' follow-ups close).
        Task.objects.filter(patient=world.alice).exclude(title="Call about the new dose").update(
            status="done"
        )
        body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    row = row_of(body, "Anders")
    assert cell(row, "code-status") == "DNR"
    assert "code-status-no-cpr" in row
    assert cell(row, "phase") == "Unstable"
    open_alerts = world.alice.alerts.exclude(status="resolved").count()
    assert open_alerts >= 2
    assert cell(row, "alerts") == f"{open_alerts} open alerts"
    assert cell(row, "next") == "Task due 4 Dec Call about the new dose Last visit 2 Dec"


def test_full_code_is_shown_apart_from_a_status_that_refuses_resuscitation(world, as_user):
    code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="full_code",
        effective_date=clock.today_in("America/New_York"),
        expected_current_id=None,
    )
    patient = make_patient(
        world.riverside, "Carl", "Cole", datetime(1944, 2, 2).date(), team=(world.navigator,)
    )
    code_status_change(
        actor=world.physician,
        patient=patient,
        status="dnr_dni",
        effective_date=clock.today_in("America/New_York"),
        expected_current_id=None,
    )
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    alice = row_of(body, "Anders")
    assert cell(alice, "code-status") == "Full code" and "code-status-full" in alice
    carl = row_of(body, "Cole")
    assert cell(carl, "code-status") == "DNR/DNI" and "code-status-no-cpr" in carl


def test_each_row_links_to_the_chart_and_the_symptom_trends(world, as_user):
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    row = row_of(body, "Anders")
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    trends = reverse("assessments:trends", kwargs={"patient_id": world.alice.pk})
    assert f'href="{chart}"' in row
    assert f'class="sparkline-link text-decoration-none" href="{trends}"' in row
