"""Background work for hospice referrals: emailing the hand-off package to the agency.

As for visit summaries (visits/tasks.py): at-least-once with an idempotent effect. The
referral is marked emailed inside a row lock, so a duplicated or retried task never sends it
twice; a failed send records a plain reason and is retried with growing delays. Nothing is
sent once the patient has died.

The email names the program only: the patient's record travels as the attached PDF and FHIR
R4 Bundle.
"""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from pallio.core import clock
from pallio.episodes.models import HospiceReferral, PackageDelivery
from pallio.visits.tasks import RETRY_DELAYS_MINUTES, failure_reason

log = logging.getLogger(__name__)


def hospice_package_enqueue(referral_id: str, *, delay: timedelta | None = None) -> None:
    runner = (
        hospice_package_send
        if delay is None
        else hospice_package_send.using(run_after=clock.now() + delay)
    )
    runner.enqueue(referral_id=referral_id)


def _message(referral: HospiceReferral, pdf: bytes) -> EmailMessage:
    program = referral.package.get("program", {}).get("name") or referral.program.name
    sender = referral.package.get("sender", {}).get("name", "")
    body = (
        f"Dear colleagues at {referral.agency_name},\n\n"
        f"{program} refers a patient to your hospice. The hand-off package is attached: "
        "a PDF to read and the same record as a FHIR R4 Bundle for your system.\n\n"
        + (f"Referring clinician: {sender}\n" if sender else "")
        + (f"Note: {referral.note}\n" if referral.note else "")
        + f"\nPlease tell us whether you accept the referral.\n\n{program}\n"
    )
    message = EmailMessage(
        subject=f"Hospice referral from {program}",
        body=body,
        to=[referral.agency_email],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    message.attach("hospice-referral.pdf", pdf, "application/pdf")
    message.attach(
        "hospice-referral-bundle.json",
        json.dumps(referral.package_bundle, indent=2).encode(),
        "application/fhir+json",
    )
    return message


@task()
def hospice_package_send(*, referral_id: str) -> bool:
    """Email one referral's hand-off package. Safe to run twice: never sent twice."""
    from pallio.episodes.hospice_package import render_package_pdf

    with transaction.atomic():
        referral = (
            HospiceReferral.objects.select_for_update()
            .filter(pk=referral_id)
            .select_related("patient", "program")
            .first()
        )
        if (
            referral is None
            or not referral.agency_email
            or referral.package_delivery not in (PackageDelivery.QUEUED, PackageDelivery.FAILED)
        ):
            return False
        referral.updated_at = clock.now()
        if referral.patient.deceased_at is not None:
            referral.package_delivery = PackageDelivery.WITHHELD
            referral.package_error = "Not sent: the patient died."
            referral.save(update_fields=["package_delivery", "package_error", "updated_at"])
            return False
        referral.package_attempts += 1
        fields = ["package_attempts", "package_delivery", "package_error", "updated_at"]
        try:
            _message(referral, render_package_pdf(referral.package)).send()
        except (OSError, smtplib.SMTPException) as exc:
            referral.package_delivery = PackageDelivery.FAILED
            referral.package_error = failure_reason(exc)[:300]
            referral.save(update_fields=fields)
            log.warning(
                "hospice package %s not sent (attempt %s): %s",
                referral.pk,
                referral.package_attempts,
                type(exc).__name__,
            )
            if referral.package_attempts <= len(RETRY_DELAYS_MINUTES):
                delay = timedelta(minutes=RETRY_DELAYS_MINUTES[referral.package_attempts - 1])
                transaction.on_commit(lambda: hospice_package_enqueue(referral_id, delay=delay))
            return False
        referral.package_delivery = PackageDelivery.SENT
        referral.package_error = ""
        referral.package_sent_at = clock.now()
        referral.save(update_fields=[*fields, "package_sent_at"])
    return True
