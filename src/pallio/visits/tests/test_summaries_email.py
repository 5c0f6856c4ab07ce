"""Visit summaries go out by real email, through the real background worker.

A real SMTP server (aiosmtpd) listens on a free local port; the worker is django-tasks-db's
`db_worker` in batch mode, which runs everything queued and stops.
"""

from __future__ import annotations

import io
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader
from tests.test_letters_email import run_worker

from pallio.visits.models import SummaryDelivery, VisitSummary
from pallio.visits.summaries import summary_create_for_note
from pallio.visits.tasks import summary_delivery_send
from pallio.visits.tests.summary_factories import esas_report, signed_note, visit_of

pytestmark = pytest.mark.usefixtures("audit_trail_deletable")

FAMILY = "family@example.net"
DOCTOR = "park@clinic.example.org"


class RefusingInbox:
    """A mail server that knows nobody at the family's address."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == FAMILY:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def signed_visit_summary(world: Any) -> VisitSummary:
    alice = world.alice
    alice.email = FAMILY
    alice.primary_care_name = "Dr. Grace Park"
    alice.primary_care_email = DOCTOR
    alice.save(update_fields=["email", "primary_care_name", "primary_care_email"])
    report = esas_report(world.navigator, alice, pain=6, dyspnea=3)
    note = signed_note(visit_of(alice, world.navigator), reports=(report,))
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    return summary


def pdf_text(message: EmailMessage) -> str:
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    return "\n".join(page.extract_text() for page in reader.pages)


def to(message: EmailMessage) -> str:
    return str(message["To"])


def test_each_recipient_gets_their_form_once_with_the_pdf(world, transactional_db, mail_server):
    mail_server.start()
    summary = signed_visit_summary(world)
    assert mail_server.inbox.messages == []  # nothing is sent from the signing itself

    run_worker()

    by_address = {to(m): m for m in mail_server.inbox.messages}
    assert set(by_address) == {FAMILY, DOCTOR}
    letter, plain = by_address[DOCTOR], by_address[FAMILY]
    assert str(letter["Subject"]) == "Visit summary from Riverside Palliative Care"
    assert str(plain["Subject"]) == "Your visit summary from Riverside Palliative Care"
    # The message itself names no patient: the summary travels as the attachment.
    for message in (letter, plain):
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        assert "Alice" not in body.get_content() and "Anders" not in str(message["Subject"])
        assert "617-555-0100" in body.get_content()
    letter_text = pdf_text(letter)
    assert "Alice Anders" in letter_text and "Reason for visit" in letter_text
    assert "Edmonton Symptom Assessment System" in letter_text
    plain_text = pdf_text(plain)
    assert "Your visit summary" in plain_text
    assert "Call us at any time, day or night: (617) 555-0100" in plain_text

    for delivery in summary.deliveries.all():
        assert delivery.status == SummaryDelivery.Status.SENT
        assert delivery.sent_at is not None and delivery.attempts == 1

    # Running the worker again, or queueing the same deliveries again, sends nothing twice.
    run_worker()
    for delivery in summary.deliveries.all():
        summary_delivery_send.enqueue(delivery_id=str(delivery.pk))
    run_worker()
    assert len(mail_server.inbox.messages) == 2
    assert sorted(summary.deliveries.values_list("attempts", flat=True)) == [1, 1]


def test_an_outage_fails_with_its_reason_then_the_retry_sends_once(
    world, transactional_db, mail_server
):
    summary = signed_visit_summary(world)  # the mail server is down
    run_worker()

    for delivery in summary.deliveries.all():
        assert delivery.status == SummaryDelivery.Status.FAILED
        assert delivery.attempts == 1
        assert delivery.last_error == "The mail server could not be reached (connection refused)."
        assert "Traceback" not in delivery.last_error
    # Each failure scheduled another attempt for later, not a tight loop.
    retries = DBTaskResult.objects.filter(status="READY")
    assert retries.count() == 2
    assert all(r.run_after > timezone.now() for r in retries)
    run_worker()
    assert set(summary.deliveries.values_list("attempts", flat=True)) == {1}

    mail_server.start()
    retries.update(run_after=timezone.now())  # a minute passes: the retries fall due
    run_worker()

    for delivery in summary.deliveries.all():
        assert delivery.status == SummaryDelivery.Status.SENT
        assert delivery.attempts == 2
        assert delivery.last_error == ""
    assert len(mail_server.inbox.messages) == 2

    # Asking for every unsent summary to be retried finds none; nothing goes out twice.
    out = io.StringIO()
    call_command("summaries", "retry", stdout=out)
    assert out.getvalue().strip() == "0 unsent visit summaries queued."
    run_worker()
    assert len(mail_server.inbox.messages) == 2


def test_summaries_retry_sends_what_an_outage_held_back(world, transactional_db, mail_server):
    summary = signed_visit_summary(world)
    run_worker()
    assert summary.deliveries.filter(status="failed").count() == 2

    mail_server.start()
    out = io.StringIO()
    call_command("summaries", "retry", stdout=out)  # `pallio summaries retry`
    assert out.getvalue().strip() == "2 unsent visit summaries queued."
    run_worker()
    assert len(mail_server.inbox.messages) == 2

    # The retries the failures had scheduled fall due later and find them sent.
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()
    assert len(mail_server.inbox.messages) == 2
    assert summary.deliveries.filter(status="sent").count() == 2


def test_a_refused_address_is_reported_in_plain_words(world, transactional_db, mail_server):
    from aiosmtpd.controller import Controller

    mail_server.controller = Controller(
        RefusingInbox(), hostname="127.0.0.1", port=mail_server.port
    )
    mail_server.controller.start()
    summary = signed_visit_summary(world)
    run_worker()

    family = summary.deliveries.get(to_email=FAMILY)
    assert family.status == SummaryDelivery.Status.FAILED
    assert family.last_error == (
        "The recipient's mail server refused the address (550 5.1.1 No such user here)."
    )
    assert summary.deliveries.get(to_email=DOCTOR).status == SummaryDelivery.Status.SENT
