"""Letters to referrers go out by real email, through the real background worker.

A real SMTP server (aiosmtpd) listens on a free local port; the worker is django-tasks-db's
`db_worker` in batch mode, which runs everything queued and stops.
"""

from __future__ import annotations

import io
import signal
import socket
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.referrals import services
from pallio.referrals.models import Letter, Referral
from pallio.referrals.tasks import letter_send

REFERRER = "osler@example.org"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


class MailServer:
    """A real SMTP server on a fixed local port that a test can take down and bring back."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


pytestmark = pytest.mark.usefixtures("audit_trail_deletable")


def run_worker() -> None:
    """Run the real worker until the queue holds nothing that is due, then return."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker", batch=True, startup_delay=False, reload=False, interval=0, verbosity=0
        )
    finally:
        # The worker installs its own shutdown handlers; give pytest its own back.
        for number, handler in handlers.items():
            signal.signal(number, handler)


def refer(world: Any) -> Referral:
    referral, _ = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=services.ReferralInput(
            given_name="Maria",
            family_name="O'Neil-García",
            birth_date=clock.now().date().replace(year=1957),
            diagnosis_system=ICD10CM,
            diagnosis_code="C78.00",
            diagnosis_date=clock.now().date() - timedelta(weeks=2),
            urgency="urgent",
            reasons=["symptoms"],
            referrer_name="Dr. Osler",
            referrer_email=REFERRER,
            consent_to_contact=True,
        ),
    )
    return referral


def accept(world: Any, referral: Referral) -> None:
    services.referral_create_patient(
        actor=world.coordinator, referral=referral, expected_version=referral.version
    )
    referral.refresh_from_db()
    services.referral_accept(
        actor=world.coordinator,
        referral=referral,
        expected_version=referral.version,
        team=[world.navigator, world.physician],
    )


def assert_tells_no_patient_detail(message: EmailMessage) -> None:
    # Email travels in the clear: it names the reference, never the patient or the illness.
    text = f"{message['Subject']}\n{message.get_content()}"
    for detail in ("Maria", "O'Neil", "García", "C78", "neoplasm", "lung", "1957"):
        assert detail not in text, detail


def test_referrer_gets_received_and_accepted_letters_once(world, transactional_db, mail_server):
    mail_server.start()
    referral = refer(world)
    accept(world, referral)
    assert mail_server.inbox.messages == []  # nothing is sent from the request itself

    run_worker()

    reference = referral.reference
    assert sorted(mail_server.inbox.subjects()) == sorted(
        [f"Referral received - reference {reference}", f"Referral {reference} accepted"]
    )
    for message in mail_server.inbox.messages:
        assert message["To"] == REFERRER
        assert message["X-Envelope-To"] == REFERRER
        assert reference in message.get_content()
        assert_tells_no_patient_detail(message)
    accepted = next(m for m in mail_server.inbox.messages if "accepted" in str(m["Subject"]))
    assert "has been accepted" in accepted.get_content()
    assert all(letter.sent_at is not None for letter in referral.letters.all())

    # Running the worker again, or queueing the same letters again, sends nothing twice.
    run_worker()
    for letter in referral.letters.all():
        letter_send.enqueue(letter_id=str(letter.pk))
    run_worker()
    assert len(mail_server.inbox.messages) == 2
    assert [letter.attempts for letter in referral.letters.all()] == [1, 1]


def test_letter_waits_out_a_mail_server_outage_and_is_sent_once(
    world, transactional_db, mail_server
):
    referral = refer(world)  # the mail server is down
    services.referral_start_review(actor=world.coordinator, referral=referral)

    run_worker()

    letter = referral.letters.get()
    assert letter.sent_at is None
    assert letter.attempts == 1
    assert letter.last_error == "ConnectionRefusedError"
    assert mail_server.inbox.messages == []
    # The failure scheduled another attempt for later, not a tight loop.
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.run_after > timezone.now()
    run_worker()
    letter.refresh_from_db()
    assert letter.attempts == 1

    mail_server.start()
    # A minute passes: the retry falls due (the worker reads the queue's own clock).
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()

    letter.refresh_from_db()
    assert letter.sent_at is not None
    assert letter.attempts == 2
    assert letter.last_error == ""
    assert mail_server.inbox.subjects() == [f"Referral received - reference {referral.reference}"]

    # Asking for every unsent letter to be retried finds none; nothing goes out twice.
    call_command("letters", "retry", stdout=io.StringIO())
    run_worker()
    assert len(mail_server.inbox.messages) == 1


def test_letters_retry_sends_what_an_outage_held_back_exactly_once(
    world, transactional_db, mail_server
):
    referral = refer(world)
    accept(world, referral)  # two letters, both held back: the mail server is down
    run_worker()
    assert Letter.objects.filter(sent_at__isnull=True).count() == 2
    assert mail_server.inbox.messages == []

    mail_server.start()
    call_command("letters", "retry", stdout=io.StringIO())  # `pallio letters retry`
    run_worker()
    assert len(mail_server.inbox.messages) == 2

    # The retries the failures had scheduled fall due later and find the letters sent.
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()
    assert len(mail_server.inbox.messages) == 2
    assert Letter.objects.filter(sent_at__isnull=True).count() == 0


def test_a_public_referral_mails_an_unchecked_address_only_after_review(
    world, transactional_db, mail_server
):
    """The public form cannot be used to mail strangers: the address typed in is written to
    only once someone at the program has looked at the referral."""
    mail_server.start()
    referral = refer(world)
    run_worker()
    assert mail_server.inbox.messages == []
    assert not referral.letters.exists()

    services.referral_start_review(actor=world.coordinator, referral=referral)
    run_worker()
    assert mail_server.inbox.subjects() == [f"Referral received - reference {referral.reference}"]
    assert mail_server.inbox.messages[0]["X-Envelope-To"] == REFERRER


def test_a_verified_referrer_is_acknowledged_at_once(world, transactional_db, mail_server):
    mail_server.start()
    accept(world, refer(world))  # this address referred a patient the program accepted
    run_worker()
    sent = len(mail_server.inbox.messages)

    second = refer(world)
    run_worker()
    assert mail_server.inbox.subjects()[sent:] == [
        f"Referral received - reference {second.reference}"
    ]
