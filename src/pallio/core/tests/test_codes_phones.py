from __future__ import annotations

import pytest

from pallio.core.codes import ICD10CM, SNOMED, diagnosis_lookup, diagnosis_search
from pallio.core.phones import InvalidPhone, phone_display, phone_to_e164


def test_diagnosis_search_by_words_of_the_name():
    found = diagnosis_search("heart fail")
    assert found and all("heart failure" in d.display.lower() for d in found)


def test_diagnosis_search_by_code_prefix():
    assert {d.code for d in diagnosis_search("C78")} >= {"C78.00", "C78.7"}


def test_diagnosis_search_ignores_empty_text():
    assert diagnosis_search("   ") == []


def test_catalog_has_both_code_systems():
    als = diagnosis_lookup(ICD10CM, "G12.21")
    heart_failure = diagnosis_lookup(SNOMED, "88805009")
    assert als is not None and als.display == "Amyotrophic lateral sclerosis"
    assert heart_failure is not None and heart_failure.group == "heart_failure"
    assert diagnosis_lookup(ICD10CM, "NOPE") is None


@pytest.mark.parametrize("raw", ["617-555-0100", "(617) 555 0100", "+1 617 555 0100"])
def test_phone_numbers_are_stored_in_e164(raw):
    assert phone_to_e164(raw) == "+16175550100"
    assert phone_display("+16175550100") == "(617) 555-0100"


@pytest.mark.parametrize("raw", ["call me", "12", "617-555-0100-9999-0000"])
def test_impossible_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        phone_to_e164(raw)
