"""The caseload's symptom-burden column (requirement 5) and the alert worklist in the menu."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from pallio.assessments.services import ReportInput, report_submit
from pallio.assessments.tests.helpers import esas
from pallio.core import clock


def report(world, weeks_ago, **values):
    report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput(
            "esas-r",
            esas(**values),
            "patient",
            "call",
            answered_at=clock.now() - timedelta(weeks=weeks_ago),
        ),
    )


def test_caseload_shows_each_patients_symptom_burden_as_a_labelled_sparkline(world, as_user):
    report(world, 3, pain=8, tiredness=6)
    report(world, 2, pain=6, tiredness=5)
    report(world, 1, pain=3, tiredness=2, nausea=1)
    report(world, 40, pain=10)  # older than the sparkline's window
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    assert "Symptom burden" in body
    assert (
        'aria-label="Symptom burden (ESAS-r total, 0 to 90): latest 6, 3 reports, '
        'down 8 since the first"'
    ) in body
    assert "<polyline" in body and "<canvas" not in body
    assert reverse("assessments:trends", kwargs={"patient_id": world.alice.pk}) in body


def test_a_patient_without_reports_says_so_in_words(world, as_user):
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    assert "No symptom reports in the last 24 weeks" in body


def test_the_menu_links_clinical_staff_to_the_alert_worklist(world, as_user):
    worklist = reverse("assessments:worklist")
    body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    assert f'href="{worklist}">Alerts</a>' in body
    body = as_user(world.privacy).get(reverse("audit:log")).content.decode()
    assert f'href="{worklist}"' not in body
