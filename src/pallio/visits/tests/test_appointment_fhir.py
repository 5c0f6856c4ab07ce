"""Appointments elsewhere received as FHIR R4 Appointment resources through the API
(requirement 3): create, read, search by patient; bad input answers an OperationOutcome in
plain words and records nothing; a repeat with the same Idempotency-Key makes one record
(ADR 0008); every read and write is audited."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from pallio.accounts.services import api_token_create
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import EpisodeOfCare
from pallio.visits.cadence_models import ExternalAppointment
from pallio.visits.cadence_selectors import suggestions_of
from pallio.visits.tests.cadence_helpers import NOW, cancer_center, set_cadence, since

pytestmark = pytest.mark.django_db

URL = "/api/v1/fhir/Appointment"
FHIR = "application/fhir+json"


@pytest.fixture(autouse=True)
def frozen(world):
    EpisodeOfCare.objects.update(start=NOW - timedelta(days=365))
    with clock.frozen(NOW):
        yield NOW


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def appointment(patient_id: Any, **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "identifier": [{"system": "urn:oid:1.2.3", "value": "INF-5521"}],
        "serviceType": [{"text": "Chemotherapy infusion"}],
        "description": "Cycle 3 of carboplatin",
        "start": "2026-03-12T09:00:00-04:00",
        "end": "2026-03-12T13:00:00-04:00",
        "participant": [
            {"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
            {"actor": {"display": "Riverside Cancer Center"}, "status": "accepted"},
        ],
    }
    resource.update(changes)
    return resource


def post(client: Client, body: Any, **headers: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type=FHIR, headers=headers)


def issues(response: Any) -> str:
    outcome = OperationOutcome.model_validate(response.json())
    return " ".join(i.diagnostics or "" for i in outcome.issue)


def test_an_appointment_is_received_read_and_searched(world):
    client = token_client(world.navigator)
    response = post(client, appointment(world.alice.pk))
    assert response.status_code == 201, response.json()
    body = Appointment.model_validate(response.json())
    stored = ExternalAppointment.objects.get()
    assert stored.source == "fhir" and stored.kind == "infusion"
    assert stored.site == "Riverside Cancer Center" and stored.identifier == "INF-5521"
    assert body.id == str(stored.pk) and response["Location"].endswith(str(stored.pk))
    read = client.get(f"{URL}/{stored.pk}")
    assert read.status_code == 200 and read.json()["status"] == "booked"
    found = client.get(URL, {"patient": f"Patient/{world.alice.pk}"})
    bundle = Bundle.model_validate(found.json())
    assert bundle.total == 1 and found.json()["entry"][0]["resource"]["id"] == str(stored.pk)
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {
        "external_appointment.create",
        "external_appointment.read",
        "external_appointment.search",
    } <= events


def test_a_received_infusion_brings_a_same_day_suggestion(world):
    since(set_cadence(world, "weekly"), 9)
    place = cancer_center(world)
    body = appointment(world.alice.pk)
    body["participant"][1] = {
        "actor": {"reference": f"Location/{place.pk}", "display": "x"},
        "status": "accepted",
    }
    assert post(token_client(world.navigator), body).status_code == 201
    (suggestion,) = suggestions_of(world.alice)
    assert suggestion.appointment.place == place


def test_the_same_idempotency_key_makes_one_appointment(world):
    client = token_client(world.navigator)
    first = post(client, appointment(world.alice.pk), **{"Idempotency-Key": "k-1"})
    again = post(client, appointment(world.alice.pk), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = post(client, appointment(world.alice.pk, description="x"), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and "different request" in issues(other)
    assert ExternalAppointment.objects.count() == 1


def test_an_end_before_the_start_is_refused_in_words(world):
    body = appointment(world.alice.pk, end="2026-03-12T08:00:00-04:00")
    response = post(token_client(world.navigator), body)
    assert response.status_code == 422
    assert "The appointment must end after it starts." in issues(response)
    assert not ExternalAppointment.objects.exists()


def test_an_unknown_or_unreached_patient_is_a_404(world):
    client = token_client(world.navigator)
    for patient_id in (uuid.uuid4(), world.hana.pk, world.bob.pk):
        response = post(client, appointment(patient_id))
        assert response.status_code == 404
        assert "No patient of your program" in issues(response)
    assert not ExternalAppointment.objects.exists()


def test_a_null_character_is_refused(world):
    client = token_client(world.navigator)
    response = post(client, appointment(world.alice.pk, description="cycle\x003"))
    assert response.status_code == 400 and "null character" in issues(response)
    search = client.get(URL, {"patient": f"{world.alice.pk}\x00"})
    assert search.status_code == 400 and "null character" in issues(search)
    assert not ExternalAppointment.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"resourceType": "Patient"}, 400, "Send one FHIR Appointment resource."),
        ({"resourceType": "Appointment", "status": "booked"}, 422, "Name the patient"),
        (
            {
                "resourceType": "Appointment",
                "status": "booked",
                "start": "2026-03-12T09:00:00-04:00",
                "end": "2026-03-12T10:00:00-04:00",
                "participant": [{"actor": {"reference": "Patient/{alice}"}, "status": "accepted"}],
            },
            422,
            "Name the site",
        ),
    ],
)
def test_other_bad_input_is_refused_in_words(world, body, status, words):
    body = json.loads(json.dumps(body).replace("{alice}", str(world.alice.pk)))
    response = post(token_client(world.navigator), body)
    assert response.status_code == status and words in issues(response)


def test_a_time_without_its_zone_is_refused(world):
    body = appointment(
        world.alice.pk,
        start="2026-03-12T09:00:00",
        participant=[{"actor": {"reference": f"Patient/{world.alice.pk}"}, "status": "accepted"}],
    )
    response = post(token_client(world.navigator), body)
    assert response.status_code == 422
    assert "with its time zone" in issues(response)


def test_unreadable_json_and_a_wrong_content_type(world):
    client = token_client(world.navigator)
    assert client.post(URL, "{", content_type=FHIR).status_code == 400
    assert client.post(URL, "x", content_type="text/plain").status_code == 415


def test_reading_is_for_those_who_reach_the_patient(world):
    post(token_client(world.navigator), appointment(world.alice.pk))
    stored = ExternalAppointment.objects.get()
    outsider = token_client(world.hillside_nurse)
    assert outsider.get(f"{URL}/{stored.pk}").status_code == 404
    assert outsider.get(URL, {"patient": str(world.alice.pk)}).status_code == 404
    assert token_client(world.social_worker).get(f"{URL}/{stored.pk}").status_code == 404
    assert token_client(world.navigator).get(f"{URL}/not-an-id").status_code == 404


def test_a_role_without_the_privilege_cannot_send_one(world):
    response = post(token_client(world.privacy), appointment(world.alice.pk))
    assert response.status_code in (403, 404)
    assert not ExternalAppointment.objects.exists()
