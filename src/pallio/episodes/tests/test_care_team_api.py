"""The care-team API (/api/v1/care-teams/): the same services and refusals as the chart's
page; 404 for a patient the caller may not reach, 403 without the privilege, 422 with the
reason otherwise, and nothing written when refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pallio.accounts.services import api_token_create
from pallio.audit.models import AuditEvent
from pallio.episodes.models import CareTeamLeadChange, CareTeamMember

pytestmark = pytest.mark.django_db
BASE = "/api/v1/care-teams"


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(BASE + path, body, content_type="application/json", headers=headers)


def _member(world, user):
    return CareTeamMember.objects.get(patient=world.alice, user=user, active=True)


def _rows(world):
    members = sorted(
        (str(m.user_id), m.active, m.is_lead)
        for m in CareTeamMember.objects.filter(patient=world.alice)
    )
    return (members, CareTeamLeadChange.objects.count())


def test_read_the_team_its_former_members_and_lead_changes(world):
    body = token_client(world.physician).get(f"{BASE}/{world.alice.pk}").json()
    assert body["episode_id"] == str(world.alice.episodes.get().pk)
    assert [(m["name"], m["is_lead"]) for m in body["members"]] == [
        ("Nina Navigator", True),
        ("Phil Physician", False),
    ]
    assert body["former_members"] == []
    assert body["lead_changes"][0]["to_staff_id"] == str(world.navigator.uuid)
    assert AuditEvent.objects.filter(
        event="careteam.read", username="phil", patient_id=world.alice.pk
    ).exists()


def test_add_a_member_and_make_them_lead(world):
    response = post(
        token_client(world.coordinator),
        f"/{world.alice.pk}/members",
        {"staff_id": str(world.social_worker.uuid), "lead": True},
    )
    assert response.status_code == 201
    assert response.json()["is_lead"] and response.json()["added_by"] == str(world.coordinator.uuid)
    assert not _member(world, world.navigator).is_lead


def test_a_retried_add_with_its_key_makes_one_membership(world):
    client = token_client(world.coordinator)
    body = {"staff_id": str(world.social_worker.uuid)}
    first = post(client, f"/{world.alice.pk}/members", body, **{"Idempotency-Key": "add-sam-1"})
    again = post(client, f"/{world.alice.pk}/members", body, **{"Idempotency-Key": "add-sam-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert CareTeamMember.objects.filter(user=world.social_worker).count() == 1


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("physician", "Phil Physician is already on the care team."),
        ("coordinator", "Cora Coordinator cannot join a care team"),
        ("hillside_nurse", "Choose care team members from this program."),
    ],
)
def test_a_refused_add_says_why_and_writes_nothing(world, who, message):
    before = _rows(world)
    response = post(
        token_client(world.director),
        f"/{world.alice.pk}/members",
        {"staff_id": str(getattr(world, who).uuid)},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith(message)
    assert _rows(world) == before


def test_an_inactive_account_is_refused(world):
    world.social_worker.is_active = False
    world.social_worker.save()
    before = _rows(world)
    response = post(
        token_client(world.director),
        f"/{world.alice.pk}/members",
        {"staff_id": str(world.social_worker.uuid)},
    )
    assert response.status_code == 422
    assert "account is not active" in response.json()["detail"][0]["msg"]
    assert _rows(world) == before


def test_without_the_privilege_403_and_nothing_written(world):
    from tests.support.personas import add_to_team

    chaplain = add_to_team(world, "carl", "chaplain", "Carl", "Chaplain")
    before = _rows(world)
    response = post(
        token_client(chaplain),
        f"/{world.alice.pk}/members",
        {"staff_id": str(world.social_worker.uuid)},
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("A chaplain may not change the care team")
    assert _rows(world) == before


def test_another_programs_patient_is_404_and_nothing_written(world):
    before = _rows(world)
    client = token_client(world.hillside_coordinator)
    assert client.get(f"{BASE}/{world.alice.pk}").status_code == 404
    response = post(
        client, f"/{world.alice.pk}/members", {"staff_id": str(world.hillside_nurse.uuid)}
    )
    assert response.status_code == 404
    assert _rows(world) == before


def test_change_the_lead_and_end_the_former_lead(world):
    client = token_client(world.navigator)
    physician = _member(world, world.physician)
    navigator = _member(world, world.navigator)
    response = post(client, f"/{world.alice.pk}/lead", {"member_id": str(physician.pk)})
    assert response.status_code == 200 and response.json()["is_lead"]
    change = CareTeamLeadChange.objects.latest("created_at")
    assert (change.from_user, change.to_user, change.changed_by) == (
        world.navigator,
        world.physician,
        world.navigator,
    )
    ended = post(client, f"/{world.alice.pk}/members/{navigator.pk}/end", {})
    assert ended.status_code == 200
    assert ended.json()["active"] is False and ended.json()["ended_by"] == str(world.navigator.uuid)


def test_the_lead_is_not_ended_without_a_new_lead(world):
    lead = _member(world, world.navigator)
    before = _rows(world)
    response = post(token_client(world.director), f"/{world.alice.pk}/members/{lead.pk}/end", {})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "new_lead"],
            "msg": "Nina Navigator leads the team: name the new lead before ending their "
            "membership.",
            "type": "invalid",
        }
    ]
    assert _rows(world) == before


def test_a_membership_of_another_patient_is_refused(world):
    hana_member = CareTeamMember.objects.get(patient=world.hana)
    before = _rows(world)
    response = post(
        token_client(world.director), f"/{world.alice.pk}/members/{hana_member.pk}/end", {}
    )
    assert response.status_code == 422
    assert _rows(world) == before
    assert CareTeamMember.objects.get(pk=hana_member.pk).active


def test_unknown_fields_are_refused(world):
    response = post(
        token_client(world.director),
        f"/{world.alice.pk}/members",
        {"staff_id": str(world.social_worker.uuid), "active": False},
    )
    assert response.status_code == 422
    assert not CareTeamMember.objects.filter(user=world.social_worker).exists()
