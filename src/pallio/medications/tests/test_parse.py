"""Reading a referrer's medication line into the medication form's starting values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pallio.medications.parse import parse_medication_line


@pytest.mark.parametrize(
    ("line", "key", "dose", "per_day", "prn", "route"),
    [
        ("Oxycodone 10 mg PO q4h PRN pain", "oxycodone", "10", "6", True, "oral"),
        ("oxycodone ER 20mg by mouth twice daily", "oxycodone", "20", "2", False, "oral"),
        (
            "Morphine 2.5 mg SC every 4 hours as needed",
            "morphine",
            "2.5",
            "6",
            True,
            "subcutaneous",
        ),
        (
            "Fentanyl patch 25 mcg/hr every 72 hours",
            "fentanyl-transdermal",
            "25",
            None,
            False,
            "transdermal",
        ),
        ("Senna 8.6 mg 2 tabs at bedtime", "senna", "8.6", "1", False, ""),
        ("Lactulose 15 mL BID", "lactulose", "15", "2", False, ""),
        ("Hydromorphone 2 mg sl tid", "hydromorphone", "2", "3", False, "sublingual"),
    ],
)
def test_catalog_medications_are_read_with_dose_route_and_frequency(
    line, key, dose, per_day, prn, route
):
    parsed = parse_medication_line(line)
    assert parsed.catalog_key == key
    assert parsed.free_text == ""
    assert parsed.dose_amount == Decimal(dose)
    assert parsed.doses_per_day == (Decimal(per_day) if per_day else None)
    assert parsed.as_needed is prn
    assert parsed.route == route


def test_a_medication_outside_the_catalog_keeps_the_referrer_words():
    parsed = parse_medication_line("  Dexamethasone   4 mg PO daily ")
    assert parsed.catalog_key == ""
    assert parsed.free_text == "Dexamethasone 4 mg PO daily"
    assert parsed.dose_amount == Decimal("4")
    assert parsed.doses_per_day == Decimal("1")
    assert parsed.route == "oral"


def test_a_dose_in_another_unit_than_the_catalog_is_left_for_the_clinician():
    # Fentanyl patches are recorded in mcg/hr; "12 mg" is not a patch strength to copy.
    parsed = parse_medication_line("fentanyl patch 12 mg")
    assert parsed.catalog_key == "fentanyl-transdermal"
    assert parsed.dose_amount is None


def test_unclear_lines_leave_the_fields_blank():
    parsed = parse_medication_line("the little white pill for sleep")
    assert (parsed.catalog_key, parsed.dose_amount, parsed.doses_per_day, parsed.route) == (
        "",
        None,
        None,
        "",
    )
    assert parsed.free_text == "the little white pill for sleep"
    # An interval that does not divide the day is not turned into doses per day.
    assert parse_medication_line("morphine 5 mg q5h").doses_per_day is None
    assert parse_medication_line("morphine 5mg").dose_amount == Decimal("5")
