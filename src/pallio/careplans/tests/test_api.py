"""The care-plan and task API: the same services as the pages, idempotent creates, 409 on
a stale version, 404 for another program's patient, documented in the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from pallio.accounts.services import api_token_create
from pallio.audit.models import AuditEvent
from pallio.careplans.models import Goal, GoalReview, Problem, Task
from pallio.careplans.tests.factories import plan_of, today_of
from pallio.core.codes import SNOMED

pytestmark = pytest.mark.django_db
BASE = "/api/v1/care-plans"


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(BASE + path, body, content_type="application/json", headers=headers)


def put(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.put(BASE + path, body, content_type="application/json")


def test_read_the_plan_with_goals_reviews_and_tasks(world):
    items = plan_of(world)
    client = token_client(world.navigator)
    post(client, f"/goals/{items['goal'].pk}/reviews", {"outcome": "partly_met"})
    response = client.get(f"{BASE}/patients/{world.alice.pk}")
    assert response.status_code == 200
    data = response.json()
    assert {p["display"] for p in data["problems"]} == {"Pain", "Caregiver strain"}
    goal = data["goals"][0]
    assert goal["conversation_id"] == str(items["conversation"].pk)
    assert goal["latest_review"]["outcome"] == "partly_met"
    assert data["interventions"][0]["tasks"][0]["title"] == "Call about the new dose"
    assert AuditEvent.objects.filter(event="care_plan.read", patient_id=world.alice.pk).exists()


def test_another_programs_patient_is_404_and_nothing_is_written(world):
    plan_of(world)
    client = token_client(world.hillside_nurse)
    assert client.get(f"{BASE}/patients/{world.alice.pk}").status_code == 404
    before = Problem.objects.count()
    response = post(
        client,
        f"/patients/{world.alice.pk}/problems",
        {"domain": "physical", "code_system": SNOMED, "code": "22253000", "display": "Pain"},
    )
    assert response.status_code == 404 and Problem.objects.count() == before


def test_a_create_with_an_idempotency_key_is_made_once(world):
    plan_of(world)
    client = token_client(world.physician)
    body = {"domain": "physical", "code_system": SNOMED, "code": "422587007", "display": "Nausea"}
    path = f"/patients/{world.alice.pk}/problems"
    first = post(client, path, body, **{"Idempotency-Key": "k-1"})
    again = post(client, path, body, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Problem.objects.filter(code="422587007").count() == 1
    other = post(client, path, {**body, "display": "Vomiting"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409


def test_goal_create_and_a_stale_update_is_409(world):
    items = plan_of(world)
    client = token_client(world.physician)
    body = {
        "patient_words": "Be at my granddaughter's wedding",
        "target": "Able to sit for two hours",
        "review_date": (today_of(world.alice) + timedelta(days=10)).isoformat(),
        "problem_id": str(items["problem"].pk),
        "conversation_id": str(items["conversation"].pk),
    }
    created = post(client, f"/patients/{world.alice.pk}/goals", body, **{"Idempotency-Key": "g"})
    assert created.status_code == 201
    goal_id = created.json()["id"]
    changed = put(client, f"/goals/{goal_id}", {**body, "target": "Sit for 3 hours", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = put(client, f"/goals/{goal_id}", {**body, "target": "Overwrite", "version": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert Goal.objects.get(pk=goal_id).target == "Sit for 3 hours"


def test_problem_and_intervention_updates_and_reviews(world):
    items = plan_of(world)
    client = token_client(world.navigator)
    problem = items["problem"]
    response = put(
        client,
        f"/problems/{problem.pk}",
        {
            "domain": "physical",
            "code_system": SNOMED,
            "code": "22253000",
            "display": "Pain",
            "detail": "Now in the back too",
            "status": "active",
            "version": 1,
        },
    )
    assert response.status_code == 200 and response.json()["detail"] == "Now in the back too"
    response = put(
        client,
        f"/interventions/{items['intervention'].pk}",
        {
            "description": "Rotate opioid",
            "discipline": "physician",
            "version": 1,
            "status": "active",
        },
    )
    assert response.status_code == 200
    response = post(client, f"/goals/{items['goal'].pk}/reviews", {"outcome": "met"})
    assert response.status_code == 201 and Goal.objects.get(pk=items["goal"].pk).status == "closed"
    response = post(client, f"/goals/{items['goal'].pk}/reviews", {"outcome": "bogus"})
    assert response.status_code == 422 and GoalReview.objects.count() == 1


def test_a_volunteer_is_refused_with_the_plain_message(world):
    from tests.support.personas import add_to_team

    plan_of(world)
    volunteer = add_to_team(world, "vic", "volunteer", "Vic", "Volunteer")
    response = post(
        token_client(volunteer),
        f"/patients/{world.alice.pk}/problems",
        {"domain": "physical", "code_system": SNOMED, "code": "22253000", "display": "Pain"},
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("A volunteer may not add to or change")


def test_tasks_create_list_reassign_complete_cancel(world):
    items = plan_of(world)
    client = token_client(world.navigator)
    body = {
        "title": "Order a hospital bed",
        "due": today_of(world.alice).isoformat(),
        "assigned_to": str(world.navigator.uuid),
        "intervention_id": str(items["intervention"].pk),
    }
    created = post(client, f"/patients/{world.alice.pk}/tasks", body, **{"Idempotency-Key": "t1"})
    replay = post(client, f"/patients/{world.alice.pk}/tasks", body, **{"Idempotency-Key": "t1"})
    assert (created.status_code, replay.status_code) == (201, 200)
    task_id = created.json()["id"]
    mine = client.get(f"{BASE}/tasks?tab=mine").json()
    assert task_id in [t["id"] for t in mine["items"]]
    response = post(client, f"/tasks/{task_id}/reassign", {"assigned_to": None, "version": 1})
    assert response.status_code == 200 and response.json()["assigned_to"] is None
    stale = post(client, f"/tasks/{task_id}/complete", {"outcome": "Done", "version": 1})
    assert stale.status_code == 409
    done = post(
        client, f"/tasks/{task_id}/complete", {"outcome": "Bed arrives Friday", "version": 2}
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    response = post(client, f"/tasks/{items['task'].pk}/cancel", {"reason": "Not needed"})
    assert response.status_code == 200
    assert Task.objects.get(pk=items["task"].pk).cancel_reason == "Not needed"
    assert client.get(f"{BASE}/tasks?tab=all").status_code == 403


def test_the_endpoints_are_documented(world):
    schema = token_client(world.physician).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert f"{BASE}/patients/{{patient_id}}" in paths
    create = paths[f"{BASE}/patients/{{patient_id}}/problems"]["post"]
    assert create["summary"] == "Add a problem to the care plan"
    assert {"201", "409"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "409" in paths[f"{BASE}/goals/{{goal_id}}"]["put"]["responses"]


def test_reading_the_plan_and_the_tasks_costs_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pallio.careplans import services

    items = plan_of(world)
    client = token_client(world.director)
    paths = [f"{BASE}/patients/{world.alice.pk}", f"{BASE}/tasks?tab=all"]

    def counts() -> list[int]:
        result = []
        for path in paths:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            result.append(len(captured))
        return result

    counts()  # the first call also records the token's use
    small = counts()
    episode = world.alice.episodes.get(status="active")
    for n in range(5):
        goal = services.goal_add(
            actor=world.physician,
            plan=items["plan"],
            patient_words=f"Words {n}",
            target=f"Target {n}",
            review_date=today_of(world.alice),
            problem=items["problem"],
        )
        services.goal_review_record(actor=world.physician, goal=goal, outcome="not_met")
        intervention = services.intervention_add(
            actor=world.physician,
            plan=items["plan"],
            description=f"Do {n}",
            discipline="nurse",
            goal=goal,
        )
        services.task_create(
            actor=world.physician,
            patient=world.alice,
            episode=episode,
            kind="care_plan",
            title=f"Task {n}",
            due=today_of(world.alice),
            intervention=intervention,
            assigned_to=world.navigator,
        )
    assert counts() == small
