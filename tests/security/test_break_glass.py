"""Break-the-glass (SECURITY.md 5): a separate right, a reason, a time limit, an audit event,
and the patient's team told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task, TaskKind
from pallio.core import clock
from pallio.episodes.models import BreakGlassGrant
from tests.security.helpers import birth_date_forms, body_of, row_counts


def chart_url(patient) -> str:
    return reverse("patients:chart", kwargs={"patient_id": patient.pk})


def glass_url(patient) -> str:
    return reverse("patients:break_glass", kwargs={"patient_id": patient.pk})


def phi(patient) -> list[str]:
    return [
        patient.given_name,
        patient.family_name,
        patient.mrn,
        *birth_date_forms(patient.birth_date),
    ]


def assert_no_phi(body: str, patient) -> None:
    shown = [m for m in phi(patient) if m in body]
    assert not shown, f"the page shows {shown}"


REASON = "Called by the family at night; patient in pain, on-call nurse unreachable."


@pytest.mark.django_db
def test_not_on_team_sees_a_404_offering_emergency_access_without_phi(world, as_user):
    client = as_user(world.social_worker)
    response = client.get(chart_url(world.alice))
    assert response.status_code == 404
    body = body_of(response)
    assert "emergency access" in body
    assert glass_url(world.alice) in body
    assert_no_phi(body, world.alice)


@pytest.mark.django_db
@pytest.mark.parametrize("reason", [None, "", "   ", "urgent", "x" * 1001])
def test_no_or_short_reason_grants_nothing(world, as_user, reason):
    client = as_user(world.social_worker)
    before = row_counts()
    events = AuditEvent.objects.count()
    data = {} if reason is None else {"reason": reason}
    response = client.post(glass_url(world.alice), data)
    assert response.status_code == 400
    body = body_of(response)
    assert "reason" in body.lower() or "why" in body.lower()
    assert_no_phi(body, world.alice)
    assert row_counts() == before
    assert not AuditEvent.objects.filter(action="emergency").exists()
    assert AuditEvent.objects.count() == events
    assert client.get(chart_url(world.alice)).status_code == 404


@pytest.mark.django_db
def test_with_a_reason_the_chart_opens_with_a_warning_audit_and_a_review_task(world, as_user):
    client = as_user(world.social_worker)
    response = client.post(glass_url(world.alice), {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == chart_url(world.alice)

    chart = client.get(chart_url(world.alice))
    assert chart.status_code == 200
    body = body_of(chart)
    assert world.alice.family_name in body
    assert "emergency access" in body

    event = AuditEvent.objects.get(action="emergency")
    assert event.user_id == world.social_worker.pk
    assert event.patient_id == world.alice.pk
    assert event.detail.get("reason") == REASON

    task = Task.objects.get(patient=world.alice, kind=TaskKind.BREAK_GLASS_REVIEW)
    assert task.assigned_to == world.navigator, "the team's lead reviews emergency access"
    assert world.social_worker.display_name in task.title


@pytest.mark.django_db
def test_emergency_access_ends_after_the_time_limit(world, as_user):
    client = as_user(world.social_worker)
    start = clock.now()
    with clock.frozen(start):
        assert client.post(glass_url(world.alice), {"reason": REASON}).status_code == 302
    minutes = settings.PALLIO_BREAK_GLASS_MINUTES
    with clock.frozen(start + timedelta(minutes=minutes - 1)):
        assert client.get(chart_url(world.alice)).status_code == 200
    with clock.frozen(start + timedelta(minutes=minutes, seconds=1)):
        response = client.get(chart_url(world.alice))
        assert response.status_code == 404
        assert_no_phi(body_of(response), world.alice)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["privacy", "hillside_nurse", "hillside_coordinator"])
def test_those_without_the_right_cannot_break_the_glass(world, as_user, who):
    user = getattr(world, who)
    client = as_user(user)
    before = row_counts()
    events = AuditEvent.objects.filter(action="emergency").count()
    response = client.post(glass_url(world.alice), {"reason": REASON})
    assert response.status_code in (403, 404)
    if who == "hillside_nurse":
        # Entitled to break the glass in her own program, so the answer is "no such patient".
        assert response.status_code == 404
    assert_no_phi(body_of(response), world.alice)
    chart = client.get(chart_url(world.alice))
    assert chart.status_code in (403, 404)
    assert_no_phi(body_of(chart), world.alice)
    assert "emergency access" not in body_of(client.get(chart_url(world.alice)))
    assert row_counts() == before
    assert not BreakGlassGrant.objects.exists()
    assert AuditEvent.objects.filter(action="emergency").count() == events


@pytest.mark.django_db
def test_program_wide_roles_do_not_need_the_glass(world, as_user):
    client = as_user(world.oncall)
    response = client.get(chart_url(world.alice))
    assert response.status_code == 200
    assert "emergency access" not in body_of(response)
