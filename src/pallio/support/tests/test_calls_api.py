"""The 24/7 line through the JSON API: create (idempotent), triage, callback, disposition,
read; another program's call is a 404; bad input is refused with nothing saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.support.models import Call
from pallio.support.tests.helpers import a_call

pytestmark = pytest.mark.django_db
BASE = "/api/v1/support/calls"


def body(world: Any, **overrides: Any) -> dict[str, Any]:
    values = {
        "patient_id": str(world.alice.pk),
        "caller_kind": "caregiver",
        "caller_name": "Ann",
        "callback_number": "617-555-0199",
        "received_at": (clock.now() - timedelta(minutes=5)).isoformat(),
        "reason": "symptom",
        "story": "Pain.",
    }
    values.update(overrides)
    return values


def post(client: Any, url: str, data: Any, **headers: Any) -> Any:
    return client.post(url, data, content_type="application/json", headers=headers)


def test_create_is_idempotent_and_a_reused_key_with_another_body_is_refused(world, as_user):
    client = as_user(world.oncall)
    sent = body(world)
    first = post(client, BASE, sent, **{"Idempotency-Key": "k1"})
    assert first.status_code == 201, first.content
    again = post(client, BASE, sent, **{"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = post(client, BASE, {**sent, "story": "Other."}, **{"Idempotency-Key": "k1"})
    assert other.status_code == 409
    assert Call.objects.count() == 1


def test_no_callback_number_or_unknown_patient_is_422_and_nothing_saved(world, as_user):
    client = as_user(world.oncall)
    assert post(client, BASE, body(world, callback_number="")).status_code == 422
    response = post(client, BASE, body(world, patient_id=str(world.hana.pk)))
    assert response.status_code == 422 and "No patient of this program" in response.content.decode()
    assert not Call.objects.exists()


def test_triage_callback_and_disposition_through_the_api(world, as_user):
    client = as_user(world.oncall)
    call = a_call(world.oncall, world.alice)
    url = f"{BASE}/{call.pk}"
    response = post(
        client,
        f"{url}/triage",
        {"version": 1, "protocol": "pain", "red_flags": ["chest-pain"], "esas": {"pain": 8}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["red_flag"] is True and response.json()["symptom_report_id"]
    stale = post(client, f"{url}/callback", {"version": 1})
    assert stale.status_code == 409
    assert post(client, f"{url}/callback", {"version": 2}).status_code == 200
    early = (call.received_at - timedelta(minutes=1)).isoformat()
    refused = post(
        client,
        f"{url}/disposition",
        {"version": 3, "disposition": "emergency", "disposition_at": early},
    )
    assert refused.status_code == 422
    done = post(client, f"{url}/disposition", {"version": 3, "disposition": "emergency"})
    assert done.status_code == 200 and done.json()["status"] == "closed"
    read = client.get(url)
    assert read.status_code == 200 and read.json()["minutes_to_disposition"] is not None
    assert AuditEvent.objects.filter(event="call.read", object_id=str(call.pk)).exists()


def test_another_programs_call_is_404_and_a_privacy_officer_is_refused(world, as_user):
    call = a_call(world.oncall, world.alice)
    assert as_user(world.hillside_nurse).get(f"{BASE}/{call.pk}").status_code == 404
    assert as_user(world.privacy).get(f"{BASE}/{call.pk}").status_code == 403


def test_a_social_worker_may_not_record_a_call(world, as_user):
    response = post(as_user(world.social_worker), BASE, body(world))
    assert response.status_code == 403 and "may not" in response.content.decode()
