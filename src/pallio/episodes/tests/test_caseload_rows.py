"""The caseload's rows written in Python (episodes/caseload_rows.py) are, to the byte, what
their template renders: for rows of every kind, in both languages, on the day a task falls
overdue; and a changed template takes the rows back from the fast path."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from tests.support.personas import make_patient

from pallio.acp.services import code_status_change
from pallio.assessments.services import ReportInput, phase_record, report_evaluate, report_submit
from pallio.assessments.tests.helpers import esas
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.links import row_link
from pallio.core.written_templates import source_sha256
from pallio.episodes import caseload_rows
from pallio.episodes.selectors import caseload_page_for
from pallio.patients.models import Condition
from pallio.visits.models import Visit

NEW_YORK = ZoneInfo("America/New_York")
# 23:30 on 2 December in New York is already 3 December in UTC.
LATE = datetime(2026, 12, 2, 23, 30, tzinfo=NEW_YORK)


def every_kind_of_row(world):
    """Patients whose rows take every branch of the template: nothing recorded; a status
    refusing CPR, a phase, alerts, a task due in two days, a visit late at night, diagnoses
    (advanced, long, with markup and in decomposed Unicode); full code with an overdue task;
    a name that needs escaping and nothing else."""
    alice = world.alice
    code_status_change(
        actor=world.physician,
        patient=alice,
        status="dnr",
        effective_date=LATE.date(),
        expected_current_id=None,
    )
    phase_record(actor=world.navigator, patient=alice, phase="unstable", contact="visit")
    for pain in (8, 9):
        report, _ = report_submit(
            actor=world.navigator,
            patient=alice,
            data=ReportInput("esas-r", esas(pain=pain), "patient", "call"),
        )
        report_evaluate(report_id=report.pk)
    task_create(
        actor=None,
        patient=alice,
        kind=TaskKind.FOLLOW_UP,
        title="Call about the new dose <b>before</b> the weekend & the family's visit",
        due=LATE.date() + timedelta(days=2),
    )
    Visit.objects.create(
        program=world.riverside,
        patient=alice,
        clinician=world.navigator,
        discipline="nurse_navigator",
        setting="home",
        mode="in_person",
        started_at=LATE,
        reason="Pain",
    )
    for display, advanced in (
        ("Malignant neoplasm of pancreas, head, with liver metastases <T4 N1 M1>", True),
        ('Cafe\u0301 au lait & "quoted" heart failure', False),
        ("COPD", False),
    ):
        Condition.objects.create(
            patient=alice,
            system="http://snomed.info/sct",
            code="1",
            display=display,
            advanced=advanced,
        )
    carl = make_patient(world.riverside, "Carl", "Cole", date(1944, 2, 29), team=(world.navigator,))
    code_status_change(
        actor=world.physician,
        patient=carl,
        status="full_code",
        effective_date=LATE.date(),
        expected_current_id=None,
    )
    task_create(
        actor=None,
        patient=carl,
        kind=TaskKind.FOLLOW_UP,
        title="Overdue call",
        due=LATE.date() - timedelta(days=1),
    )
    make_patient(
        world.riverside,
        "<script>Eve</script>",
        'O\'Brien & "Sons"',
        date(1950, 1, 1),
        team=(world.navigator,),
    )


def both_ways(world):
    page = caseload_page_for(world.navigator, world.navigator, 1)
    chart = row_link("patients:chart", "patient_id")
    trends = row_link("assessments:trends", "patient_id")
    for row in page.object_list:
        row.chart_url, row.trends_url = chart(row.pk), trends(row.pk)
    today = clock.today_in("America/New_York")
    return (
        caseload_rows.caseload_rows(page.object_list, today),
        caseload_rows.template_rows(page.object_list, today),
    )


def test_the_fast_path_is_on_for_this_template():
    # Off, the rows are right but slow: whoever changes the row's template updates the module.
    assert caseload_rows.fast_path_on(), "update caseload_rows.py to the changed template"


@pytest.mark.parametrize("language", ["en", "es"])
def test_rows_of_every_kind_are_written_as_their_template_renders_them(world, language):
    with clock.frozen(LATE + timedelta(minutes=5)):
        every_kind_of_row(world)
        with translation.override(language), timezone.override(NEW_YORK):
            fast, template = both_ways(world)
    assert fast.count('<tr data-testid="caseload-row">') >= 3
    assert "(advanced)" in fast and "&lt;script&gt;" in fast and "badge-overdue" in fast
    assert "Last visit 2 " in fast or "Last visit 2 dic" in fast
    assert fast == template


def test_a_changed_template_renders_the_rows_itself(world, as_user, monkeypatch):
    with clock.frozen(LATE + timedelta(minutes=5)):
        every_kind_of_row(world)
        with timezone.override(NEW_YORK):
            _, template = both_ways(world)
        monkeypatch.setattr(caseload_rows.SOURCE, "sha256", source_sha256("an older row"))
        monkeypatch.setattr(caseload_rows.SOURCE, "_holds", None)
        with timezone.override(NEW_YORK):
            fast, _ = both_ways(world)
        assert not caseload_rows.fast_path_on()
        body = as_user(world.navigator).get(reverse("episodes:caseload")).content.decode()
    assert fast == template
    assert template in body
