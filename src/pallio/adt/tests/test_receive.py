"""Receiving messages: stored whatever happens, matched by the referral rules, never creating
a patient, a control id applied once, plain-words acknowledgements."""

from __future__ import annotations

from datetime import date

import pytest

from pallio.adt.models import AdtMessage, AdtStatus
from pallio.adt.services import adt_receive
from pallio.adt.tests.samples import adt_message
from pallio.audit.models import AuditEvent
from pallio.patients.models import Patient

pytestmark = pytest.mark.django_db


def msa(ack: str) -> list[str]:
    return next(line for line in ack.split("\r") if line.startswith("MSA")).split("|")


def test_unknown_patient_is_held_for_review_and_no_patient_is_created(world):
    before = Patient.objects.count()
    receipt = adt_receive(
        program=world.riverside,
        raw=adt_message(given="Zelda", family="Unknown", born=date(1940, 1, 1), record_number="X9"),
    )
    assert msa(receipt.ack)[:3] == ["MSA", "AA", "MSG00001"]
    assert "Held for review" in receipt.ack
    stored = receipt.message
    assert stored.status == AdtStatus.UNMATCHED
    assert stored.patient is None
    assert stored.error == "Held for review: no patient of the program matches the message."
    assert stored.person_name == "Zelda Unknown"
    assert stored.raw.startswith("MSH|")
    assert Patient.objects.count() == before
    assert AuditEvent.objects.filter(event="adt.receive", object_id=str(stored.pk)).exists()


def test_near_match_is_not_applied_without_a_person(world):
    # Day and month of birth swapped: a candidate by the matching rules, not a certainty.
    receipt = adt_receive(
        program=world.riverside,
        raw=adt_message(born=date(1950, 12, 4), record_number="X9"),
    )
    assert receipt.message.status == AdtStatus.UNMATCHED
    assert (
        receipt.message.error == "Held for review: one possible patient, not certain: please check."
    )


def test_record_number_with_a_different_person_is_held(world):
    receipt = adt_receive(
        program=world.riverside,
        raw=adt_message(
            record_number=world.alice.mrn, given="Bob", family="Brown", born=date(1961, 9, 3)
        ),
    )
    assert receipt.message.status == AdtStatus.UNMATCHED
    assert "belongs to a patient whose name or date of birth differ" in receipt.message.error


def test_another_programs_patient_is_never_matched(world):
    receipt = adt_receive(
        program=world.riverside,
        raw=adt_message(
            record_number=world.hana.mrn, given="Hana", family="Hill", born=date(1948, 1, 30)
        ),
    )
    assert receipt.message.status == AdtStatus.UNMATCHED
    assert receipt.message.patient is None


def test_malformed_message_is_stored_as_an_error_with_an_ae(world):
    receipt = adt_receive(program=world.riverside, raw=b"this is not HL7 at all")
    assert msa(receipt.ack)[:2] == ["MSA", "AE"]
    assert "does not begin with an MSH segment" in receipt.ack
    assert "\rERR||MSH^1^|101^Required field missing^HL70357|E" in receipt.ack
    assert receipt.message.status == AdtStatus.ERROR
    assert receipt.message.raw == "this is not HL7 at all"


def test_bad_field_is_an_ae_naming_it_and_keeps_the_control_id(world):
    receipt = adt_receive(program=world.riverside, raw=adt_message(admitted="20260230"))
    assert msa(receipt.ack)[:3] == ["MSA", "AE", "MSG00001"]
    assert "PV1-44 is not a real date" in receipt.ack
    assert "ERR||PV1^1^44|102^Data type error^HL70357|E" in receipt.ack
    assert receipt.message.status == AdtStatus.ERROR


def test_same_control_id_twice_is_acknowledged_and_stored_as_a_repeat(world):
    raw = adt_message(given="Zelda", family="Unknown", born=date(1940, 1, 1), record_number="X9")
    first = adt_receive(program=world.riverside, raw=raw)
    again = adt_receive(program=world.riverside, raw=raw)
    assert msa(again.ack)[:3] == ["MSA", "AA", "MSG00001"]
    assert "Already received" in again.ack
    assert again.message.status == AdtStatus.DUPLICATE
    assert again.message.duplicate_of == first.message
    assert AdtMessage.objects.exclude(status=AdtStatus.DUPLICATE).count() == 1


def test_same_control_id_from_another_sender_is_a_new_message(world):
    raw = adt_message(given="Zelda", family="Unknown", born=date(1940, 1, 1), record_number="X9")
    adt_receive(program=world.riverside, raw=raw)
    other = adt_receive(program=world.riverside, raw=raw.replace("EPIC|MERCY", "CERNER|STJOHN"))
    assert other.message.status == AdtStatus.UNMATCHED


def test_control_characters_and_nul_bytes_are_kept_out(world):
    receipt = adt_receive(program=world.riverside, raw=adt_message(given="Ze\x00lda\x1b"))
    assert "\x00" not in receipt.message.raw
    assert receipt.message.status in (AdtStatus.UNMATCHED, AdtStatus.ERROR)


def test_oversized_message_is_refused(world):
    receipt = adt_receive(program=world.riverside, raw=adt_message(given="A" * 70_000))
    assert msa(receipt.ack)[1] == "AE"
    assert "larger than 64 KB" in receipt.ack
    assert len(receipt.message.raw) <= 2000
