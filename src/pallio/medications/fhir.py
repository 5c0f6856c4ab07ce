"""FHIR R4 for the medication list: each entry is a MedicationStatement (CLINICAL.md section
10). The dose is recorded as taken; Pallio never proposes one. The daily MME of an opioid is
a Pallio extension, a total for flags only (CLINICAL.md section 6)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pallio.medications import mme
from pallio.medications.models import MedicationStatement

PALLIO_SD = "https://pallio.org/fhir/StructureDefinition/"
EXT_DAILY_MME = PALLIO_SD + "daily-mme"
EXT_OPIOID = PALLIO_SD + "opioid"
EXT_BOWEL_REGIMEN = PALLIO_SD + "bowel-regimen"
UCUM = "http://unitsofmeasure.org"
# The units the catalog records doses in, as UCUM codes.
UCUM_UNITS = {"mg": "mg", "g": "g", "mL": "mL", "mcg/hr": "ug/h", "mcg": "ug"}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _dosage(statement: MedicationStatement) -> dict[str, Any] | None:
    dosage: dict[str, Any] = {}
    parts = []
    if statement.dose_amount is not None:
        quantity: dict[str, Any] = {"value": _number(statement.dose_amount)}
        if statement.dose_unit:
            quantity["unit"] = statement.dose_unit
            if statement.dose_unit in UCUM_UNITS:
                quantity["system"] = UCUM
                quantity["code"] = UCUM_UNITS[statement.dose_unit]
        dosage["doseAndRate"] = [{"doseQuantity": quantity}]
        parts.append(f"{statement.dose_amount.normalize():f} {statement.dose_unit}".strip())
    if statement.doses_per_day is not None and statement.dose_unit != "mcg/hr":
        per_day = statement.doses_per_day
        if per_day == per_day.to_integral_value():
            repeat = {"frequency": int(per_day), "period": 1, "periodUnit": "d"}
        else:
            repeat = {"frequency": 1, "period": round(float(1 / per_day), 2), "periodUnit": "d"}
        dosage["timing"] = {"repeat": repeat}
        parts.append(f"{statement.doses_per_day.normalize():f} times a day")
    if statement.as_needed:
        dosage["asNeededBoolean"] = True
        parts.append("as needed")
    if statement.route:
        dosage["route"] = {"text": statement.route}
        parts.append(statement.route)
    if not dosage:
        return None
    dosage["text"] = ", ".join(parts)
    return dosage


def medication_statement(statement: MedicationStatement) -> dict[str, Any]:
    """One entry of the patient's medication list."""
    coding = {"system": statement.code_system, "code": statement.code}
    if statement.display:
        coding["display"] = statement.display
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(statement.pk),
        "status": statement.status,
        "medicationCodeableConcept": {"coding": [coding], "text": statement.display},
        "subject": {"reference": f"Patient/{statement.patient_id}"},
        "dateAsserted": statement.created_at.isoformat(timespec="seconds"),
        "extension": [
            {"url": EXT_OPIOID, "valueBoolean": statement.is_opioid},
            {"url": EXT_BOWEL_REGIMEN, "valueBoolean": statement.is_bowel_regimen},
        ],
    }
    period: dict[str, str] = {}
    if statement.started_on:
        period["start"] = statement.started_on.isoformat()
    if statement.stopped_on:
        period["end"] = statement.stopped_on.isoformat()
    if period:
        resource["effectivePeriod"] = period
    if statement.recorded_by is not None:
        resource["informationSource"] = {"reference": f"Practitioner/{statement.recorded_by.uuid}"}
    dosage = _dosage(statement)
    if dosage is not None:
        resource["dosage"] = [dosage]
    if statement.note:
        resource["note"] = [{"text": statement.note}]
    if statement.status == MedicationStatement.Status.ACTIVE:
        daily = mme.daily_mme(statement)
        if daily is not None:
            resource["extension"].append(
                {
                    "url": EXT_DAILY_MME,
                    "valueQuantity": {"value": _number(daily), "unit": "MME/day"},
                }
            )
    return resource
