"""An admission calls the care team; care that differed from the person's wishes raises a
review for the team to talk over (episodes/stays.py, episodes/stay_reviews.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from pallio.acp import services as acp
from pallio.assessments.models import Alert
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes import stays
from pallio.episodes.models import EpisodeOfCare, StayReview
from pallio.episodes.stay_reviews import stay_review_record

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def admit(world, patient=None, *, at=None, **more):
    return stays.stay_admit(
        actor=world.physician,
        patient=patient or world.alice,
        kind=more.pop("kind", "inpatient"),
        facility="Riverside General",
        admitted_at=at or NOW - timedelta(hours=3),
        **more,
    )


def test_an_enrolled_patients_admission_puts_an_alert_and_a_task_before_the_team(world, frozen):
    stay = admit(world, unit="4 West", reason="Breathless")
    alert = Alert.objects.get(patient=world.alice, rule_key="hospital-admission")
    assert alert.detail == "Admitted to hospital: Riverside General, 4 West (Breathless)"
    assert alert.status == "open" and alert.discipline == "nurse_navigator"
    assert alert.task is not None and alert.task.assigned_to == world.navigator
    assert alert.task.patient_id == world.alice.pk and alert.task.status == "open"
    stays.stay_transfer(actor=None, stay=stay, unit="5 East", icu=False, at=NOW)
    assert Alert.objects.filter(patient=world.alice).count() == 1  # once per stay


def test_a_stay_entered_weeks_later_does_not_call_the_team(world, frozen):
    stays.stay_record(
        actor=world.physician,
        patient=world.alice,
        kind="inpatient",
        facility="Riverside General",
        admitted_at=NOW - timedelta(days=20),
        discharged_at=NOW - timedelta(days=15),
        disposition="home",
    )
    assert not Alert.objects.filter(patient=world.alice).exists()


def test_a_patient_not_enrolled_does_not_call_a_team(world, frozen):
    EpisodeOfCare.objects.filter(patient=world.alice).update(status="finished", end=NOW)
    admit(world)
    assert not Alert.objects.filter(patient=world.alice).exists()


def _dnr_dni(world):
    acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr_dni",
        effective_date=NOW.date() - timedelta(days=30),
        expected_current_id=None,
    )


def test_intubation_against_a_dnr_dni_raises_a_review_in_plain_words(world, frozen):
    _dnr_dni(world)
    stay = admit(world)
    assert not StayReview.objects.exists()
    stays.stay_update(actor=world.physician, stay=stay, intubated=True)
    review = StayReview.objects.get()
    assert review.get_reason_display() == "Intubated (breathing machine)"
    assert review.wishes.startswith("Code status DNR/DNI")
    assert review.is_open and review.patient == world.alice
    stays.stay_update(actor=world.physician, stay=stay, intubated=True, reason="Sepsis")
    assert StayReview.objects.count() == 1


def test_cpr_and_intensive_care_for_a_patient_who_wanted_them_raise_nothing(world, frozen):
    acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="full_code",
        effective_date=NOW.date() - timedelta(days=30),
        expected_current_id=None,
    )
    stay = admit(world, unit="MICU", icu=True)
    stays.stay_update(actor=world.physician, stay=stay, cpr_performed=True, intubated=True)
    assert not StayReview.objects.exists()


def test_a_transfer_to_intensive_care_of_a_comfort_focused_order_raises_a_review(world, frozen):
    acp.portable_order_record(
        actor=world.physician,
        patient=world.alice,
        data=acp.PortableOrderInput(
            form_type="POLST",
            signer_name="Dr Phil Physician",
            signer_role="physician",
            effective_date=NOW.date() - timedelta(days=10),
            cpr="do_not_attempt",
            medical_interventions="comfort",
            artificial_nutrition="none",
        ),
        expected_current_id=None,
    )
    stay = admit(world, unit="4 West")
    stays.stay_transfer(actor=None, stay=stay, unit="MICU", icu=True, at=NOW)
    review = StayReview.objects.get(reason="icu")
    assert "POLST" in review.wishes and "comfort-focused treatment" in review.wishes


def test_a_death_in_hospital_of_someone_who_wished_to_die_at_home_raises_a_review(world, frozen):
    acp.place_preference_set(
        actor=world.physician,
        patient=world.alice,
        place_of_care="home",
        place_of_death="home",
        expected_version=None,
    )
    stay = admit(world)
    stays.stay_discharge(actor=None, stay=stay, discharged_at=NOW, disposition="died")
    review = StayReview.objects.get(reason="hospital_death")
    assert review.wishes == "Preferred to die at: home"


def test_the_team_records_who_reviewed_it_and_what_they_concluded(world, frozen):
    _dnr_dni(world)
    stay = admit(world)
    stays.stay_update(actor=world.physician, stay=stay, intubated=True)
    review = StayReview.objects.get()
    with pytest.raises(ValidationError):
        stay_review_record(actor=world.physician, review=review, note="  ")
    review = stay_review_record(
        actor=world.social_worker,
        review=review,
        note="Daughter asked for it in the ED; new goals conversation booked.",
    )
    assert review.reviewed_by == world.social_worker and review.reviewed_at == NOW
    with pytest.raises(ValidationError):
        stay_review_record(actor=world.physician, review=review, note="Again")


def test_a_coordinator_may_not_record_a_review(world, frozen):
    _dnr_dni(world)
    stay = admit(world)
    stays.stay_update(actor=world.physician, stay=stay, intubated=True)
    with pytest.raises(PrivilegeDenied):
        stay_review_record(actor=world.coordinator, review=StayReview.objects.get(), note="Seen")
    assert StayReview.objects.get().is_open
