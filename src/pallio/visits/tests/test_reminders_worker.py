"""Visit reminders through the real background worker and a real SMTP server (aiosmtpd), and
two sweeps racing on PostgreSQL: each reminder goes once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from tests.test_letters_email import run_worker

from pallio.acp.models import HealthcareAgent
from pallio.core import clock, sms
from pallio.visits.reminder_models import VisitReminder
from pallio.visits.reminders import reminders_sweep
from pallio.visits.tests.scheduling_helpers import at, book

pytestmark = pytest.mark.usefixtures("audit_trail_deletable")

PATIENT_EMAIL = "alice@example.net"
CAREGIVER_EMAIL = "andrew@example.org"


@pytest.fixture(autouse=True)
def _texts(settings: Any) -> Any:
    settings.PALLIO_PATIENT_SMS_BACKEND = "pallio.core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def with_family(world: Any) -> None:
    alice = world.alice
    alice.email = PATIENT_EMAIL
    alice.save(update_fields=["email"])
    HealthcareAgent.objects.create(
        program=world.riverside,
        patient=alice,
        name="Andrew Anders",
        relationship="CHILD",
        phone="617-555-0144",
        email=CAREGIVER_EMAIL,
    )


def test_the_worker_emails_a_video_visits_reminder_with_its_join_link(
    world, transactional_db, mail_server
):
    mail_server.start()
    with_family(world)
    world.riverside.settings["video_url_template"] = "https://video.example.org/join/{room}"
    world.riverside.save()
    visit = book(world, setting="telehealth", starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))

    with clock.frozen(visit.starts_at - timedelta(hours=2)):
        call_command("reminders", "sweep")  # queued for the worker
        assert mail_server.inbox.messages == []
        run_worker()

    messages = {str(m["To"]): m for m in mail_server.inbox.messages}
    assert set(messages) == {PATIENT_EMAIL, CAREGIVER_EMAIL}
    for message in messages.values():
        body = message.get_content()
        assert visit.join_url in body
        assert "Where: By video" in body
        assert "Alice" not in body and "Anders" not in body
        assert str(message["Subject"]).startswith("Reminder: a visit from Riverside")
    assert len(sms.outbox) == 2
    assert set(VisitReminder.objects.values_list("status", flat=True)) == {"sent"}


def test_a_mail_server_down_is_retried_then_sent_once(world, transactional_db, mail_server):
    with_family(world)
    visit = book(world, starts_at=at(world, 3, 10), ends_at=at(world, 3, 11))
    first = visit.starts_at - timedelta(hours=24)
    with clock.frozen(first):
        reminders_sweep()  # the server is not up yet
    emails = VisitReminder.objects.filter(channel="email")
    assert {(r.status, r.attempts) for r in emails} == {("failed", 1)}
    assert emails[0].last_error == "The mail server could not be reached (connection refused)."

    mail_server.start()
    with clock.frozen(first + timedelta(minutes=5)):
        reminders_sweep()
        reminders_sweep()
    assert sorted(str(m["To"]) for m in mail_server.inbox.messages) == sorted(
        [PATIENT_EMAIL, CAREGIVER_EMAIL]
    )
    assert {(r.status, r.attempts) for r in emails.all()} == {("sent", 2)}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections racing need PostgreSQL"
)
def test_two_sweeps_racing_send_each_reminder_once(world, transactional_db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    with_family(world)
    visits = [
        book(world, starts_at=at(world, 3, hour), ends_at=at(world, 3, hour, 30))
        for hour in (10, 11, 12)
    ]
    when = visits[0].starts_at - timedelta(hours=2)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            reminders_sweep()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    with clock.frozen(when):  # one clock for both threads
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    # Each visit's reminder to each person by each channel: 3 x 2 x 2, each sent once.
    assert VisitReminder.objects.count() == 12
    assert set(VisitReminder.objects.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 6
    assert len(sms.outbox) == 6
