"""FHIR R4 for the medication list: each entry is a valid MedicationStatement with its code,
dose as recorded and, for an opioid, its daily MME."""

from __future__ import annotations

from datetime import timedelta

from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirStatement

from pallio.core import clock
from pallio.medications import fhir
from pallio.medications.catalog import RXNORM
from pallio.medications.services import MedicationInput, medication_add, medication_stop


def ext(resource, name):
    return next(e for e in resource["extension"] if e["url"].endswith(name))


def test_an_opioid_is_a_medication_statement_with_rxnorm_dose_and_daily_mme(world):
    started = clock.today_in("America/New_York") - timedelta(days=3)
    row = medication_add(
        actor=world.navigator,
        patient=world.alice,
        data=MedicationInput(
            catalog_key="oxycodone",
            dose_amount="10",
            doses_per_day="4",
            route="oral",
            started_on=started,
        ),
    )
    resource = fhir.medication_statement(row)
    parsed = FhirStatement.model_validate(resource)
    assert parsed.status == "active"
    coding = resource["medicationCodeableConcept"]["coding"][0]
    assert (coding["system"], coding["code"]) == (RXNORM, "7804")
    dosage = resource["dosage"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 10
    assert dosage["timing"]["repeat"] == {"frequency": 4, "period": 1, "periodUnit": "d"}
    assert dosage["text"] == "10 mg, 4 times a day, oral"
    assert resource["effectivePeriod"] == {"start": started.isoformat()}
    assert ext(resource, "daily-mme")["valueQuantity"]["value"] == 60  # 10 x 4 x 1.5
    assert ext(resource, "opioid")["valueBoolean"] is True


def test_a_fentanyl_patch_and_free_text_and_stopped_entries_are_valid_too(world):
    patch = medication_add(
        actor=world.navigator,
        patient=world.alice,
        data=MedicationInput(catalog_key="fentanyl-transdermal", dose_amount="25"),
    )
    resource = fhir.medication_statement(patch)
    FhirStatement.model_validate(resource)
    assert resource["dosage"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "ug/h"
    assert ext(resource, "daily-mme")["valueQuantity"]["value"] == 60  # 25 mcg/hr x 2.4

    herbal = medication_add(
        actor=world.navigator,
        patient=world.alice,
        data=MedicationInput(free_text="Ginger tea", as_needed=True, note="for nausea"),
    )
    resource = fhir.medication_statement(herbal)
    FhirStatement.model_validate(resource)
    assert resource["medicationCodeableConcept"]["text"] == "Ginger tea"
    assert resource["dosage"][0]["asNeededBoolean"] is True

    stopped = medication_stop(actor=world.navigator, statement=patch, expected_version=1)
    resource = fhir.medication_statement(stopped)
    FhirStatement.model_validate(resource)
    assert resource["status"] == "stopped"
    assert "end" in resource["effectivePeriod"]
    assert all(not e["url"].endswith("daily-mme") for e in resource["extension"])
