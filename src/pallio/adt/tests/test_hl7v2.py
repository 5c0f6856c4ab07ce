"""Reading ADT messages into events: each field Pallio uses, and every refusal in plain words
naming the HL7 field at fault."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pallio.adt import acks
from pallio.adt.hl7v2 import AdtParseError, parse_adt
from pallio.adt.tests.samples import adt_message

TZ = "America/New_York"


def parse(text: str, **kwargs):
    return parse_adt(text, tz_name=TZ, icu_units=["MICU", "ccu"], **kwargs)


def test_admission_reads_patient_visit_and_local_admit_time():
    event = parse(adt_message(phone="(617) 555-0111"))
    assert event.trigger == "A01"
    assert event.control_id == "MSG00001"
    assert event.record_numbers == ["H123456"]
    assert (event.given_name, event.family_name, event.birth_date) == (
        "Alice",
        "Anders",
        date(1950, 4, 12),
    )
    assert event.phone == "(617) 555-0111"
    assert event.stay_kind == "inpatient"
    assert (event.facility, event.unit, event.room, event.icu) == (
        "Mercy General",
        "5W",
        "512",
        False,
    )
    assert event.visit_number == "V1001"
    # 10:30 in New York in March 2026 (daylight time, UTC-4) is 14:30 UTC.
    assert event.admitted_at.astimezone(UTC) == datetime(2026, 3, 14, 14, 30, tzinfo=UTC)


def test_time_with_an_offset_keeps_the_senders_offset():
    event = parse(adt_message(admitted="202603141030-0600"))
    assert event.admitted_at.utcoffset() == timedelta(hours=-6)
    assert event.admitted_at.astimezone(UTC) == datetime(2026, 3, 14, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "kind"), [("E", "emergency"), ("I", "inpatient"), ("O", "observation")]
)
def test_patient_class_gives_the_kind_of_stay(code, kind):
    assert parse(adt_message(patient_class=code)).stay_kind == kind


def test_icu_from_the_programs_unit_codes_whatever_their_case():
    assert parse(adt_message(unit="MICU")).icu is True
    assert parse(adt_message(unit="CCU")).icu is True
    assert parse(adt_message(unit="5W")).icu is False


def test_discharge_disposition_in_plain_words():
    event = parse(adt_message("A03", discharged="202603201200", disposition="51"))
    assert event.disposition == "hospice in a medical facility"
    assert event.discharged_at.astimezone(UTC) == datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    unknown = parse(adt_message("A03", discharged="202603201200", disposition="99"))
    assert unknown.disposition == "code 99"


def test_segments_separated_by_newlines_are_read_too():
    event = parse(adt_message().replace("\r", "\r\n"))
    assert event.family_name == "Anders"


def test_names_with_apostrophes_and_non_latin_letters():
    event = parse(adt_message(given="Seán", family="O'Brien-Núñez"))
    assert (event.given_name, event.family_name) == ("Seán", "O'Brien-Núñez")
    event = parse(adt_message(given="美玲", family="王"))
    assert event.family_name == "王"


@pytest.mark.parametrize(
    ("text", "words", "location", "code"),
    [
        ("hello", "does not begin with an MSH segment", "MSH", "101"),
        (adt_message(control_id=""), "control id (MSH-10) is missing", "MSH-10", "101"),
        (adt_message("A05"), "not A05", "MSH-9", "201"),
        (adt_message(patient_class="X"), "PV1-2 patient class", "PV1-2", "103"),
        (adt_message(admitted="20260230"), "PV1-44 is not a real date", "PV1-44", "102"),
        (adt_message(admitted="tomorrow"), "PV1-44 is not a date and time", "PV1-44", "102"),
        (adt_message(born=date(2099, 1, 1)), "date of birth is in the future", "PID-7", "102"),
        (
            adt_message("A03", discharged="202603131200"),
            "discharge time (PV1-45) is before the admission time",
            "PV1-45",
            "102",
        ),
        (adt_message().split("\rPV1")[0], "PV1 segment is missing", "PV1", "101"),
    ],
)
def test_bad_messages_are_refused_naming_the_field(text, words, location, code):
    with pytest.raises(AdtParseError) as refused:
        parse(text, today=date(2026, 3, 14))
    assert words in refused.value.message
    assert refused.value.location == location
    assert refused.value.code == code


def test_ack_accepts_with_the_original_control_id():
    import hl7

    message = hl7.parse(adt_message().strip())
    ack = acks.build_ack(code="AA", control_id="MSG00001", message=message, ack_control_id="P1")
    lines = ack.strip("\r").split("\r")
    assert lines[0].startswith("MSH|^~\\&|PALLIO|RIVERSIDE|EPIC|MERCY|")
    assert "|ACK^A01^ACK|P1|P|2.5" in lines[0]
    assert lines[1] == "MSA|AA|MSG00001"
    assert len(lines) == 2


def test_error_ack_says_what_was_wrong_in_msa_and_err():
    ack = acks.build_ack(
        code="AE",
        control_id="X|1",
        text="PV1-44 is not a date | time",
        error_code="102",
        location="PV1-44",
    )
    lines = ack.strip("\r").split("\r")
    assert lines[1] == "MSA|AE|X\\F\\1|PV1-44 is not a date \\F\\ time"
    assert lines[2].startswith("ERR||PV1^1^44|102^Data type error^HL70357|E||||PV1-44")


def test_ack_time_comes_from_the_clock():
    from pallio.core import clock

    with clock.frozen(datetime(2026, 3, 14, 12, 0, tzinfo=UTC)):
        ack = acks.build_ack(code="AA", control_id="1")
    assert "|20260314120000+0000|" in ack
