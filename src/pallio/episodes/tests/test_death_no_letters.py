"""Nothing is ever sent to a patient who died: one test per outgoing path.

The paths that leave Pallio: visit summaries (to the referrer, the primary care doctor, and
the patient), the referral's letters (to the referrer only), pages and emails to staff (the
on-call line, roster gaps, security alerts) and the reminders the program raises itself
(missing symptom reports, alert escalation). Only the patient's copy of a visit summary is
addressed to the patient; the reminders are raised for the team about the patient.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from pallio.assessments.escalation import alert_escalate
from pallio.assessments.services import missing_reports_check
from pallio.assessments.tests.samples import riverside_alert
from pallio.core import clock
from pallio.episodes.death import DeathInput, death_record
from pallio.episodes.models import EpisodeOfCare
from pallio.referrals.models import Letter
from pallio.referrals.tests.factories import enrolled_referral
from pallio.visits.models import SummaryDelivery
from pallio.visits.summaries import (
    summaries_retry_failed,
    summary_create_for_note,
    summary_delivery_resend,
)
from pallio.visits.tasks import summary_delivery_send
from pallio.visits.tests.summary_factories import signed_note, visit_of

pytestmark = pytest.mark.django_db


def _with_addresses(patient) -> None:
    patient.email = "alice@example.org"
    patient.primary_care_name = "Dr. Grace Park"
    patient.primary_care_email = "park@clinic.example.org"
    patient.save(update_fields=["email", "primary_care_name", "primary_care_email"])


def _dies(world, patient=None) -> None:
    patient = patient or world.alice
    EpisodeOfCare.objects.filter(patient=patient).update(start=clock.now() - timedelta(days=30))
    death_record(
        actor=world.physician,
        patient=patient,
        data=DeathInput(died_at=clock.now() - timedelta(hours=1), place="home", expected=True),
    )
    patient.refresh_from_db()


def _summary(world):
    note = signed_note(visit_of(world.alice, world.navigator))
    return summary_create_for_note(actor=world.navigator, note=note)


def test_a_summary_signed_after_death_goes_to_the_doctors_not_the_patient(world):
    _with_addresses(world.alice)
    _dies(world)
    summary = _summary(world)
    audiences = set(summary.deliveries.values_list("audience", flat=True))
    assert audiences == {"primary_care"}


def test_a_summary_queued_for_the_patient_before_death_is_withheld_at_death(world):
    _with_addresses(world.alice)
    summary = _summary(world)
    patient_copy = summary.deliveries.get(audience="patient")
    assert patient_copy.status == "queued"
    _dies(world)
    patient_copy.refresh_from_db()
    assert (patient_copy.status, patient_copy.last_error) == (
        "withheld",
        "Not sent: the patient died.",
    )
    mail.outbox.clear()
    assert summary_delivery_send.call(delivery_id=str(patient_copy.pk)) is False
    assert mail.outbox == []
    # The doctor's copy still goes.
    doctor_copy = summary.deliveries.get(audience="primary_care")
    assert summary_delivery_send.call(delivery_id=str(doctor_copy.pk)) is True
    assert [m.to for m in mail.outbox] == [["park@clinic.example.org"]]


def test_the_worker_withholds_a_patient_copy_whose_patient_died_since(world):
    """A death recorded some other way (the chart's deceased mark alone) still stops it."""
    _with_addresses(world.alice)
    summary = _summary(world)
    patient_copy = summary.deliveries.get(audience="patient")
    world.alice.deceased_at = clock.now()
    world.alice.save(update_fields=["deceased_at"])
    mail.outbox.clear()
    assert summary_delivery_send.call(delivery_id=str(patient_copy.pk)) is False
    assert mail.outbox == []
    patient_copy.refresh_from_db()
    assert patient_copy.status == "withheld"


def test_a_failed_patient_copy_is_never_retried_or_sent_again_after_death(world):
    _with_addresses(world.alice)
    summary = _summary(world)
    patient_copy = summary.deliveries.get(audience="patient")
    SummaryDelivery.objects.filter(pk=patient_copy.pk).update(status="failed")
    _dies(world)
    patient_copy.refresh_from_db()
    assert patient_copy.status == "withheld"
    summaries_retry_failed()
    patient_copy.refresh_from_db()
    assert patient_copy.status == "withheld"
    with pytest.raises(ValidationError):
        summary_delivery_resend(actor=world.navigator, delivery=patient_copy)


def test_the_referral_letters_and_the_final_summary_go_to_the_referrer_only(world):
    referral = enrolled_referral(world)
    _with_addresses(referral.patient)
    _dies(world, referral.patient)
    letters = Letter.objects.filter(referral=referral)
    assert letters.filter(kind="discharged").exists()
    assert set(letters.values_list("to_email", flat=True)) == {"osler@example.org"}


def test_no_missing_report_reminder_is_raised_for_a_patient_who_died(world):
    _dies(world)
    later = clock.now() + timedelta(days=30)
    raised = missing_reports_check(program=world.riverside, now=later)
    assert all(a.patient_id != world.alice.pk for a in raised)


def test_an_alert_of_a_patient_who_died_is_resolved_and_never_escalated(world):
    alert_id = riverside_alert(world)
    _dies(world)
    assert alert_escalate(alert_id=alert_id, now=clock.now() + timedelta(days=3)) is None
