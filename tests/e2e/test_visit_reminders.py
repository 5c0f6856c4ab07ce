"""Visit reminders in the browser: after the worker's sweep, the physician opens a video visit
and reads its send log (each reminder: to whom, masked, by which channel, when, its status, and
a failure in words). At 1280 px and 390 px, axe-clean."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from pallio.acp.models import HealthcareAgent
from pallio.core import clock, sms
from pallio.visits.reminders import reminders_sweep
from pallio.visits.tests.scheduling_helpers import at, book

pytestmark = pytest.mark.browser


class RefusingSms:
    def send(self, *, to: str, body: str) -> None:
        raise ConnectionRefusedError("the provider refused the connection")


def both_widths(browsing: Any, page: Any, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_send_log_of_a_video_visit(world, browsing, sign_in, settings):
    settings.PALLIO_PATIENT_SMS_BACKEND = "tests.e2e.test_visit_reminders.RefusingSms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sms.outbox.clear()
    world.alice.email = "alice@example.net"
    world.alice.save(update_fields=["email"])
    HealthcareAgent.objects.create(
        program=world.riverside,
        patient=world.alice,
        name="Andrew Anders",
        relationship="CHILD",
        phone="617-555-0144",
        email="andrew@example.org",
    )
    world.riverside.settings["video_url_template"] = "https://video.example.org/join/{room}"
    world.riverside.save()
    visit = book(world, setting="telehealth", starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    with clock.frozen(visit.starts_at - timedelta(hours=24)):
        result = reminders_sweep()
    assert (result.sent, result.failed) == (2, 2)

    phil = sign_in(world.physician)
    phil.goto(f"/visits/scheduled/{visit.pk}/")
    log = phil.get_by_test_id("reminder-log")
    expect(log.get_by_role("heading", name="Reminders")).to_be_visible()
    expect(log).to_contain_text(
        "Reminders go 24 and 2 hours before the visit to the patient and the main caregiver, "
        "by email and text message."
    )
    expect(log.get_by_test_id("reminder")).to_have_count(4)
    expect(log).to_contain_text("Email to the patient (a•••@example.net)")
    expect(log).to_contain_text("Text message to the main caregiver (number ending 0144)")
    expect(log).to_contain_text("Not sent yet, will try again")
    expect(log).to_contain_text("The text message could not be sent")
    assert "alice@example.net" not in phil.content()
    expect(phil.get_by_test_id("join-link")).to_contain_text(visit.join_url)
    both_widths(browsing, phil, "reminder-log")
