"""A FHIR R4 Encounter received through the API becomes a hospital stay (episodes/stay_api.py,
episodes/stay_fhir.py); bad input answers an OperationOutcome and records nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.operationoutcome import OperationOutcome

from pallio.accounts.services import api_token_create
from pallio.assessments.models import Alert
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes import stays
from pallio.episodes.models import EpisodeOfCare, HospitalStay

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
URL = "/api/v1/fhir/Encounter"


@pytest.fixture
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def encounter(patient_id: Any, **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "IMP",
        },
        "identifier": [{"system": "urn:oid:1.2.3", "value": "V5551234"}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": "2026-03-05T21:40:00-05:00", "end": "2026-03-09T11:00:00-04:00"},
        "reasonCode": [{"text": "Pneumonia"}],
        "serviceProvider": {"display": "Riverside General Hospital"},
        "location": [
            {"location": {"display": "4 West"}, "period": {"start": "2026-03-05T21:40:00-05:00"}},
            {
                "location": {"display": "Medical ICU"},
                "physicalType": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                            "code": "ICU",
                        }
                    ]
                },
                "period": {"start": "2026-03-06T03:00:00-05:00"},
            },
        ],
        "hospitalization": {
            "dischargeDisposition": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
                        "code": "home",
                    }
                ]
            }
        },
    }
    resource.update(changes)
    return resource


def post(client: Client, body: Any, content_type: str = "application/fhir+json") -> Any:
    return client.post(URL, data=json.dumps(body), content_type=content_type)


def test_an_encounter_becomes_a_stay_with_its_units_and_discharge(world, frozen):
    response = post(token_client(world.navigator), encounter(world.alice.pk))
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    stay = HospitalStay.objects.get()
    assert stay.kind == "inpatient" and stay.source == "fhir" and stay.visit_number == "V5551234"
    assert stay.facility == "Riverside General Hospital" and stay.reason == "Pneumonia"
    assert stay.admitted_at == datetime(2026, 3, 6, 2, 40, tzinfo=UTC)
    assert stay.disposition == "home" and not stay.is_open
    units = [(m.unit, m.is_icu) for m in stay.movements.order_by("started_at")]
    assert units == [("4 West", False), ("Medical ICU", True)]
    back = Encounter.model_validate(response.json())
    assert back.id == str(stay.pk) and back.class_fhir.code == "IMP"
    assert response["Location"].endswith(str(stay.pk))


def test_an_emergency_visit_still_there_calls_the_team(world, frozen):
    body = encounter(
        world.alice.pk,
        status="in-progress",
        period={"start": "2026-03-10T09:30:00-04:00"},
        location=[],
        **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"}},
    )
    body.pop("hospitalization")
    response = post(token_client(world.navigator), body, "application/json")
    assert response.status_code == 201, response.content
    stay = HospitalStay.objects.get()
    assert stay.kind == "emergency" and stay.is_open
    assert Alert.objects.filter(patient=world.alice, rule_key="hospital-admission").exists()


def _outcome(response: Any) -> list[str]:
    parsed = OperationOutcome.model_validate(response.json())
    return [issue.diagnostics or "" for issue in parsed.issue]


def test_a_discharge_before_the_admission_is_refused_with_an_operation_outcome(world, frozen):
    body = encounter(
        world.alice.pk, period={"start": "2026-03-05T10:00:00Z", "end": "2026-03-04T10:00:00Z"}
    )
    body["location"] = []
    response = post(token_client(world.navigator), body)
    assert response.status_code in (400, 422)
    assert any("before" in text for text in _outcome(response))
    assert not HospitalStay.objects.exists()


def test_an_admission_in_the_future_is_refused(world, frozen):
    body = encounter(world.alice.pk, period={"start": "2026-03-20T10:00:00Z"}, location=[])
    body.pop("hospitalization")
    response = post(token_client(world.navigator), body)
    assert response.status_code == 422
    assert "The admission cannot be in the future." in _outcome(response)
    assert not HospitalStay.objects.exists()


def test_an_unknown_class_is_named(world, frozen):
    body = encounter(
        world.alice.pk,
        **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
    )
    response = post(token_client(world.navigator), body)
    assert response.status_code == 422
    [issue] = response.json()["issue"]
    assert issue["expression"] == ["Encounter.class"]
    assert "EMER, IMP or OBSENC" in issue["diagnostics"]
    assert not HospitalStay.objects.exists()


def test_a_time_without_its_zone_is_named(world, frozen):
    body = encounter(world.alice.pk, period={"start": "2026-03-05T10:00:00"}, location=[])
    response = post(token_client(world.navigator), body)
    assert response.status_code == 422
    where = {e for issue in response.json()["issue"] for e in issue.get("expression", [])}
    assert any(w.startswith("Encounter.period") for w in where)
    assert not HospitalStay.objects.exists()


def test_a_patient_of_another_program_is_not_found_and_nothing_is_recorded(world, frozen):
    response = post(token_client(world.navigator), encounter(world.hana.pk))
    assert response.status_code == 404
    assert "No patient of your program" in _outcome(response)[0]
    assert not HospitalStay.objects.exists()


def test_not_an_encounter_and_not_json_are_refused(world, frozen):
    client = token_client(world.navigator)
    assert post(client, {"resourceType": "Patient"}).status_code == 400
    response = client.post(URL, data="{not json", content_type="application/fhir+json")
    assert response.status_code == 400
    assert client.post(URL, data="x", content_type="text/plain").status_code == 415
    assert not HospitalStay.objects.exists()


def test_a_volunteer_may_not_record_a_stay_through_the_api(world, frozen):
    world.navigator.discipline = "volunteer"
    world.navigator.save()
    response = post(token_client(world.navigator), encounter(world.alice.pk))
    assert response.status_code == 403
    assert "may not" in _outcome(response)[0]
    assert not HospitalStay.objects.exists()


def test_without_a_token_the_api_refuses(world, frozen):
    assert post(Client(), encounter(world.alice.pk)).status_code == 401


# --- read and search ------------------------------------------------------------------------


def _stay_of(world, patient, actor, facility="Riverside General"):
    return stays.stay_admit(
        actor=actor,
        patient=patient,
        kind="inpatient",
        facility=facility,
        unit="4 West",
        admitted_at=NOW - timedelta(days=1),
    )


def test_an_encounter_is_read_by_its_id_with_its_version_and_the_read_audited(world, frozen):
    stay = _stay_of(world, world.alice, world.navigator)
    response = token_client(world.navigator).get(f"{URL}/{stay.pk}")
    assert response.status_code == 200 and response["ETag"] == f'W/"{stay.version}"'
    body = response.json()
    assert body["id"] == str(stay.pk) and body["status"] == "in-progress"
    assert body["subject"]["reference"] == f"Patient/{world.alice.pk}"
    assert body["location"][0]["location"]["display"] == "4 West"
    assert AuditEvent.objects.filter(
        event="stay.read", object_id=str(stay.pk), user_id=world.navigator.pk
    ).exists()


def test_an_encounter_search_by_patient_answers_a_bundle_of_their_stays(world, frozen):
    stay = _stay_of(world, world.alice, world.navigator)
    _stay_of(world, world.bob, world.director, facility="Elsewhere")
    client = token_client(world.navigator)
    for patient in (str(world.alice.pk), f"Patient/{world.alice.pk}"):
        body = client.get(URL, {"patient": patient}).json()
        assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
        assert body["total"] == 1
        assert [e["resource"]["id"] for e in body["entry"]] == [str(stay.pk)]
    assert AuditEvent.objects.filter(event="stay.list", patient_id=world.alice.pk).exists()


def test_a_stay_of_a_patient_out_of_reach_is_404_by_id_and_by_search(world, frozen):
    stay = _stay_of(world, world.alice, world.navigator)
    client = token_client(world.social_worker)  # not on Alice's team
    assert client.get(f"{URL}/{stay.pk}").status_code == 404
    assert client.get(URL, {"patient": str(world.alice.pk)}).status_code == 404


def test_another_programs_stay_is_404_the_same_as_no_such_id(world, frozen):
    theirs = _stay_of(world, world.hana, world.hillside_nurse, facility="Hillside Medical")
    client = token_client(world.navigator)
    missing = client.get(f"{URL}/{uuid.uuid4()}")
    foreign = client.get(f"{URL}/{theirs.pk}")
    assert missing.status_code == foreign.status_code == 404
    assert missing.json() == foreign.json()
    assert client.get(URL, {"patient": str(world.hana.pk)}).status_code == 404
    assert "Hillside Medical" not in foreign.content.decode()


def test_reading_encounters_without_the_privilege_is_403(world, frozen):
    stay = _stay_of(world, world.alice, world.navigator)
    client = token_client(world.privacy)
    assert client.get(f"{URL}/{stay.pk}").status_code == 403
    assert client.get(URL, {"patient": str(world.alice.pk)}).status_code == 403


def test_a_search_without_a_patient_or_with_a_bad_id_is_refused_plainly(world, frozen):
    client = token_client(world.navigator)
    assert client.get(URL).status_code == 400
    assert client.get(URL, {"patient": "not-an-id"}).status_code == 404
    assert client.get(f"{URL}/not-an-id").status_code == 404
