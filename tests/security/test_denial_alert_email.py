"""A security alert reaches the privacy officer by email, through the real background worker,
once: a second run of the worker sends nothing again (SECURITY.md 22)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from pallio.audit.models import SecurityAlert
from tests.test_letters_email import run_worker

pytestmark = pytest.mark.usefixtures("audit_trail_deletable")


def test_a_security_alert_is_emailed_to_the_privacy_officer_once(transactional_db, as_user):
    from tests.support.personas import build_world

    cache.clear()
    world = build_world()
    world.riverside.settings = {"denials_alert_threshold": 3, "denials_alert_window_minutes": 10}
    world.riverside.save()
    client = as_user(world.social_worker)
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    for _ in range(4):
        assert client.get(chart).status_code == 404
    alert = SecurityAlert.objects.get()
    assert alert.emailed_at is None

    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.privacy.email]
    assert message.subject == "Pallio security alert: sam was refused 3 times"
    assert "3 times in 10 minutes" in message.body
    assert world.alice.family_name not in message.body and str(world.alice.pk) not in message.body
    alert.refresh_from_db()
    assert alert.emailed_at is not None

    run_worker()
    assert len(mail.outbox) == 1, "a second run of the worker sends nothing again"
