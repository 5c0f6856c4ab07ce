"""The symptom report API (requirement 4): the portal's door, usable by staff now. It calls
the same service as the staff form, honours Idempotency-Key, answers 422 with messages for
bad input and the same 404 for a patient that is not the caller's as for one that does not
exist."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from tests.support.personas import login

from pallio.accounts.services import api_token_create
from pallio.assessments.models import Alert, SymptomReport
from pallio.assessments.tasks import TASK_PATH, report_evaluate_task
from pallio.assessments.tests.helpers import esas, phq
from pallio.audit.models import AuditEvent
from pallio.core import clock

API = "/api/v1/assessments/patients"


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def url(patient: Any) -> str:
    return f"{API}/{patient.pk}/symptom-reports"


def post(client: Client, patient: Any, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url(patient), body, content_type="application/json", headers=headers)


def esas_body(**values: int) -> dict[str, Any]:
    return {"instrument": "esas-r", "answers": esas(**values), "respondent": "patient"}


def test_a_caregiver_report_is_recorded_scored_and_its_alert_raised_by_the_worker_task(
    world, django_capture_on_commit_callbacks
):
    when = clock.now() - timedelta(hours=2)
    body = {
        **esas_body(pain=8, nausea=4),
        "respondent": "caregiver",
        "respondent_name": "Ann O'Neil-Anders",
        "channel": "portal",
        "answered_at": when.isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post(token_client(world.navigator), world.alice, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["respondent"] == "caregiver"
    assert data["respondent_name"] == "Ann O'Neil-Anders"
    assert data["channel"] == "portal"
    assert data["scores"]["item_bands"]["pain"] == "Severe"
    assert data["primary_score"] == 12
    assert data["entered_by"] == str(world.navigator.uuid)
    assert data["evaluated"] is False
    report = SymptomReport.objects.get(pk=data["id"])
    assert abs(report.answered_at - when) < timedelta(seconds=1)
    assert AuditEvent.objects.filter(event="symptom_report.create", username="nina").exists()

    # Its evaluation is queued for the background worker; the worker's task judges it. (The
    # worker process itself is driven in test_worker.py and the browser test: it closes the
    # database connection, which would end this test's transaction on PostgreSQL.)
    [queued] = DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY")
    assert queued.args_kwargs["kwargs"] == {"report_id": str(report.pk)}
    assert report_evaluate_task.call(report_id=str(report.pk)) == 2  # with the HOPE visit
    [alert] = Alert.objects.filter(report=report, rule_key="esas-severe")
    assert alert.rule_key == "esas-severe" and alert.discipline == "nurse_navigator"


def test_a_report_answered_in_part_is_kept_marked_partial_and_still_alerts(world):
    answers = esas(pain=10)
    del answers["tiredness"]
    answers["wellbeing"] = None  # sent blank
    response = post(
        token_client(world.navigator),
        world.alice,
        {"instrument": "esas-r", "answers": answers, "respondent": "patient"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["partial"] is True
    assert data["unanswered"] == ["tiredness", "wellbeing"]
    assert data["primary_score"] is None  # never a smaller total that reads as improvement
    assert data["scores"]["incomplete"] == ["total"]
    assert data["scores"]["item_bands"]["pain"] == "Severe"
    assert "tiredness" not in data["answers"]
    report_evaluate_task.call(report_id=data["id"])
    assert Alert.objects.filter(report_id=data["id"], rule_key="esas-severe").exists()
    listed = token_client(world.navigator).get(url(world.alice)).json()["items"]
    assert listed[0]["partial"] is True and listed[0]["unanswered"] == ["tiredness", "wellbeing"]


def test_a_complete_report_is_not_partial(world):
    data = post(token_client(world.navigator), world.alice, esas_body(pain=1)).json()
    assert data["partial"] is False and data["unanswered"] == []
    assert data["scores"]["incomplete"] == []


def test_a_signed_in_session_works_too_and_needs_its_csrf_token(world):
    client = login(Client(enforce_csrf_checks=True), world.physician)
    refused = post(client, world.alice, esas_body(pain=1))
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get(f"/assessments/patients/{world.alice.pk}/report/")  # a page sets the cookie
    token = client.cookies["csrftoken"].value
    response = post(client, world.alice, esas_body(pain=1), **{"X-CSRFToken": token})
    assert response.status_code == 201, response.content


def test_a_retry_with_the_same_idempotency_key_returns_the_first_report(world):
    client = token_client(world.navigator)
    first = post(client, world.alice, esas_body(pain=3), **{"Idempotency-Key": "k-1"})
    again = post(client, world.alice, esas_body(pain=3), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = post(client, world.alice, esas_body(pain=9), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    assert SymptomReport.objects.filter(patient=world.alice).count() == 1
    # Another person's key is their own: the same key makes a new report.
    mine = post(
        token_client(world.physician), world.alice, esas_body(pain=3), **{"Idempotency-Key": "k-1"}
    )
    assert mine.status_code == 201
    assert SymptomReport.objects.filter(patient=world.alice).count() == 2


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"answers": esas(pain=11)}, "pain", "between 0 and 10"),
        ({"answers": {"pain": None}}, "answers", "Answer at least one item"),
        ({"answers": {**esas(), "mood": 3}}, "mood", "no item"),
        ({"instrument": "no-such"}, "instrument", "instrument"),
        ({"answered_at": "2026-01-01T10:00:00"}, "answered_at", "time zone"),
        ({"answered_at": "2999-01-01T10:00:00+00:00"}, "answered_at", "future"),
    ],
)
def test_bad_input_is_422_with_a_message_for_the_field_and_nothing_is_written(
    world, change, field, words
):
    response = post(token_client(world.navigator), world.alice, {**esas_body(), **change})
    assert response.status_code == 422, response.content
    messages = {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}
    assert field in messages and words in messages[field]
    assert not SymptomReport.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {**esas_body(), "respondent": "neighbour"},
        {**esas_body(), "program": "hillside"},
        {**esas_body(), "respondent_name": "A\x00B"},
        {**esas_body(), "answers": {"pain": "7\x00"}},
        {**esas_body(), "answers": "pain=7"},
        {"answers": esas(), "respondent": "patient"},
    ],
)
def test_malformed_bodies_are_refused_with_422(world, body):
    response = post(token_client(world.navigator), world.alice, body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not SymptomReport.objects.exists()


def test_not_json_is_415_and_a_phq4_with_answer_codes_is_accepted(world):
    client = token_client(world.navigator)
    response = client.post(url(world.alice), "pain=7", content_type="text/plain")
    assert response.status_code == 415
    body = {"instrument": "phq-4", "answers": phq(2, 1, 1, 0), "respondent": "with_help"}
    response = post(client, world.alice, body)
    assert response.status_code == 201
    assert response.json()["scores"]["scales"]["phq2"] == 3


@pytest.mark.parametrize(
    ("persona", "patient"),
    [
        ("social_worker", "alice"),  # same program, not on the team
        ("navigator", "bob"),  # same program, not on the team
        ("hillside_nurse", "alice"),  # another program
        ("navigator", "hana"),  # another program
    ],
)
def test_a_patient_not_yours_is_404_like_a_missing_one_and_nothing_is_written(
    world, persona, patient
):
    client = token_client(getattr(world, persona))
    target = getattr(world, patient)
    assert post(client, target, esas_body(pain=9)).status_code == 404
    assert client.get(url(target)).status_code == 404
    missing = client.get(f"{API}/{uuid.uuid4()}/symptom-reports")
    assert missing.status_code == 404
    assert missing.json() == client.get(url(target)).json()
    assert not SymptomReport.objects.exists()


def test_who_may_submit_and_list(world):
    cases = {
        "coordinator": (403, 200),  # program-wide role; a care coordinator records no symptoms
        "director": (201, 200),
        "oncall": (201, 200),
        "navigator": (201, 200),  # on alice's team
        "physician": (201, 200),
        "privacy": (403, 403),  # no patient access by role
    }
    for persona, (post_status, get_status) in cases.items():
        client = token_client(getattr(world, persona))
        assert post(client, world.alice, esas_body(pain=1)).status_code == post_status, persona
        assert client.get(url(world.alice)).status_code == get_status, persona
    refused = post(token_client(world.coordinator), world.alice, esas_body(pain=1))
    assert refused.json()["detail"].startswith("A care coordinator may not record a symptom")
    assert Client().get(url(world.alice)).status_code == 401


def test_the_list_is_newest_first_filtered_by_instrument_and_paged(world):
    client = token_client(world.navigator)
    now = clock.now()
    for weeks in range(3):
        when = (now - timedelta(weeks=weeks)).isoformat()
        post(client, world.alice, {**esas_body(pain=weeks), "answered_at": when})
    post(
        client,
        world.alice,
        {"instrument": "phq-4", "answers": phq(0, 0, 0, 0), "respondent": "patient"},
    )
    data = client.get(url(world.alice)).json()
    assert data["count"] == 4 and data["page_size"] == 50
    esas_only = client.get(url(world.alice), {"instrument": "esas-r"}).json()
    assert [r["answers"]["pain"] for r in esas_only["items"]] == [0, 1, 2]
    assert client.get(url(world.alice), {"instrument": "x' OR 1=1"}).status_code == 422
    assert client.get(url(world.alice), {"page": 0}).status_code == 422
    assert AuditEvent.objects.filter(event="symptom_report.read", username="nina").exists()
