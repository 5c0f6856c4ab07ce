"""Code systems and value sets Pallio uses. Codes are (system, code, display), never free text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import models

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
PALLIO = "https://pallio.org/fhir/CodeSystem"

SYSTEM_LABELS = {ICD10CM: "ICD-10-CM", SNOMED: "SNOMED CT", LOINC: "LOINC"}


class Discipline(models.TextChoices):
    """The palliative team's disciplines (CLINICAL.md section 1)."""

    PHYSICIAN = "physician", "Palliative physician"
    NURSE_PRACTITIONER = "nurse_practitioner", "Nurse practitioner / physician assistant"
    NURSE = "nurse", "Palliative nurse"
    NURSE_NAVIGATOR = "nurse_navigator", "Nurse navigator"
    SOCIAL_WORKER = "social_worker", "Social worker / counselor"
    CHAPLAIN = "chaplain", "Chaplain"
    DIETITIAN = "dietitian", "Dietitian"
    PHARMACIST = "pharmacist", "Pharmacist"
    RESPIRATORY_THERAPIST = "respiratory_therapist", "Respiratory therapist"
    CARE_COORDINATOR = "care_coordinator", "Care coordinator"
    PATIENT_NAVIGATOR = "patient_navigator", "Patient navigator"
    MUSIC_THERAPIST = "music_therapist", "Music therapist"
    CHILD_LIFE = "child_life", "Child-life specialist"
    VOLUNTEER = "volunteer", "Volunteer"
    ADMINISTRATION = "administration", "Administration"


@dataclass(frozen=True)
class Diagnosis:
    system: str
    code: str
    display: str
    group: str
    advanced: bool

    @property
    def system_label(self) -> str:
        return SYSTEM_LABELS.get(self.system, self.system)


@cache
def diagnosis_catalog() -> tuple[Diagnosis, ...]:
    data = json.loads((Path(__file__).parent / "data" / "diagnoses.json").read_text("utf-8"))
    return tuple(Diagnosis(**row) for row in data["diagnoses"])


def diagnosis_lookup(system: str, code: str) -> Diagnosis | None:
    for diagnosis in diagnosis_catalog():
        if diagnosis.system == system and diagnosis.code == code:
            return diagnosis
    return None


def diagnosis_search(text: str, *, limit: int = 20) -> list[Diagnosis]:
    """Find diagnoses by words of their name or by code, e.g. 'heart fail' or 'C34'."""
    words = [w for w in text.casefold().split() if w]
    if not words:
        return []
    found = [
        d
        for d in diagnosis_catalog()
        if all(w in d.display.casefold() or d.code.casefold().startswith(w) for w in words)
    ]
    return found[:limit]


# The serious-illness code sets a program accepts by default (CLINICAL.md section 7),
# as ICD-10-CM prefixes per group. SNOMED CT codes are judged by the catalog's group.
DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES: dict[str, list[str]] = {
    "cancer": [f"C{n:02d}" for n in range(0, 97)],
    "heart_failure": ["I50"],
    "copd": ["J43", "J44"],
    "lung_disease": ["J84", "J96.1"],
    "dementia": ["G30", "F01", "F02", "F03"],
    "kidney": ["N18.4", "N18.5", "N18.6"],
    "als": ["G12.21"],
    "parkinsons": ["G20"],
    "neurological": ["G35", "G71", "G80"],
    "liver": ["K70.3", "K74.6", "K72"],
    "stroke": ["I63", "I61"],
    "pediatric_complex": ["E84", "Q90", "Q91"],
}
SERIOUS_GROUPS = frozenset(DEFAULT_SERIOUS_ILLNESS_ICD10_PREFIXES)
# The serious-illness groups as people name them.
SERIOUS_GROUP_LABELS: dict[str, str] = {
    "cancer": "Cancer",
    "heart_failure": "Heart failure",
    "copd": "Chronic obstructive pulmonary disease (COPD)",
    "lung_disease": "Other serious lung disease",
    "dementia": "Dementia",
    "kidney": "Advanced kidney disease",
    "als": "Amyotrophic lateral sclerosis (ALS)",
    "parkinsons": "Parkinson's disease",
    "neurological": "Other neurological disease",
    "liver": "Advanced liver disease",
    "stroke": "Stroke",
    "pediatric_complex": "Complex conditions of childhood",
}


@cache
def icd10_category_titles() -> dict[str, str]:
    """The titles of the ICD-10-CM categories the catalogue and the default code sets use."""
    data = json.loads((Path(__file__).parent / "data" / "icd10cm_categories.json").read_text())
    return dict(data["categories"])


def icd10_name(code: str) -> str:
    """The plain name of an ICD-10-CM code or category of the catalogue ("" when unknown)."""
    diagnosis = diagnosis_lookup(ICD10CM, code)
    if diagnosis is not None:
        return diagnosis.display
    return icd10_category_titles().get(code, "")
