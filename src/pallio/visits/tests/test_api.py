"""The visit note API: the same services as the pages, idempotent creates, 409 on a stale
version, 404 for a patient or note the caller cannot reach, and the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from pallio.accounts.services import api_token_create
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.visits.models import NoteAddendum, Visit, VisitNote
from pallio.visits.tests.factories import document, fellow, filled, nurse, symptom_report

pytestmark = pytest.mark.django_db


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "setting": "home",
        "mode": "telephone",
        "started_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "reason": "Call about nausea",
        "content": {"reason": "Nausea since Monday."},
    }
    data.update(overrides)
    return data


def create(client: Client, patient: Any, data: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/visits/patients/{patient.pk}/visits",
        data,
        content_type="application/json",
        headers=headers,
    )


def test_documenting_a_visit_is_idempotent_by_key(world):
    client = token_client(world.navigator)
    data = body()
    first = create(client, world.alice, data, key="visit-1")
    assert first.status_code == 201, first.content
    again = create(client, world.alice, data, key="visit-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1
    other = create(client, world.alice, {**data, "reason": "Another call"}, key="visit-1")
    assert other.status_code == 409
    assert Visit.objects.count() == 1
    note = first.json()
    assert note["status"] == "draft" and note["template"] == "nurse"
    assert note["sections"][0]["text"] == "Nausea since Monday."
    assert world.alice.episodes.get().first_contact_at is not None


def test_a_patient_the_caller_cannot_reach_is_404_and_nothing_is_written(world):
    for user in (world.social_worker, world.hillside_nurse):
        assert create(token_client(user), world.alice, body()).status_code == 404
    assert not Visit.objects.exists()


def test_bad_input_is_422_with_the_field(world):
    client = token_client(world.navigator)
    future = create(
        client, world.alice, body(started_at=(clock.now() + timedelta(days=1)).isoformat())
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "started_at"]
    assert create(client, world.alice, body(setting="moon")).status_code == 422
    assert create(client, world.alice, body(reason="x\x00")).status_code == 422
    assert create(client, world.alice, body(content={"made_up": "x"})).status_code == 422
    assert not Visit.objects.exists()


def test_update_sign_and_the_lock_through_the_api(world):
    nora = nurse(world)
    client = token_client(nora)
    note = create(client, world.alice, body()).json()
    url = f"/api/v1/visits/notes/{note['id']}"
    content = filled(nora, world.alice)
    updated = client.put(
        url, {"version": note["version"], "content": content}, content_type="application/json"
    )
    assert updated.status_code == 200, updated.content
    stale = client.put(
        url, {"version": note["version"], "content": {}}, content_type="application/json"
    )
    assert stale.status_code == 409
    report = symptom_report(nora, world.alice)
    signed = client.post(
        url + "/sign",
        {"version": updated.json()["version"], "symptom_reports": [str(report.pk)]},
        content_type="application/json",
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed"
    assert signed.json()["symptom_reports"] == [str(report.pk)]
    crafted = client.put(
        url,
        {"version": signed.json()["version"], "content": {"plan": "Rewritten"}},
        content_type="application/json",
    )
    assert crafted.status_code == 422
    assert "signed and cannot be changed" in str(crafted.json()["detail"])
    assert VisitNote.objects.get(pk=note["id"]).content["plan"] == content["plan"]
    addendum = client.post(
        url + "/addenda",
        {"reason": "Later information", "text": "Nausea settled."},
        content_type="application/json",
    )
    assert addendum.status_code == 201
    read = client.get(url).json()
    assert read["addenda"][0]["text"] == "Nausea settled."
    assert AuditEvent.objects.filter(event="visit_note.read", object_id=note["id"]).exists()
    listed = client.get(f"/api/v1/visits/patients/{world.alice.pk}/notes").json()
    assert listed["count"] == 1 and listed["items"][0]["status"] == "signed"
    assert AuditEvent.objects.filter(event="visit_note.api_list", user_id=nora.pk).exists()


def test_another_patients_report_is_refused_when_signing(world):
    nora = nurse(world)
    bobs = symptom_report(world.director, world.bob)
    note = document(nora, world.alice)
    response = token_client(nora).post(
        f"/api/v1/visits/notes/{note.pk}/sign",
        {"version": note.version, "symptom_reports": [str(bobs.pk)]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert VisitNote.objects.get(pk=note.pk).status == "draft"


def test_a_trainees_note_is_cosigned_through_the_api(world):
    fred = fellow(world)
    note = document(fred, world.alice)
    signed = token_client(fred).post(
        f"/api/v1/visits/notes/{note.pk}/sign",
        {"version": note.version},
        content_type="application/json",
    )
    assert signed.json()["status"] == "awaiting_cosign"
    assert signed.json()["supervisor"] == "Phil Physician"
    version = signed.json()["version"]
    url = f"/api/v1/visits/notes/{note.pk}/cosign"
    refused = token_client(nurse(world)).post(
        url, {"version": version}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "may not co-sign" in refused.json()["detail"]
    done = token_client(world.physician).post(
        url, {"version": version}, content_type="application/json"
    )
    assert done.status_code == 200
    assert done.json()["status"] == "signed" and done.json()["cosigned_by"] == "Phil Physician"


def test_a_note_the_caller_cannot_reach_is_404(world):
    note = document(world.navigator, world.alice)
    client = token_client(world.hillside_nurse)
    assert client.get(f"/api/v1/visits/notes/{note.pk}").status_code == 404
    response = client.post(
        f"/api/v1/visits/notes/{note.pk}/addenda",
        {"reason": "x", "text": "y"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not NoteAddendum.objects.exists()


def test_the_openapi_schema_documents_the_note_endpoints(world):
    schema = token_client(world.navigator).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/visits/patients/{patient_id}/visits",
        "/api/v1/visits/patients/{patient_id}/notes",
        "/api/v1/visits/notes/{note_id}",
        "/api/v1/visits/notes/{note_id}/sign",
        "/api/v1/visits/notes/{note_id}/cosign",
        "/api/v1/visits/notes/{note_id}/addenda",
    ):
        assert path in paths, path
    create_op = paths["/api/v1/visits/patients/{patient_id}/visits"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create_op["parameters"])
    assert "409" in paths["/api/v1/visits/notes/{note_id}"]["put"]["responses"]
