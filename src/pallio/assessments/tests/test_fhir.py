"""FHIR R4 for assessments: every instrument is a valid Questionnaire, every report a valid
QuestionnaireResponse, and every score a valid Observation with the LOINC code CLINICAL.md
section 2 gives (or Pallio's own code where there is none)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from pallio.assessments import fhir
from pallio.assessments.models import Instrument
from pallio.assessments.services import ReportInput, report_submit
from pallio.assessments.tests.helpers import esas, phq
from pallio.core.codes import LOINC, PALLIO


def submit(world: Any, key: str, answers: dict[str, Any], respondent: str = "patient") -> Any:
    report, _ = report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput(key, answers, respondent, "visit", respondent_name="Ann Anders"),
    )
    return report


def codes(resource: dict[str, Any], system: str = LOINC) -> set[str]:
    return {c["code"] for c in resource["code"]["coding"] if c["system"] == system}


def observations(report: Any) -> dict[str, dict[str, Any]]:
    result = {}
    for obs in fhir.score_observations(report):
        Observation.model_validate(obs)
        result[obs["id"].removeprefix(f"{report.pk}-")] = obs
    return result


def test_every_shipped_instrument_is_served_as_a_valid_questionnaire(world):
    rows = list(Instrument.objects.filter(program__isnull=True))
    assert len(rows) >= 10
    for row in rows:
        resource = fhir.questionnaire(row)
        parsed = Questionnaire.model_validate(resource)
        assert parsed.id == str(row.pk)
        assert parsed.url == row.url


def test_an_esas_report_is_a_questionnaire_response_naming_who_answered(world):
    report = submit(world, "esas-r", esas(pain=8, nausea=3), respondent="caregiver")
    resource = fhir.questionnaire_response(report)
    parsed = QuestionnaireResponse.model_validate(resource)
    assert parsed.status == "completed"
    assert resource["subject"]["reference"] == f"Patient/{world.alice.pk}"
    assert resource["questionnaire"].startswith("https://pallio.org/fhir/Questionnaire/esas-r")
    answers = {i["linkId"]: i["answer"][0]["valueInteger"] for i in resource["item"]}
    assert answers["pain"] == 8 and answers["nausea"] == 3
    assert resource["source"] == {"display": "Ann Anders"}
    assert resource["extension"][0]["valueCoding"]["code"] == "caregiver"
    assert resource["author"]["reference"] == f"Practitioner/{world.navigator.uuid}"


def test_esas_scores_are_observations_with_pallio_codes_and_each_symptom_banded(world):
    report = submit(world, "esas-r", esas(pain=8, nausea=3))
    obs = observations(report)
    pain = obs["item-pain"]
    assert pain["valueQuantity"]["value"] == 8
    assert pain["interpretation"][0]["text"] == "Severe"
    assert pain["code"]["coding"][0]["system"] == f"{PALLIO}/instrument-item"
    assert pain["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{report.pk}"}]
    total = next(o for key, o in obs.items() if not key.startswith("item-"))
    assert total["valueQuantity"]["value"] == 11
    assert not codes(total)  # ESAS-r has no LOINC code (CLINICAL.md section 2)


def test_phq4_carries_its_loinc_panel_items_answers_and_phq2_total(world):
    report = submit(world, "phq-4", phq(2, 1, 3, 0))
    resource = fhir.questionnaire_response(report)
    QuestionnaireResponse.model_validate(resource)
    # The published order: the anxiety item comes first.
    assert resource["item"][0]["linkId"] == "gad-1"
    first = resource["item"][0]["answer"][0]["valueCoding"]
    assert (first["system"], first["code"]) == (LOINC, "LA6571-9")
    obs = observations(report)
    assert codes(obs["panel"]) == {"69724-3"}
    members = {m["reference"] for m in obs["panel"]["hasMember"]}
    assert members == {f"Observation/{o['id']}" for k, o in obs.items() if k != "panel"}
    assert codes(obs["phq2"]) == {"55758-7"}
    assert obs["phq2"]["valueQuantity"]["value"] == 3
    assert obs["phq2"]["interpretation"][0]["text"] == "Positive screen"
    assert obs["total"]["valueQuantity"]["value"] == 6
    items = {k: o for k, o in obs.items() if k.startswith("item-")}
    assert {next(iter(codes(o))) for o in items.values()} == {
        "44250-9",
        "44255-8",
        "69725-0",
        "68509-9",
    }
    answer = items["item-gad-1"]["valueCodeableConcept"]["coding"][0]
    assert answer == {"system": LOINC, "code": "LA6571-9", "display": "Nearly every day"}


@pytest.mark.parametrize(
    ("key", "answer", "loinc"), [("ecog", "2", "89247-1"), ("karnofsky", "60", "89243-0")]
)
def test_performance_scales_carry_their_loinc_codes(world, key, answer, loinc):
    instrument = Instrument.objects.get(program__isnull=True, key=key)
    link = instrument.questionnaire["item"][0]["linkId"]
    report = submit(world, key, {link: answer})
    obs = list(observations(report).values())
    assert [codes(o) for o in obs] == [{loinc}]
    assert obs[0]["valueQuantity"]["value"] == int(answer)


def test_a_report_entered_in_error_says_so_in_every_resource(world):
    report = submit(world, "esas-r", esas(pain=2))
    report.entered_in_error = True
    assert QuestionnaireResponse.model_validate(fhir.questionnaire_response(report)).status == (
        "entered-in-error"
    )
    assert {o["status"] for o in observations(report).values()} == {"entered-in-error"}


def test_every_shipped_instrument_gives_valid_resources_for_a_full_report(world):
    """Answers every item of every shipped instrument (lowest option or minimum) and
    validates what comes out."""
    for row in Instrument.objects.filter(program__isnull=True):
        answers: dict[str, Any] = {}
        for item in row.questionnaire["item"]:
            kind = item["type"]
            if kind == "choice":
                code = item["answerOption"][0]["valueCoding"]["code"]
                answers[item["linkId"]] = [code] if item.get("repeats") else code
            elif kind in {"integer", "decimal"}:
                low = next(e for e in item["extension"] if e["url"].endswith("minValue"))
                answers[item["linkId"]] = next(v for k, v in low.items() if k.startswith("value"))
            elif kind == "boolean":
                answers[item["linkId"]] = True
            else:
                answers[item["linkId"]] = "Ann's note, with an apostrophe"
        report = submit(world, row.key, answers)
        QuestionnaireResponse.model_validate(fhir.questionnaire_response(report))
        assert observations(report), row.key
