"""Messages applied to the hospital stays: admit, transfer, discharge, update; never twice;
what does not fit the record is refused with an AE and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from pallio.adt.models import AdtStatus
from pallio.adt.services import adt_receive
from pallio.adt.tests.samples import adt_message
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare, HospitalStay

pytestmark = pytest.mark.django_db

# Noon in New York on 14 March 2026; the sample admits at 10:30 local time that morning.
NOW = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)


@pytest.fixture
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def receive(world, **fields):
    return adt_receive(program=world.riverside, raw=adt_message(**fields))


def msa(ack: str) -> list[str]:
    return next(line for line in ack.split("\r") if line.startswith("MSA")).split("|")


def test_admission_of_an_enrolled_patient_opens_a_stay(world, frozen):
    receipt = receive(world)
    assert msa(receipt.ack)[:3] == ["MSA", "AA", "MSG00001"]
    assert receipt.message.status == AdtStatus.APPLIED
    assert receipt.message.patient == world.alice
    assert receipt.message.outcome == "Admitted (inpatient) to unit 5W, Mercy General."
    stay = HospitalStay.objects.get(patient=world.alice)
    assert (stay.kind, stay.facility, stay.unit, stay.icu) == (
        "inpatient",
        "Mercy General",
        "5W",
        False,
    )
    assert stay.source == "hl7_adt"
    assert stay.visit_number == "V1001"
    assert stay.admitted_at == datetime(2026, 3, 14, 14, 30, tzinfo=UTC)
    assert stay.episode == world.alice.episodes.get(status="active")


def test_record_number_and_a_nickname_match(world, frozen):
    receipt = receive(world, record_number=world.alice.mrn, given="Allie")
    assert receipt.message.status == AdtStatus.APPLIED
    assert receipt.message.patient == world.alice


def test_emergency_visit_then_icu_transfer_then_discharge_to_hospice(world, frozen):
    receive(world, patient_class="E", unit="ED", control_id="M1", admitted="202603140900")
    update = receive(world, trigger="A08", patient_class="I", unit="5W", control_id="M2")
    assert update.message.status == AdtStatus.APPLIED, update.message.error
    transfer = receive(world, trigger="A02", unit="MICU", control_id="M3", sent="202603141130")
    assert transfer.message.status == AdtStatus.APPLIED, transfer.message.error
    stay = HospitalStay.objects.get(patient=world.alice)
    assert (stay.kind, stay.unit, stay.icu) == ("inpatient", "MICU", True)
    assert [m.unit for m in stay.movements.order_by("started_at")] == ["ED", "5W", "MICU"]
    done = receive(
        world,
        trigger="A03",
        unit="MICU",
        control_id="M4",
        discharged="202603141145",
        disposition="51",
    )
    assert done.message.status == AdtStatus.APPLIED, done.message.error
    assert done.message.outcome == "Discharged to hospice in a medical facility."
    stay.refresh_from_db()
    assert stay.disposition == "hospice"
    assert stay.discharged_at == datetime(2026, 3, 14, 15, 45, tzinfo=UTC)


def test_discharge_before_any_admission_is_an_ae_and_changes_nothing(world, frozen):
    receipt = receive(
        world,
        trigger="A03",
        given="Bob",
        family="Brown",
        born=date(1961, 9, 3),
        discharged="202603141100",
    )
    assert msa(receipt.ack)[:2] == ["MSA", "AE"]
    assert "no open hospital stay to discharge" in receipt.ack
    assert "ERR||" in receipt.ack
    assert receipt.message.status == AdtStatus.ERROR
    assert receipt.message.patient == world.bob
    assert not HospitalStay.objects.exists()


def test_the_same_admission_twice_opens_one_stay(world, frozen):
    raw = adt_message()
    adt_receive(program=world.riverside, raw=raw)
    again = adt_receive(program=world.riverside, raw=raw)
    assert msa(again.ack)[1] == "AA"
    assert again.message.status == AdtStatus.DUPLICATE
    assert HospitalStay.objects.count() == 1


def test_a_resent_admission_with_a_new_id_does_not_open_a_second_stay(world, frozen):
    receive(world, control_id="M1")
    again = receive(world, control_id="M2")
    assert again.message.status == AdtStatus.APPLIED
    assert again.message.outcome == "Already in hospital: nothing new."
    assert HospitalStay.objects.count() == 1


def test_admission_in_the_future_is_refused(world, frozen):
    receipt = receive(world, admitted="202603200900")
    assert msa(receipt.ack)[1] == "AE"
    assert "cannot be in the future" in receipt.ack
    assert not HospitalStay.objects.exists()


def test_coordinator_matches_a_held_message_and_applies_it(world, frozen, as_user):
    held = receive(world, born=date(1950, 12, 4), record_number="X1").message
    assert held.status == AdtStatus.UNMATCHED
    client = as_user(world.coordinator)
    page = client.get(reverse("adt:message", kwargs={"message_id": held.pk}))
    assert "Alice Anders, born 12 Apr 1950" in page.content.decode()
    response = client.post(
        reverse("adt:match", kwargs={"message_id": held.pk}),
        {"patient": str(world.alice.pk), "version": held.version},
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == AdtStatus.APPLIED
    assert held.patient == world.alice
    assert held.resolved_by == world.coordinator
    stay = HospitalStay.objects.get(patient=world.alice)
    assert stay.recorded_by == world.coordinator
    # Applied once: a second attempt finds nothing to do.
    again = client.post(
        reverse("adt:match", kwargs={"message_id": held.pk}),
        {"patient": str(world.alice.pk), "version": held.version},
    )
    assert again.status_code == 400
    assert HospitalStay.objects.count() == 1


def test_coordinator_apply_that_does_not_fit_changes_nothing(world, frozen, as_user):
    held = receive(
        world, trigger="A03", discharged="202603141100", born=date(1950, 12, 4), record_number="X1"
    ).message
    response = as_user(world.coordinator).post(
        reverse("adt:match", kwargs={"message_id": held.pk}),
        {"patient": str(world.alice.pk), "version": held.version},
    )
    assert response.status_code == 400
    assert "no open hospital stay to discharge" in response.content.decode()
    held.refresh_from_db()
    assert held.status == AdtStatus.UNMATCHED and held.patient is None


def test_an_admission_by_message_tells_the_care_team_at_once(world, frozen):
    """The message's admission goes through the same service as the chart's: the alert
    worklist and a task for the nurse navigator, as soon as the message is applied."""
    from pallio.assessments.models import Alert

    receipt = receive(world)
    assert receipt.message.status == AdtStatus.APPLIED
    alert = Alert.objects.get(patient=world.alice, rule_key="hospital-admission")
    assert alert.detail == "Admitted to hospital: Mercy General, 5W"
    assert alert.status == "open" and alert.discipline == "nurse_navigator"
    assert alert.task is not None and alert.task.assigned_to == world.navigator
    assert alert.task.status == "open"
