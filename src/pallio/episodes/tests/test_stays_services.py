"""Hospital stays: admission, transfer, discharge, corrections, readmissions (episodes/stays.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.core.privileges import PrivilegeDenied
from pallio.episodes import stays
from pallio.episodes.models import EpisodeOfCare, HospitalStay, StayMovement

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen(world):
    """The clock stopped at NOW; the patients enrolled a year before."""
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def admit(world, *, at, kind="inpatient", actor=None, patient=None, **more):
    return stays.stay_admit(
        actor=actor if actor is not None else world.physician,
        patient=patient or world.alice,
        kind=kind,
        facility="Riverside General",
        admitted_at=at,
        **more,
    )


def test_an_admission_opens_a_stay_with_its_first_unit(world, frozen):
    stay = admit(world, at=NOW - timedelta(hours=5), unit="4 West", reason="Pneumonia")
    assert stay.is_open and stay.unit == "4 West" and not stay.icu
    assert stay.episode == world.alice.episodes.get(status="active")
    assert stay.source == "staff" and stay.recorded_by == world.physician
    [movement] = stay.movements.all()
    assert movement.unit == "4 West" and movement.ended_at is None
    assert AuditEvent.objects.filter(event="stay.admit", object_id=str(stay.pk)).exists()


def test_a_transfer_to_intensive_care_ends_one_unit_and_starts_another(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=2), unit="4 West")
    stay = stays.stay_transfer(
        actor=world.physician, stay=stay, unit="MICU", icu=True, at=NOW - timedelta(days=1)
    )
    assert stay.unit == "MICU" and stay.icu and stay.version == 2
    first, second = stay.movements.order_by("started_at")
    assert first.ended_at == second.started_at == NOW - timedelta(days=1)
    assert second.is_icu and second.ended_at is None


def test_a_discharge_closes_the_stay_and_its_last_unit(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=2))
    stay = stays.stay_discharge(
        actor=world.physician, stay=stay, discharged_at=NOW - timedelta(hours=1), disposition="home"
    )
    assert not stay.is_open and stay.disposition == "home"
    assert stay.movements.get().ended_at == NOW - timedelta(hours=1)
    assert stays.stay_find_open(patient=world.alice) is None


def test_a_discharge_before_the_admission_is_refused_and_changes_nothing(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=2))
    with pytest.raises(ValidationError) as caught:
        stays.stay_discharge(
            actor=world.physician,
            stay=stay,
            discharged_at=NOW - timedelta(days=3),
            disposition="home",
        )
    assert "The discharge is before the admission." in caught.value.messages
    stay.refresh_from_db()
    assert stay.is_open and stay.version == 1


def test_an_admission_in_the_future_is_refused(world, frozen):
    with pytest.raises(ValidationError) as caught:
        admit(world, at=NOW + timedelta(days=1))
    assert "The admission cannot be in the future." in caught.value.messages
    assert not HospitalStay.objects.exists()


def test_a_naive_time_is_refused(world, frozen):
    with pytest.raises(ValidationError):
        admit(world, at=datetime(2026, 3, 9, 12, 0))
    assert not HospitalStay.objects.exists()


def test_a_patient_of_another_program_is_refused(world, frozen):
    with pytest.raises(ValidationError) as caught:
        admit(world, at=NOW - timedelta(days=1), patient=world.hana)
    assert "another program" in caught.value.messages[0]
    assert not HospitalStay.objects.exists()


def test_a_volunteer_may_not_record_a_stay(world, frozen):
    world.physician.discipline = "volunteer"
    with pytest.raises(PrivilegeDenied):
        admit(world, at=NOW - timedelta(days=1))
    assert not HospitalStay.objects.exists()


def test_the_system_records_a_stay_from_a_message_without_a_person(world, frozen):
    stay = stays.stay_admit(
        actor=None,
        patient=world.alice,
        kind="emergency",
        facility="Riverside General",
        admitted_at=NOW - timedelta(hours=2),
        source="hl7_adt",
        visit_number="V100",
    )
    assert stay.recorded_by is None and stay.source == "hl7_adt"
    assert stays.stay_find_open(patient=world.alice, visit_number="V100") == stay
    assert stays.stay_find_open(patient=world.alice, visit_number="V999") is None
    event = AuditEvent.objects.get(event="stay.admit")
    assert event.user_id is None


def test_a_visit_number_is_recorded_once(world, frozen):
    admit(world, at=NOW - timedelta(days=1), visit_number="V1")
    with pytest.raises(ValidationError) as caught:
        admit(world, at=NOW - timedelta(hours=1), visit_number="V1")
    assert "A stay with this visit number is already recorded." in caught.value.messages
    assert HospitalStay.objects.count() == 1


def test_an_admission_within_30_days_of_leaving_hospital_is_a_readmission(world, frozen):
    first = admit(world, at=NOW - timedelta(days=40))
    stays.stay_discharge(
        actor=world.physician,
        stay=first,
        discharged_at=NOW - timedelta(days=35),
        disposition="home",
    )
    emergency = admit(world, at=NOW - timedelta(days=20), kind="emergency")
    stays.stay_discharge(
        actor=world.physician,
        stay=emergency,
        discharged_at=NOW - timedelta(days=20) + timedelta(hours=4),
        disposition="home",
    )
    second = admit(world, at=NOW - timedelta(days=6))
    assert second.is_readmission and not first.is_readmission
    emergency.refresh_from_db()
    assert not emergency.is_readmission  # an emergency visit is never a readmission


def test_a_readmission_after_more_than_30_days_is_not_flagged(world, frozen):
    first = admit(world, at=NOW - timedelta(days=40))
    stays.stay_discharge(
        actor=world.physician,
        stay=first,
        discharged_at=NOW - timedelta(days=31),
        disposition="home",
    )
    assert not admit(world, at=NOW - timedelta(hours=1)).is_readmission


def test_striking_the_first_stay_clears_the_readmission_flag(world, frozen):
    first = admit(world, at=NOW - timedelta(days=20))
    stays.stay_discharge(
        actor=world.physician,
        stay=first,
        discharged_at=NOW - timedelta(days=15),
        disposition="home",
    )
    second = admit(world, at=NOW - timedelta(days=5))
    assert second.is_readmission
    stays.stay_mark_entered_in_error(actor=world.physician, stay=first, reason="Wrong patient")
    second.refresh_from_db()
    assert not second.is_readmission


def test_recording_a_past_stay_at_once_is_all_or_nothing(world, frozen):
    with pytest.raises(ValidationError):
        stays.stay_record(
            actor=world.physician,
            patient=world.alice,
            kind="inpatient",
            facility="Riverside General",
            admitted_at=NOW - timedelta(days=3),
            discharged_at=NOW + timedelta(days=1),
            disposition="home",
        )
    assert not HospitalStay.objects.exists() and not StayMovement.objects.exists()


def test_an_update_records_intubation_and_catches_a_stale_edit(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=2))
    stay = stays.stay_update(actor=world.physician, stay=stay, intubated=True, expected_version=1)
    assert stay.intubated and stay.version == 2
    with pytest.raises(ConflictError):
        stays.stay_update(actor=world.physician, stay=stay, cpr_performed=True, expected_version=1)
    stay.refresh_from_db()
    assert not stay.cpr_performed


def test_an_update_of_an_unknown_field_is_refused(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=2))
    with pytest.raises(ValidationError):
        stays.stay_update(actor=world.physician, stay=stay, patient=world.bob)


def test_a_stay_struck_in_error_cannot_be_changed(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=2))
    stays.stay_mark_entered_in_error(actor=world.physician, stay=stay, reason="Wrong patient")
    with pytest.raises(ValidationError):
        stays.stay_discharge(
            actor=world.physician, stay=stay, discharged_at=NOW, disposition="home"
        )


# --- corrections --------------------------------------------------------------------------------


def _snapshot(stay):
    stay = HospitalStay.objects.get(pk=stay.pk)
    moves = list(
        stay.movements.order_by("started_at").values_list("unit", "started_at", "ended_at")
    )
    return (
        stay.facility,
        stay.unit,
        stay.kind,
        stay.admitted_at,
        stay.discharged_at,
        stay.reason,
        stay.version,
        moves,
    )


def test_a_correction_puts_right_the_facility_unit_kind_times_and_reason(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=3), unit="4 Wset", reason="Breathles")
    stay = stays.stay_discharge(
        actor=world.physician, stay=stay, discharged_at=NOW - timedelta(days=1), disposition="home"
    )
    stay = stays.stay_update(
        actor=world.navigator,
        stay=stay,
        facility="Riverside General Hospital",
        unit="4 West",
        kind="observation",
        admitted_at=NOW - timedelta(days=3, hours=2),
        discharged_at=NOW - timedelta(days=1, hours=1),
        reason="Breathless",
        expected_version=stay.version,
    )
    assert (stay.facility, stay.unit, stay.kind, stay.reason) == (
        "Riverside General Hospital",
        "4 West",
        "observation",
        "Breathless",
    )
    [move] = stay.movements.all()
    assert move.unit == "4 West"
    assert move.started_at == NOW - timedelta(days=3, hours=2)
    assert move.ended_at == NOW - timedelta(days=1, hours=1)
    assert stay.disposition == "home"
    event = AuditEvent.objects.get(event="stay.update", object_id=str(stay.pk))
    assert event.user_id == world.navigator.pk


@pytest.mark.parametrize(
    "change",
    [
        {"discharged_at": NOW - timedelta(days=4)},
        {"admitted_at": NOW - timedelta(hours=20)},
        {"admitted_at": NOW + timedelta(hours=1)},
        {"discharged_at": NOW + timedelta(hours=1)},
        {"facility": "   "},
        {"kind": "hospice"},
        {"unit": "x" * 101},
    ],
    ids=[
        "discharge-before-admission",
        "admission-after-discharge",
        "admission-in-future",
        "discharge-in-future",
        "no-facility",
        "unknown-kind",
        "unit-too-long",
    ],
)
def test_a_refused_correction_changes_nothing(world, frozen, change):
    stay = admit(world, at=NOW - timedelta(days=3), unit="4 West")
    stay = stays.stay_discharge(
        actor=world.physician, stay=stay, discharged_at=NOW - timedelta(days=1), disposition="home"
    )
    before = _snapshot(stay)
    audited = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        stays.stay_update(actor=world.physician, stay=stay, expected_version=stay.version, **change)
    assert _snapshot(stay) == before
    assert AuditEvent.objects.count() == audited


def test_a_stale_correction_changes_nothing(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=3), unit="4 West")
    before = _snapshot(stay)
    with pytest.raises(ConflictError):
        stays.stay_update(
            actor=world.physician, stay=stay, facility="Elsewhere", expected_version=0
        )
    assert _snapshot(stay) == before


def test_a_correction_without_the_privilege_changes_nothing(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=3), unit="4 West")
    before = _snapshot(stay)
    with pytest.raises(PrivilegeDenied):
        stays.stay_update(actor=world.privacy, stay=stay, facility="Elsewhere")
    assert _snapshot(stay) == before


def test_a_correction_from_another_program_changes_nothing(world, frozen):
    stay = admit(world, at=NOW - timedelta(days=3), unit="4 West")
    before = _snapshot(stay)
    with pytest.raises(ValidationError):
        stays.stay_update(actor=world.hillside_nurse, stay=stay, facility="Elsewhere")
    assert _snapshot(stay) == before
