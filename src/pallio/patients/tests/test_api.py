"""The patient API: search and the patient summary, for exactly the people entitled to them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from pallio.accounts.services import api_token_create, staff_deactivate
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.episodes.models import BreakGlassGrant

API = "/api/v1"

PERSONAS = [
    "coordinator",
    "director",
    "oncall",
    "navigator",
    "physician",
    "social_worker",
    "privacy",
    "hillside_coordinator",
    "hillside_nurse",
]
# Who reaches which patient (core/access.py): program-wide roles reach every patient of
# their program, clinicians only those whose care team they are on.
SEES = {
    "coordinator": {"alice", "bob"},
    "director": {"alice", "bob"},
    "oncall": {"alice", "bob"},
    "navigator": {"alice"},
    "physician": {"alice"},
    "social_worker": set(),
    "privacy": set(),
    "hillside_coordinator": {"hana"},
    "hillside_nurse": {"hana"},
}
CAN_SEARCH = set(PERSONAS) - {"privacy"}


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("patient", ["alice", "bob", "hana"])
def test_a_patient_is_shown_only_to_those_entitled_and_is_404_for_everyone_else(
    world, persona, patient
):
    target = getattr(world, patient)
    client = token_client(getattr(world, persona))
    response = client.get(f"{API}/patients/{target.pk}")
    if persona not in CAN_SEARCH:
        assert response.status_code == 403
    elif patient in SEES[persona]:
        assert response.status_code == 200
        assert response.json()["id"] == str(target.pk)
        return
    else:
        assert response.status_code == 404
        missing = client.get(f"{API}/patients/{uuid.uuid4()}")
        assert response.json() == missing.json()
    assert target.family_name not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_search_finds_only_the_patients_the_caller_may_see(world, persona):
    client = token_client(getattr(world, persona))
    found: set[str] = set()
    for name in ("Anders", "Brown", "Hill"):
        response = client.get(f"{API}/patients", {"q": name})
        if persona not in CAN_SEARCH:
            assert response.status_code == 403
            continue
        assert response.status_code == 200
        found |= {item["given_name"].lower() for item in response.json()}
    assert found == SEES[persona]


def test_the_summary_has_diagnoses_coverage_team_and_episode(world):
    response = token_client(world.navigator).get(f"{API}/patients/{world.alice.pk}")
    body = response.json()
    assert (body["given_name"], body["family_name"], body["birth_date"]) == (
        "Alice",
        "Anders",
        "1950-04-12",
    )
    assert [d["code"] for d in body["diagnoses"]] == ["C34.90"]
    assert body["diagnoses"][0]["is_primary"] is True
    assert body["coverage"] is None
    team = {(m["staff_id"], m["is_lead"]) for m in body["care_team"]}
    assert team == {(str(world.navigator.uuid), True), (str(world.physician.uuid), False)}
    assert body["episode"]["status"] == "active"


def test_a_team_member_who_leaves_the_team_loses_access_at_once(world):
    client = token_client(world.physician)
    assert client.get(f"{API}/patients/{world.alice.pk}").status_code == 200
    world.physician.team_memberships.update(active=False)
    assert client.get(f"{API}/patients/{world.alice.pk}").status_code == 404
    assert client.get(f"{API}/patients", {"q": "Anders"}).json() == []


def test_break_the_glass_grants_reach_through_the_api_until_they_expire(world):
    client = token_client(world.social_worker)
    grant = BreakGlassGrant.objects.create(
        user=world.social_worker,
        patient=world.bob,
        reason="Called by the hospital about an emergency",
        expires_at=clock.now() + timedelta(minutes=30),
    )
    assert client.get(f"{API}/patients/{world.bob.pk}").status_code == 200
    grant.expires_at = clock.now() - timedelta(seconds=1)
    grant.save()
    assert client.get(f"{API}/patients/{world.bob.pk}").status_code == 404


def test_a_deactivated_account_is_refused(world):
    client = token_client(world.navigator)
    staff_deactivate(actor=None, user=world.navigator)
    assert client.get(f"{API}/patients/{world.alice.pk}").status_code == 401


def test_reads_and_searches_are_audited(world):
    client = token_client(world.navigator)
    client.get(f"{API}/patients/{world.alice.pk}")
    client.get(f"{API}/patients", {"q": "Anders"})
    chart = AuditEvent.objects.get(username="nina", event="patient.chart")
    assert chart.patient_id == world.alice.pk
    search = AuditEvent.objects.get(username="nina", event="patient.search")
    assert search.detail == {"results": 1, "patients": [str(world.alice.pk)]}


def test_a_refused_read_is_not_logged_as_a_read_of_the_patient(world):
    client = token_client(world.social_worker)
    response = client.get(f"{API}/patients/{world.alice.pk}")
    assert response.status_code == 404
    events = AuditEvent.objects.filter(username="sam", patient_id=world.alice.pk)
    assert not events.exclude(outcome="denied").exists()
    # The refusal itself is on the record, as a denied attempt.
    assert events.filter(outcome="denied", action="read", event="access.denied").count() == 1


def test_an_empty_search_returns_nobody(world):
    client = token_client(world.coordinator)
    assert client.get(f"{API}/patients", {"q": "   "}).json() == []
    assert client.get(f"{API}/patients").json() == []


@pytest.mark.parametrize(
    "q",
    ["Anders\x00", "x" * 101],
    ids=["nul", "too-long"],
)
def test_unusable_search_text_is_refused(world, q):
    response = token_client(world.coordinator).get(f"{API}/patients", {"q": q})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "q",
    ["' OR '1'='1", "%", "_", "Anders'; DROP TABLE patients_patient; --", "Ándérs", "安"],
)
def test_odd_search_text_is_only_text(world, q):
    response = token_client(world.coordinator).get(f"{API}/patients", {"q": q})
    assert response.status_code == 200
    assert response.json() == []


def test_a_malformed_patient_id_is_refused(world):
    assert token_client(world.coordinator).get(f"{API}/patients/42").status_code == 422


def test_a_session_without_mfa_cannot_read_patients(world, client):
    client.force_login(world.navigator, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"{API}/patients/{world.alice.pk}").status_code == 401


def test_a_signed_in_session_with_mfa_can_read_patients(world, as_user):
    assert as_user(world.navigator).get(f"{API}/patients/{world.alice.pk}").status_code == 200
