"""A program adds its own instrument by uploading a Questionnaire; a tampered or malformed
one is refused with a clear message and changes nothing."""

from __future__ import annotations

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pallio.assessments.instruments import InstrumentError
from pallio.assessments.models import Instrument
from pallio.assessments.services import (
    ReportInput,
    instrument_upload,
    report_submit,
)
from pallio.assessments.tests.helpers import program_questionnaire, shipped, to_bytes


def _scale(q):
    return next(e for e in q["extension"] if e["url"].endswith("/scale"))


def _tampered_unknown_item():
    q = program_questionnaire()
    _scale(q)["extension"].append({"url": "item", "valueString": "not-there"})
    return q


def _tampered_overlapping_bands():
    q = program_questionnaire()
    for sub in _scale(q)["extension"]:
        if sub["url"] == "band":
            for part in sub["extension"]:
                if part["url"] == "low" and part["valueDecimal"] == 4:
                    part["valueDecimal"] = 2
    return q


def _tampered_range():
    q = program_questionnaire()
    item = q["item"][0]
    item["extension"][1]["valueInteger"] = 50  # maxValue above the scale's max of 10
    return q


def _without(url_end):
    q = program_questionnaire()
    q["extension"] = [e for e in q["extension"] if not e["url"].endswith(url_end)]
    return q


def _not_fhir():
    q = program_questionnaire()
    q["scoring"] = {"total": "sum"}  # not a Questionnaire element
    return q


BAD_UPLOADS = {
    "not json": (b"{not json", "not valid JSON"),
    "not utf-8": (b"\xff\xfe{}", "not UTF-8"),
    "duplicate keys": (b'{"resourceType": "Questionnaire", "resourceType": "Patient"}', "twice"),
    "not a questionnaire": (to_bytes({"resourceType": "Patient"}), "not a FHIR Questionnaire"),
    "not fhir": (to_bytes(_not_fhir()), "Not a valid FHIR R4 Questionnaire"),
    "scale names an unknown item": (to_bytes(_tampered_unknown_item()), "does not have"),
    "overlapping bands": (to_bytes(_tampered_overlapping_bands()), "overlap"),
    "item range outside scale": (to_bytes(_tampered_range()), "outside its declared range"),
    "no licence": (to_bytes(_without("/licence")), "licence"),
    "no citation": (to_bytes(_without("/citation")), "cite its source"),
    "no scale": (to_bytes(_without("/scale")), "declares no scale"),
    "too large": (b" " * (300 * 1024), "larger than"),
    "shipped key": (to_bytes(shipped("esas-r")), "shipped with Pallio"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_questionnaires_are_refused_with_a_message_and_nothing_changes(world, case):
    data, message = BAD_UPLOADS[case]
    before = Instrument.objects.count()
    with pytest.raises(InstrumentError) as error:
        instrument_upload(actor=world.director, program=world.riverside, data=data)
    assert message in " ".join(error.value.messages)
    assert Instrument.objects.count() == before


@pytest.mark.django_db
def test_a_program_instrument_is_used_like_a_shipped_one_and_only_by_its_program(world):
    row = instrument_upload(
        actor=world.director, program=world.riverside, data=to_bytes(program_questionnaire())
    )
    assert row.key == "breath-check" and row.source == "uploaded"
    report, _ = report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput("breath-check", {"score": 6}, "patient", "call"),
    )
    assert report.primary_score == 6
    with pytest.raises(Exception, match="Choose an instrument"):
        report_submit(
            actor=world.hillside_nurse,
            patient=world.hana,
            data=ReportInput("breath-check", {"score": 6}, "patient", "call"),
        )


@pytest.mark.django_db
def test_a_revised_upload_keeps_the_previous_version_in_history(world):
    instrument_upload(
        actor=world.director, program=world.riverside, data=to_bytes(program_questionnaire())
    )
    revised = program_questionnaire(version="2")
    row = instrument_upload(actor=world.director, program=world.riverside, data=to_bytes(revised))
    assert row.version == "2"
    assert row.history.count() == 2


@pytest.mark.django_db
def test_upload_page_refuses_a_tampered_file_with_400_and_accepts_a_good_one(world, as_user):
    client = as_user(world.director)
    url = reverse("assessments:instruments")
    bad = SimpleUploadedFile("q.json", to_bytes(_tampered_unknown_item()), "application/json")
    response = client.post(url, {"questionnaire": bad})
    assert response.status_code == 400
    assert "does not have" in response.content.decode()
    assert not Instrument.objects.filter(key="breath-check").exists()
    good = SimpleUploadedFile("q.json", to_bytes(program_questionnaire()), "application/json")
    response = client.post(url, {"questionnaire": good})
    assert response.status_code == 302
    assert Instrument.objects.filter(program=world.riverside, key="breath-check").exists()


@pytest.mark.django_db
def test_only_the_medical_director_manages_instruments(world, as_user):
    url = reverse("assessments:instruments")
    assert as_user(world.navigator).get(url).status_code == 403
    assert as_user(world.director).get(url).status_code == 200


def test_program_questionnaire_helper_is_itself_valid():
    from pallio.assessments.instruments import spec_from_questionnaire

    assert spec_from_questionnaire(copy.deepcopy(program_questionnaire())).key == "breath-check"
