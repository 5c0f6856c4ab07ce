"""The referral on the chart, its files, and reconciling its medications, as pages."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.medications.models import MedicationStatement
from pallio.referrals.models import MedicationReconciliation
from pallio.referrals.tests.factories import CLEAN_PDF, SUMMARY, enrolled_referral

pytestmark = pytest.mark.django_db


def chart_url(referral) -> str:
    return reverse("patients:chart", kwargs={"patient_id": referral.patient.pk})


def reconcile_url(item) -> str:
    return reverse("referrals:reconcile_medication", kwargs={"item_id": item.pk})


def file_url(referral) -> str:
    return reverse(
        "referrals:enrollment_attachment",
        kwargs={"referral_id": referral.pk, "attachment_id": referral.attachments.get().pk},
    )


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def test_the_care_team_sees_the_referral_on_the_chart(world, as_user):
    referral = enrolled_referral(world)
    response = as_user(world.navigator).get(chart_url(referral))
    body = text_of(response)
    assert response.status_code == 200
    assert SUMMARY in body
    assert "Dr. Osler" in body and "Mercy Oncology" in body
    assert "Symptom management, Caregiver strain" in body
    assert "Oxycodone 10 mg PO q4h PRN pain" in body
    assert "3 to reconcile" in body
    assert file_url(referral) in body
    assert reconcile_url(referral.medications.first()) in body
    # One event for the chart and the referral shown on it, naming the referral.
    events = AuditEvent.objects.filter(user_id=world.navigator.pk, patient_id=referral.patient.pk)
    chart_read = events.get(event="patient.chart")
    assert chart_read.detail["referrals"] == [referral.reference]
    assert not events.filter(event="referral.chart_read").exists()


def test_a_chart_without_an_enrollment_referral_has_no_referral_section(world, as_user):
    body = text_of(as_user(world.navigator).get(reverse("patients:chart", args=[world.alice.pk])))
    assert "From the referral" not in body


def test_off_team_clinician_gets_404_everywhere(world, as_user):
    referral = enrolled_referral(world)
    client = as_user(world.social_worker)
    assert client.get(chart_url(referral)).status_code == 404
    assert client.get(file_url(referral)).status_code == 404
    item = referral.medications.first()
    assert client.get(reconcile_url(item)).status_code == 404
    response = client.post(reconcile_url(item), {"decision": "decline", "reason": "No"})
    assert response.status_code == 404
    assert not MedicationReconciliation.objects.exists()
    assert not AuditEvent.objects.filter(event="referral.chart_read").exists()
    assert not AuditEvent.objects.filter(event="patient.chart").exists()


def test_the_team_downloads_a_referral_file_as_an_attachment_and_it_is_audited(world, as_user):
    referral = enrolled_referral(world)
    response = as_user(world.physician).get(file_url(referral))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "clinic letter.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == CLEAN_PDF
    event = AuditEvent.objects.get(event="referral.attachment")
    assert (event.user_id, event.patient_id) == (world.physician.pk, referral.patient.pk)


def test_a_file_of_another_referral_is_not_served_under_this_one(world, as_user):
    referral = enrolled_referral(world)
    other = enrolled_referral(world, given_name="Otto", phone="617-555-0177")
    url = reverse(
        "referrals:enrollment_attachment",
        kwargs={"referral_id": referral.pk, "attachment_id": other.attachments.get().pk},
    )
    assert as_user(world.navigator).get(url).status_code == 404


def test_the_add_form_starts_from_what_the_referrer_wrote(world, as_user):
    referral = enrolled_referral(world)
    item = referral.medications.first()
    response = as_user(world.navigator).get(reconcile_url(item))
    body = text_of(response)
    assert response.status_code == 200
    assert '<option value="oxycodone" selected>' in body
    assert 'name="dose_amount" value="10"' in body
    assert 'name="doses_per_day" value="6"' in body
    assert '<option value="oral" selected>' in body
    assert AuditEvent.objects.filter(event="referral.medication.read").count() == 1
    # Opening the form adds nothing.
    assert not MedicationStatement.objects.exists()


def test_adding_and_skipping_from_the_pages(world, as_user):
    referral = enrolled_referral(world)
    oxycodone, senna, lorazepam = referral.medications.all()
    client = as_user(world.navigator)
    response = client.post(
        reconcile_url(oxycodone),
        {
            "decision": "add",
            "catalog_key": "oxycodone",
            "dose_amount": "5",
            "doses_per_day": "6",
            "as_needed": "on",
            "route": "oral",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == chart_url(referral) + "#referral-h"
    statement = MedicationStatement.objects.get(patient=referral.patient)
    assert str(statement.dose_amount) == "5.000"
    missing_reason = client.post(reconcile_url(lorazepam), {"decision": "decline", "reason": ""})
    assert missing_reason.status_code == 400
    assert "This field is required." in text_of(missing_reason)
    client.post(reconcile_url(lorazepam), {"decision": "decline", "reason": "Stopped in May"})
    body = text_of(client.get(chart_url(referral)))
    assert "Added to the medication list as Oxycodone" in body
    assert "Not taking: Stopped in May" in body
    assert "1 to reconcile" in body
    again = client.get(reconcile_url(oxycodone))
    assert "Already added to the medication list" in text_of(again)
    assert 'name="decision"' not in text_of(again)
    assert senna.decision is None


def test_an_invalid_dose_is_shown_on_the_form_and_nothing_is_recorded(world, as_user):
    referral = enrolled_referral(world)
    response = as_user(world.navigator).post(
        reconcile_url(referral.medications.first()),
        {"decision": "add", "catalog_key": "oxycodone", "dose_amount": "0"},
    )
    assert response.status_code == 400
    assert "Enter a number above 0" in text_of(response)
    assert not MedicationReconciliation.objects.exists()


def test_roles_that_do_not_record_medications_are_refused(world, as_user):
    referral = enrolled_referral(world)
    response = as_user(world.privacy).get(reconcile_url(referral.medications.first()))
    assert response.status_code == 403


def test_a_high_dose_from_the_referral_asks_for_a_reason_before_it_is_added(world, as_user):
    referral = enrolled_referral(world)
    oxycodone = referral.medications.first()
    client = as_user(world.navigator)
    high = {
        "decision": "add",
        "catalog_key": "oxycodone",
        "dose_amount": "300",
        "doses_per_day": "6",
        "route": "oral",
    }
    asked = client.post(reconcile_url(oxycodone), high)
    assert asked.status_code == 400
    assert "Confirm a high dose" in text_of(asked)
    assert not MedicationStatement.objects.exists()
    confirmed = client.post(
        reconcile_url(oxycodone),
        {**high, "confirm_high_dose": "on", "confirm_high_dose_reason": "Titrated in hospital"},
    )
    assert confirmed.status_code == 302
    assert MedicationStatement.objects.get().high_dose_reason == "Titrated in hospital"
