"""List pages cost a fixed number of queries whatever their length (DESIGN rule 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pallio.acp.services import code_status_change
from pallio.assessments.services import ReportInput, phase_record, report_evaluate, report_submit
from pallio.assessments.tests.helpers import esas
from pallio.careplans.models import TaskKind
from pallio.careplans.services import task_create
from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.episodes.services import care_team_add
from pallio.referrals import services
from pallio.visits.models import Visit
from tests.support.personas import make_patient


def add_referrals(program, count: int, offset: int = 0) -> None:
    for n in range(count):
        services.referral_create(
            actor=None,
            program=program,
            source="provider",
            data=services.ReferralInput(
                given_name=f"Given{n + offset}",
                family_name=f"Family{n + offset}",
                birth_date=date(1940, 1, 1) + timedelta(days=n + offset),
                diagnosis_system=ICD10CM,
                diagnosis_code="I50.9",
                urgency=["urgent", "soon", "routine"][n % 3],
                referrer_name="Dr. Who",
                referrer_email="who@example.org",
                consent_to_contact=True,
            ),
        )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_referral_queue_query_count_does_not_grow(world, as_user):
    client = as_user(world.coordinator)
    url = reverse("referrals:queue")
    add_referrals(world.riverside, 3)
    few = queries_for(client, url)
    add_referrals(world.riverside, 22, offset=100)
    many = queries_for(client, url)
    assert few == many, f"{few} queries for 3 referrals, {many} for 25"


@pytest.mark.django_db
def test_caseload_query_count_does_not_grow(world, as_user):
    client = as_user(world.navigator)
    url = reverse("episodes:caseload")
    few = queries_for(client, url)
    for n in range(15):
        patient = make_patient(
            world.riverside, f"Pat{n}", f"Case{n}", date(1950, 1, 1 + n), team=(world.navigator,)
        )
        task_create(
            actor=None,
            patient=patient,
            kind=TaskKind.FOLLOW_UP,
            title="Call",
            due=clock.today_in(world.riverside.timezone),
        )
        # What each row shows beside the patient: code status, phase, alerts, last visit.
        code_status_change(
            actor=world.physician,
            patient=patient,
            status=["full_code", "dnr", "dnr_dni"][n % 3],
            effective_date=clock.today_in(world.riverside.timezone),
            expected_current_id=None,
        )
        phase_record(actor=world.navigator, patient=patient, phase="stable", contact="visit")
        Visit.objects.create(
            program=world.riverside,
            patient=patient,
            clinician=world.navigator,
            discipline="nurse_navigator",
            setting="home",
            mode="in_person",
            started_at=clock.now() - timedelta(days=n),
            reason="Review",
        )
        if n % 4 == 0:
            report, _ = report_submit(
                actor=world.navigator,
                patient=patient,
                data=ReportInput("esas-r", esas(pain=9), "patient", "call"),
            )
            report_evaluate(report_id=report.pk)
    many = queries_for(client, url)
    assert few == many, f"{few} queries for 1 patient, {many} for 16"
    assert b"open alert" in client.get(url).content


@pytest.mark.django_db
def test_chart_query_count_does_not_grow_with_team_and_tasks(world, as_user):
    client = as_user(world.navigator)
    url = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    few = queries_for(client, url)
    episode = world.alice.episodes.get()
    care_team_add(actor=None, episode=episode, user=world.social_worker)
    for n in range(8):
        task_create(
            actor=None,
            patient=world.alice,
            kind=TaskKind.FOLLOW_UP,
            title=f"Task {n}",
            due=clock.today_in(world.riverside.timezone),
            assigned_to=world.physician,
        )
    many = queries_for(client, url)
    assert few == many, f"{few} queries before, {many} after adding team members and tasks"
