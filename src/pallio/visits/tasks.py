"""Background work for visits: sending visit summaries.

Delivery is at-least-once with an idempotent effect: a delivery is marked sent inside a row
lock, so a duplicated or retried task never sends it twice. A failed send records a plain
reason (never a stack trace) and is retried with growing delays; `pallio summaries retry`
queues every unsent delivery at once (after an outage of the mail server, or a worker that
died mid-task).

The email itself names the program only: the summary travels as the attached PDF.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from pallio.core import clock
from pallio.visits.models import SummaryDelivery

log = logging.getLogger(__name__)

# Minutes to wait before the next attempt, by the number of attempts made so far.
RETRY_DELAYS_MINUTES = (1, 5, 15, 60, 240, 720)


def summary_delivery_enqueue(delivery_id: str, *, delay: timedelta | None = None) -> None:
    runner = (
        summary_delivery_send
        if delay is None
        else summary_delivery_send.using(run_after=clock.now() + delay)
    )
    runner.enqueue(delivery_id=delivery_id)


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in words a coordinator can act on."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values()]
        detail = f" ({codes[0][:120]})" if codes else ""
        return f"The recipient's mail server refused the address{detail}."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "The mail server refused Pallio's sending address."
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "The mail server refused Pallio's sign-in."
    if isinstance(exc, smtplib.SMTPDataError):
        return f"The mail server refused the message ({exc.smtp_code})."
    if isinstance(exc, ConnectionRefusedError):
        return "The mail server could not be reached (connection refused)."
    if isinstance(exc, socket.timeout | TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(exc, socket.gaierror):
        return "The mail server's name could not be found."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "The mail server closed the connection."
    return f"The message could not be sent ({type(exc).__name__})."


def _message(delivery: SummaryDelivery, pdf: bytes) -> EmailMessage:
    content = delivery.summary.content
    program = content["program"]["name"]
    phone = content["call"]["phone"]
    for_patient = delivery.audience == SummaryDelivery.Audience.PATIENT
    if for_patient:
        subject = f"Your visit summary from {program}"
        body = (
            f"Hello,\n\nThe summary of your recent visit with {program} is attached.\n\n"
            f"If you have questions, or you feel worse, call us at any time, day or night: "
            f"{phone}.\n\n{program}\n"
        )
        filename = "visit-summary.pdf"
    else:
        subject = f"Visit summary from {program}"
        body = (
            f"Dear colleague,\n\nThe clinical summary of a visit by {program} to a patient "
            f"you care for is attached.\n\nQuestions: {phone} (24 hours a day).\n\n{program}\n"
        )
        filename = "visit-summary-letter.pdf"
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[delivery.to_email],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    message.attach(filename, pdf, "application/pdf")
    return message


@task()
def summary_delivery_send(*, delivery_id: str) -> bool:
    """Send one summary to one recipient. Safe to run twice: a sent one is never sent again."""
    from pallio.visits.pdf import render_summary_pdf

    with transaction.atomic():
        delivery = (
            SummaryDelivery.objects.select_for_update()
            .filter(pk=delivery_id)
            .select_related("summary__patient")
            .first()
        )
        if delivery is None or delivery.status in (
            SummaryDelivery.Status.SENT,
            SummaryDelivery.Status.WITHHELD,
        ):
            return False
        if not delivery.to_email:
            return False
        if (
            delivery.audience == SummaryDelivery.Audience.PATIENT
            and delivery.summary.patient.deceased_at is not None
        ):
            # Nothing goes to a patient who died, whatever was queued before the death.
            delivery.status = SummaryDelivery.Status.WITHHELD
            delivery.last_error = "Not sent: the patient died."
            delivery.updated_at = clock.now()
            delivery.save(update_fields=["status", "last_error", "updated_at"])
            return False
        delivery.attempts += 1
        delivery.updated_at = clock.now()
        form = "plain" if delivery.audience == SummaryDelivery.Audience.PATIENT else "letter"
        try:
            pdf = render_summary_pdf(delivery.summary.content, form=form)
            _message(delivery, pdf).send()
        except (OSError, smtplib.SMTPException) as exc:
            delivery.status = SummaryDelivery.Status.FAILED
            delivery.last_error = failure_reason(exc)[:300]
            delivery.save(update_fields=["attempts", "status", "last_error", "updated_at"])
            log.warning(
                "visit summary delivery %s not sent (attempt %s): %s",
                delivery.pk,
                delivery.attempts,
                type(exc).__name__,
            )
            if delivery.attempts <= len(RETRY_DELAYS_MINUTES):
                delay = timedelta(minutes=RETRY_DELAYS_MINUTES[delivery.attempts - 1])
                transaction.on_commit(lambda: summary_delivery_enqueue(delivery_id, delay=delay))
            return False
        delivery.status = SummaryDelivery.Status.SENT
        delivery.sent_at = clock.now()
        delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "last_error", "sent_at", "updated_at"])
    return True
