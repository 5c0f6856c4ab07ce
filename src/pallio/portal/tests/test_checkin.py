"""The caregiver check-in: recorded as the caregiver needs screen, a high score is a task for
the social worker, and the program's support services are shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.assessments.models import SymptomReport
from pallio.careplans.models import Task
from pallio.coordination.models import Agency
from pallio.episodes.services import care_team_add
from pallio.portal.checkin import checkin_submit
from pallio.portal.models import PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account

pytestmark = pytest.mark.django_db

NEEDS = ("information", "hands-on", "respite", "emotional", "financial", "help-at-home")


def checkin_url(patient) -> str:
    return reverse("portal:checkin", args=[patient.pk])


def answers(yes: int) -> dict[str, str]:
    return {key: ("yes" if n < yes else "no") for n, key in enumerate(NEEDS)}


def test_a_high_score_creates_a_task_for_the_social_worker_and_shows_support(world):
    care_team_add(
        actor=None, episode=world.alice.episodes.get(status="active"), user=world.social_worker
    )
    Agency.objects.create(program=world.riverside, kind="support_group", name="Caregivers Circle")
    Agency.objects.create(program=world.riverside, kind="dme_supplier", name="Beds Inc")
    user = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    client = login(Client(), user)
    page = client.get(checkin_url(world.alice)).content.decode()
    assert "Caregivers Circle" in page and "Beds Inc" not in page
    response = client.post(checkin_url(world.alice), dict(answers(4), notes="Tired."))
    assert response.status_code == 200
    page = response.content.decode()
    assert "social worker will call you" in page and "Caregivers Circle" in page
    report = SymptomReport.objects.get(instrument_key="caregiver-needs")
    assert (report.respondent, report.channel, report.entered_by) == ("caregiver", "portal", user)
    task = Task.objects.get(patient=world.alice, discipline="social_worker")
    assert task.assigned_to == world.social_worker
    assert "named 4 needs" in task.title


def test_a_low_score_creates_no_task(world):
    user = caregiver_account(world.alice, "carla.family", [])
    outcome = checkin_submit(user=user, patient_id=world.alice.pk, answers=answers(2))
    assert (outcome.needs, outcome.task) == (2, None)
    assert not Task.objects.filter(discipline="social_worker").exists()


def test_the_patients_own_account_and_bad_answers_are_refused(world):
    client = login(Client(), patient_account(world.alice))
    assert client.get(checkin_url(world.alice)).status_code == 403
    carer = login(Client(), caregiver_account(world.alice, "carla.family", []))
    response = carer.post(checkin_url(world.alice), dict(answers(6), respite="maybe"))
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    response = carer.post(checkin_url(world.alice), dict(answers(6), notes="a\x00b"))
    assert response.status_code == 400
    assert not SymptomReport.objects.exists()
    assert not Task.objects.filter(discipline="social_worker").exists()
