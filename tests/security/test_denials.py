"""Denied access is on the record (SECURITY.md 10, 13).

A signed-in user's 403 or 404 on a URL that names a patient, each wrong or throttled
authenticator code and each throttled sign-in write an audit event with outcome "denied".
The privacy officer sees them by user; many from one user in a short time raise a security
alert, on the page and by email, once per window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from pallio.audit.middleware import PATIENT_BEARING_PARAMETERS
from pallio.audit.models import AuditEvent, SecurityAlert
from pallio.core import clock
from tests.security.helpers import body_of
from tests.security.test_authentication import (
    LOGIN,
    MFA_AUTHENTICATE,
    sign_in_password,
    with_totp,
)
from tests.security.test_url_access import OBJECT_PARAMETERS
from tests.support.personas import login

NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def chart(patient) -> str:
    return reverse("patients:chart", kwargs={"patient_id": patient.pk})


def denied(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(outcome="denied", **filters).order_by("id"))


def wrong_code(totp) -> str:
    now = int(clock.now().timestamp())
    valid = {totp.at(now + step * 30) for step in (-2, -1, 0, 1, 2)}
    return next(c for c in (totp.at(now + 3600 * k) for k in range(1, 40)) if c not in valid)


# --- refused pages --------------------------------------------------------------------------


def test_every_object_parameter_of_the_url_walk_counts_as_naming_a_patient():
    assert OBJECT_PARAMETERS <= PATIENT_BEARING_PARAMETERS


@pytest.mark.django_db
def test_off_team_clinician_refused_a_chart_is_on_the_record(world, as_user):
    client = as_user(world.social_worker)
    response = client.get(chart(world.alice), REMOTE_ADDR="198.51.100.23")
    assert response.status_code == 404
    [event] = denied()
    assert event.username == "sam" and event.user_id == world.social_worker.pk
    assert event.program_id == world.riverside.pk
    assert event.patient_id == world.alice.pk
    assert event.action == "read" and event.event == "access.denied"
    assert event.source_address == "198.51.100.23"
    assert event.detail["status"] == 404
    assert event.detail["page"] == "patients:chart"
    assert event.detail["ids"] == {"patient_id": str(world.alice.pk)}


@pytest.mark.django_db
def test_another_programs_user_probing_a_patient_is_on_their_programs_record(world, as_user):
    client = as_user(world.hillside_nurse)
    assert client.get(chart(world.alice)).status_code == 404
    assert client.post(chart(world.alice)).status_code in (404, 405)
    events = denied(user_id=world.hillside_nurse.pk)
    assert events and {e.program_id for e in events} == {world.hillside.pk}
    assert {e.patient_id for e in events} == {world.alice.pk}


@pytest.mark.django_db
def test_a_403_on_a_page_naming_a_patient_is_on_the_record(world, as_user):
    client = as_user(world.privacy)  # no clinical role
    url = reverse("medications:list", kwargs={"patient_id": world.alice.pk})
    assert client.get(url).status_code == 403
    [event] = denied()
    assert event.user_id == world.privacy.pk and event.detail["status"] == 403


@pytest.mark.django_db
def test_refusals_that_name_no_patient_and_signed_out_visitors_are_not_recorded(
    world, as_user, client
):
    assert client.get(chart(world.alice)).status_code == 302  # signed out: sent to sign in
    signed_in = as_user(world.navigator)
    assert signed_in.get(reverse("referrals:queue")).status_code == 403
    assert signed_in.get("/no-such-page/").status_code == 404
    assert signed_in.get(chart(world.alice)).status_code == 200
    assert denied() == []


# --- the second factor and sign-in ----------------------------------------------------------


@pytest.mark.django_db
def test_each_wrong_code_and_each_throttled_code_is_on_the_record(world, client):
    totp = with_totp(world.coordinator)
    assert sign_in_password(client, "cora").status_code == 302
    responses = [client.post(MFA_AUTHENTICATE, {"code": wrong_code(totp)}) for _ in range(7)]
    assert "too many" in body_of(responses[-1]).lower()
    failed = denied(event="account.second_factor_failed")
    throttled = denied(event="account.second_factor_throttled")
    assert len(failed) >= 1 and len(throttled) >= 1, [e.event for e in denied()]
    assert len(failed) + len(throttled) == 7
    # A wrong code is answered on the form; a throttled one with 429 and the reason.
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * len(failed) + [429] * len(throttled)
    for event in failed + throttled:
        assert event.user_id == world.coordinator.pk
        assert event.program_id == world.riverside.pk
        assert event.action == "login"
    # Once throttled, even the right code is refused, and that refusal is recorded too.
    assert client.post(MFA_AUTHENTICATE, {"code": totp.now()}).status_code == 429
    assert len(denied(event="account.second_factor_throttled")) == len(throttled) + 1


@pytest.mark.django_db
def test_throttled_sign_ins_are_on_the_record_for_the_account_they_named(world, client):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit + 2):
        client.post(LOGIN, {"login": "Cora", "password": "not the password 123"})
    throttled = denied(event="account.sign_in_throttled")
    assert len(throttled) >= 2, [e.event for e in AuditEvent.objects.all()]
    assert {e.user_id for e in throttled} == {world.coordinator.pk}
    assert {e.program_id for e in throttled} == {world.riverside.pk}
    assert {e.detail["username"].lower() for e in throttled} == {"cora"}
    assert {e.detail["by"] for e in throttled} == {"lockout", "rate limit"}
    assert all("password" not in str(e.detail) for e in throttled)
    # A name that is no account is recorded without a user.
    other = Client(REMOTE_ADDR="203.0.113.40")
    for _ in range(limit + 1):
        other.post(LOGIN, {"login": "nobody-here", "password": "not the password 123"})
    strangers = denied(event="account.sign_in_throttled", user_id__isnull=True)
    assert strangers and strangers[0].detail["username"] == "nobody-here"


# --- the alert ------------------------------------------------------------------------------


@pytest.fixture
def low_threshold(world):
    world.riverside.settings = {"denials_alert_threshold": 3, "denials_alert_window_minutes": 10}
    world.riverside.save()
    world.social_worker.refresh_from_db()
    return world


@pytest.mark.django_db
def test_many_refusals_raise_one_alert_per_window(
    low_threshold, as_user, django_capture_on_commit_callbacks
):
    world = low_threshold
    client = as_user(world.social_worker)
    with django_capture_on_commit_callbacks(execute=True):
        with clock.frozen(NOON):
            for _ in range(2):
                assert client.get(chart(world.alice)).status_code == 404
            assert not SecurityAlert.objects.exists()
            for _ in range(5):
                client.get(chart(world.alice))
        assert SecurityAlert.objects.count() == 1, "one alert per window, not per refusal"
        with clock.frozen(NOON + timedelta(minutes=9)):
            client.get(chart(world.alice))
        assert SecurityAlert.objects.count() == 1
        with clock.frozen(NOON + timedelta(minutes=25)):
            for _ in range(2):
                client.get(chart(world.alice))
            assert SecurityAlert.objects.count() == 1, "2 refusals in this window: below 3"
            client.get(chart(world.alice))
        assert SecurityAlert.objects.count() == 2
    first = SecurityAlert.objects.order_by("raised_at").first()
    assert first is not None
    assert first.username == "sam" and first.denials == 3
    assert first.program_id == world.riverside.pk
    assert first.emailed_to == [world.privacy.email]
    # Each alert queued its email for the background worker (tests/security/
    # test_denial_alert_email.py runs the worker).
    queued = DBTaskResult.objects.filter(task_path="pallio.audit.tasks.security_alert_notify")
    assert queued.count() == 2


@pytest.mark.django_db
def test_denials_page_lists_refusals_by_user_and_the_alerts(low_threshold, as_user):
    world = low_threshold
    sam = as_user(world.social_worker)
    for _ in range(4):
        sam.get(chart(world.alice))
    login(Client(), world.hillside_nurse).get(chart(world.alice))
    page = as_user(world.privacy).get(reverse("audit:denials"))
    assert page.status_code == 200
    body = body_of(page)
    assert body.count('data-testid="denial-row"') == 1
    assert "<td>sam</td><td>4</td>" in body
    assert "hope" not in body, "another program's refusals are not Riverside's to see"
    assert body.count('data-testid="security-alert"') == 1
    assert "?user=sam&amp;outcome=denied" in body
    assert "Waiting to be sent" in body

    log = as_user(world.privacy).get(reverse("audit:log"), {"user": "sam", "outcome": "denied"})
    assert body_of(log).count('data-testid="audit-row"') == 4


@pytest.mark.django_db
def test_only_the_privacy_officer_sees_the_denials(world, as_user):
    for user in (world.director, world.social_worker, world.hillside_coordinator):
        assert as_user(user).get(reverse("audit:denials")).status_code == 403
