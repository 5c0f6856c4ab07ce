"""The medication endpoint of the JSON API: the same rules as the page. A dose above the
plausible maximum needs its confirmed reason (422 with the reason asked for without it), an
impossible dose is refused, and a patient the caller cannot reach is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pallio.accounts.services import api_token_create
from pallio.medications.models import MedicationStatement

pytestmark = pytest.mark.django_db


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, patient: Any, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/medications/patients/{patient.pk}/medications",
        body,
        content_type="application/json",
    )


HIGH = {"catalog_key": "morphine", "dose_amount": "250", "doses_per_day": "4", "route": "PO"}


def test_a_high_dose_without_a_reason_is_422_with_what_to_do(world):
    response = post(token_client(world.navigator), world.alice, HIGH)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "confirm_high_dose_reason"]
    assert "250 mg in one dose is above the usual maximum of 200 mg" in problem["msg"]
    assert "confirm it and give the reason" in problem["msg"]
    assert MedicationStatement.objects.count() == 0


def test_a_high_dose_with_a_reason_is_recorded_with_it(world):
    body = HIGH | {"confirm_high_dose_reason": "Agreed with the team"}
    response = post(token_client(world.navigator), world.alice, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["high_dose_reason"] == "Agreed with the team"
    assert data["route"] == "oral" and float(data["daily_mme"]) == 1000.0
    assert MedicationStatement.objects.get().high_dose_reason == "Agreed with the team"


def test_an_impossible_dose_is_refused_even_with_a_reason(world):
    body = HIGH | {"dose_amount": "2000.5", "confirm_high_dose_reason": "Agreed"}
    response = post(token_client(world.navigator), world.alice, body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "dose_amount"]
    assert "above the highest dose Pallio records (2000 mg)" in problem["msg"]
    assert MedicationStatement.objects.count() == 0


def test_a_typed_opioid_and_a_subcutaneous_one_say_why_they_are_not_counted(world):
    client = token_client(world.navigator)
    typed = post(client, world.alice, {"free_text": "Oxycodone/APAP 5/325", "dose_amount": "1"})
    sc = post(
        client, world.alice, {"catalog_key": "hydromorphone", "dose_amount": "1", "route": "SC"}
    )
    unknown = post(client, world.alice, {"free_text": "Zzzumab"})
    assert typed.json()["is_opioid"] and typed.json()["daily_mme"] is None
    assert typed.json()["mme_not_counted"] == "opioid not on the medication list, so not converted"
    assert sc.json()["mme_not_counted"].startswith("route not converted")
    assert unknown.json()["needs_pharmacist_review"] is True


def test_a_patient_the_caller_cannot_reach_is_404_and_nothing_is_written(world):
    for user in (world.social_worker, world.hillside_nurse):
        assert post(token_client(user), world.alice, HIGH).status_code == 404
    assert MedicationStatement.objects.count() == 0


def test_text_the_database_cannot_store_is_refused_as_input(world):
    response = post(token_client(world.navigator), world.alice, {"free_text": "Zz\x00"})
    assert response.status_code == 422
