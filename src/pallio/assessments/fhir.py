"""FHIR R4 for assessments (CLINICAL.md section 10): an instrument is a Questionnaire (the
shipped and uploaded instruments are stored as one), a symptom report is a
QuestionnaireResponse, and each of its scores is an Observation.

Score Observations carry the LOINC code the instrument declares for its scale (PHQ-2 total
55758-7, ECOG 89247-1, Karnofsky 89243-0, from CLINICAL.md section 2). A scale without a
LOINC code, and ESAS-r's per-item values (no LOINC panel found), are coded in Pallio's code
system. When the instrument itself is coded (PHQ-4 panel 69724-3), the report also gives a
panel Observation whose members are its scores. Each function returns plain JSON-ready
dicts."""

from __future__ import annotations

import copy
import re
from typing import Any

from pallio.assessments import instruments as inst
from pallio.assessments.models import Instrument, Respondent, SymptomReport
from pallio.core.codes import PALLIO

SCORE_SYSTEM = f"{PALLIO}/instrument-score"
ITEM_SYSTEM = f"{PALLIO}/instrument-item"
RESPONDENT_SYSTEM = f"{PALLIO}/respondent"
EXT_RESPONDENT = inst.PALLIO_SD + "respondent"
SURVEY = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "survey",
    "display": "Survey",
}
# Who answered, as the QuestionnaireResponse's source when it is the patient.
PATIENT_SOURCES = frozenset({Respondent.PATIENT, Respondent.WITH_HELP})


def _instant(value: Any) -> str:
    return str(value.isoformat(timespec="seconds"))


def _fhir_id(text: str) -> str:
    """A FHIR id: letters, digits, '-' and '.', at most 64 characters."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", text)[:64]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The instrument as stored: it is already a validated FHIR Questionnaire."""
    resource = copy.deepcopy(instrument.questionnaire)
    resource["id"] = str(instrument.pk)
    return resource


def _answer(item: inst.Item, value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    answers: list[dict[str, Any]] = []
    for one in values:
        if item.type == "choice":
            option = item.option(str(one))
            coding = {"code": str(one)}
            if option is not None:
                coding = {"system": option.system, "code": option.code, "display": option.display}
                coding = {k: v for k, v in coding.items() if v}
            answers.append({"valueCoding": coding})
        elif item.type == "integer":
            answers.append({"valueInteger": int(one)})
        elif item.type == "decimal" and isinstance(one, int | float):
            answers.append({"valueDecimal": float(one)})
        elif item.type == "boolean":
            answers.append({"valueBoolean": bool(one)})
        else:
            answers.append({"valueString": str(one)})
    return answers


def questionnaire_response(report: SymptomReport) -> dict[str, Any]:
    """A symptom report: the answers in the instrument's order, who answered, and when."""
    spec = inst.spec_of(report.instrument.questionnaire)
    items = []
    for item in spec.items:
        if item.link_id not in report.answers:
            continue
        items.append(
            {
                "linkId": item.link_id,
                "text": item.text,
                "answer": _answer(item, report.answers[item.link_id]),
            }
        )
    canonical = spec.url + (f"|{spec.version}" if spec.version else "")
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(report.pk),
        "questionnaire": canonical,
        "status": "entered-in-error" if report.entered_in_error else "completed",
        "subject": {"reference": f"Patient/{report.patient_id}"},
        "authored": _instant(report.answered_at),
        "extension": [
            {
                "url": EXT_RESPONDENT,
                "valueCoding": {
                    "system": RESPONDENT_SYSTEM,
                    "code": report.respondent,
                    "display": report.get_respondent_display(),
                },
            }
        ],
        "item": items,
    }
    if report.respondent in PATIENT_SOURCES:
        resource["source"] = {"reference": f"Patient/{report.patient_id}"}
    elif report.respondent_name:
        resource["source"] = {"display": report.respondent_name}
    if report.entered_by is not None:
        resource["author"] = {"reference": f"Practitioner/{report.entered_by.uuid}"}
    return resource


def _scale_code(spec: inst.InstrumentSpec, scale: inst.Scale) -> dict[str, Any]:
    pallio = {
        "system": SCORE_SYSTEM,
        "code": f"{spec.key}.{scale.name}",
        "display": f"{spec.title}: {scale.title}",
    }
    coding = [scale.code, pallio] if scale.code else [pallio]
    return {"coding": coding, "text": scale.title}


def _observation(
    report: SymptomReport, obs_id: str, code: dict[str, Any], value: float | None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _fhir_id(obs_id),
        "status": "entered-in-error" if report.entered_in_error else "final",
        "category": [{"coding": [SURVEY]}],
        "code": code,
        "subject": {"reference": f"Patient/{report.patient_id}"},
        "effectiveDateTime": _instant(report.answered_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{report.pk}"}],
    }
    if value is None:
        resource["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-asked",
                    "display": "Not Asked",
                }
            ]
        }
    else:
        resource["valueQuantity"] = {
            "value": _number(value),
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
    return resource


def score_observations(report: SymptomReport) -> list[dict[str, Any]]:
    """One Observation per scale of the report (value and band), one per banded item
    (ESAS-r's 0-10 symptoms), and a panel when the instrument has a code of its own."""
    spec = inst.spec_of(report.instrument.questionnaire)
    scales = report.scores.get("scales", {})
    bands = report.scores.get("bands", {})
    item_values = report.scores.get("item_values", {})
    item_bands = report.scores.get("item_bands", {})
    observations: list[dict[str, Any]] = []
    for scale in spec.scales:
        obs = _observation(
            report, f"{report.pk}-{scale.name}", _scale_code(spec, scale), scales.get(scale.name)
        )
        if scale.name in bands:
            obs["interpretation"] = [{"text": bands[scale.name]}]
        observations.append(obs)
    # A 'value' scale is its one item: that item is not reported twice.
    scale_items = {s.items[0] for s in spec.scales if s.method == "value"}
    for item in spec.items:
        link_id = item.link_id
        if link_id in scale_items:
            continue
        coded = bool(item.code and item.code.get("system") and item.code.get("code"))
        if link_id not in item_values or not (coded or link_id in spec.banded_items):
            continue
        label = item.text.split(":")[0]
        coding = [{"system": ITEM_SYSTEM, "code": f"{spec.key}.{link_id}", "display": label}]
        if coded and item.code is not None:
            coding.insert(0, {k: v for k, v in item.code.items() if v})
        obs = _observation(
            report, f"{report.pk}-item-{link_id}", {"coding": coding, "text": label}, None
        )
        del obs["dataAbsentReason"]
        answer = report.answers.get(link_id)
        option = item.option(str(answer)) if item.type == "choice" else None
        if option is not None:
            answer_coding = {"system": option.system, "code": option.code}
            if option.display:
                answer_coding["display"] = option.display
            obs["valueCodeableConcept"] = {"coding": [answer_coding]}
        else:
            obs["valueQuantity"] = {
                "value": _number(item_values[link_id]),
                "system": "http://unitsofmeasure.org",
                "code": "{score}",
            }
        if link_id in item_bands:
            obs["interpretation"] = [{"text": item_bands[link_id]}]
        observations.append(obs)
    scale_codes = {s.code["code"] for s in spec.scales if s.code}
    if spec.code and spec.code["code"] not in scale_codes:
        panel = _observation(report, f"{report.pk}-panel", {"coding": [spec.code]}, None)
        del panel["dataAbsentReason"]
        panel["code"]["text"] = spec.title
        panel["hasMember"] = [{"reference": f"Observation/{o['id']}"} for o in observations]
        observations.insert(0, panel)
    return observations
