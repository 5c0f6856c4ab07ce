"""The symptom diary in the portal: the same checks and alert rules as the staff path, the
portal's access and scope checked on every submission, partial diaries kept and judged."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.assessments.models import Alert, SymptomReport
from pallio.assessments.services import report_evaluate
from pallio.audit.models import AuditEvent
from pallio.portal.diary import diary_submit
from pallio.portal.models import PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account

pytestmark = pytest.mark.django_db

ALL_TWO = {
    k: "2"
    for k in (
        "pain",
        "tiredness",
        "drowsiness",
        "nausea",
        "appetite",
        "dyspnea",
        "depression",
        "anxiety",
        "wellbeing",
    )
}


def diary_url(patient) -> str:
    return reverse("portal:diary", args=[patient.pk])


def test_a_partial_diary_with_pain_10_is_kept_and_raises_the_alert(world):
    user = patient_account(world.alice)
    answers = dict(ALL_TWO, pain="10")
    del answers["wellbeing"]
    outcome = diary_submit(
        user=user, patient_id=world.alice.pk, instrument_key="esas-r", answers=answers
    )
    report = outcome.report
    assert (report.partial, report.unanswered) == (True, ["wellbeing"])
    assert (report.channel, report.respondent, report.entered_by) == ("portal", "patient", user)
    assert outcome.alerting
    # The same rules, judged by the same code as every other report.
    alerts = report_evaluate(report_id=report.pk)
    assert "esas-severe" in {a.rule_key for a in alerts}
    severe = Alert.objects.get(rule_key="esas-severe", report=report)
    assert severe.task is not None
    assert (severe.task.discipline, severe.task.assigned_to) == ("nurse_navigator", world.navigator)


def test_a_mild_diary_alerts_nobody(world):
    user = patient_account(world.alice)
    outcome = diary_submit(
        user=user, patient_id=world.alice.pk, instrument_key="esas-r", answers=dict(ALL_TWO)
    )
    assert not outcome.alerting
    assert report_evaluate(report_id=outcome.report.pk) == []


@pytest.mark.parametrize("value", ["11", "-1", "7.5", "ten", "<script>"])
def test_a_value_out_of_range_is_refused_and_nothing_is_written(world, value):
    client = login(Client(), patient_account(world.alice))
    data = dict(ALL_TWO, pain=value, instrument="esas-r")
    response = client.post(diary_url(world.alice), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your diary was not sent. Nothing was saved." in page
    assert "Choose one number from 0 to 10." in page
    assert not SymptomReport.objects.exists()


def test_an_empty_diary_or_another_instrument_is_refused(world):
    user = patient_account(world.alice)
    with pytest.raises(ValidationError):
        diary_submit(user=user, patient_id=world.alice.pk, instrument_key="esas-r", answers={})
    # PHQ-4 is not one of this program's diary instruments.
    with pytest.raises(ValidationError):
        diary_submit(
            user=user, patient_id=world.alice.pk, instrument_key="phq-4", answers={"phq1": "3"}
        )
    assert not SymptomReport.objects.exists()


def test_a_crafted_post_for_another_patient_is_refused_and_nothing_written(world):
    user = patient_account(world.alice)
    client = login(Client(), user)
    response = client.post(diary_url(world.bob), dict(ALL_TWO, pain="9", instrument="esas-r"))
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        diary_submit(user=user, patient_id=world.bob.pk, instrument_key="esas-r", answers=ALL_TWO)
    # A field naming another patient in the form is ignored: the URL's patient is checked.
    response = client.post(
        diary_url(world.alice), dict(ALL_TWO, instrument="esas-r", patient=str(world.bob.pk))
    )
    assert response.status_code == 200
    assert not SymptomReport.objects.filter(patient=world.bob).exists()
    assert AuditEvent.objects.filter(event="portal.denied", patient_id=world.bob.pk).count() == 2


def test_a_caregiver_without_the_diary_scope_is_refused(world):
    user = caregiver_account(world.alice, "vic.family", [PortalScope.VISITS])
    client = login(Client(), user)
    assert client.get(diary_url(world.alice)).status_code == 403
    assert (
        client.post(diary_url(world.alice), dict(ALL_TWO, instrument="esas-r")).status_code == 403
    )
    assert not SymptomReport.objects.exists()


def test_a_caregiver_answers_on_the_patients_behalf_and_it_is_recorded(world):
    user = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    client = login(Client(), user)
    page = client.get(diary_url(world.alice)).content.decode()
    assert "You are answering for Alice" in page
    response = client.post(diary_url(world.alice), dict(ALL_TWO, instrument="esas-r"))
    assert response.status_code == 200
    report = SymptomReport.objects.get(patient=world.alice)
    assert (report.respondent, report.entered_by, report.respondent_name) == (
        "caregiver",
        user,
        "Carla.Family Anders",
    )
    created = AuditEvent.objects.get(event="symptom_report.create")
    assert created.role == "portal"
    # The patient sees it in the history, answered by the caregiver.
    response = login(Client(), patient_account(world.alice)).get(diary_url(world.alice))
    assert "answered by Carla.Family Anders" in response.content.decode()


def test_the_confirmation_shows_the_24_7_number_when_the_answers_alert(world):
    world.riverside.phone = "+1 617 555 0100"
    world.riverside.save()
    client = login(Client(), patient_account(world.alice))
    response = client.post(diary_url(world.alice), dict(ALL_TWO, pain="9", instrument="esas-r"))
    page = response.content.decode()
    assert "Please call the team now, day or night" in page
    assert 'href="tel:+1 617 555 0100"' in page
    response = client.post(diary_url(world.alice), dict(ALL_TWO, instrument="esas-r"))
    assert "Please call the team now" not in response.content.decode()


def test_a_double_tap_records_one_diary(world):
    client = login(Client(), patient_account(world.alice))
    data = dict(ALL_TWO, instrument="esas-r", form_key="abc123")
    client.post(diary_url(world.alice), data)
    client.post(diary_url(world.alice), data)
    assert SymptomReport.objects.count() == 1


def test_the_diary_page_lists_the_patients_past_diaries(world):
    user = patient_account(world.alice)
    diary_submit(user=user, patient_id=world.alice.pk, instrument_key="esas-r", answers=ALL_TWO)
    client = login(Client(), user)
    page = client.get(diary_url(world.alice)).content.decode()
    assert "Past diaries" in page and "answered by the patient" in page
    assert page.count('type="radio"') == 10 * 11
    assert AuditEvent.objects.filter(event="portal.diary").exists()
    home = client.get(reverse("portal:patient_home", args=[world.alice.pk])).content.decode()
    assert diary_url(world.alice) in home
