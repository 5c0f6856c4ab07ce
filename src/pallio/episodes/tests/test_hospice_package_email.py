"""The hand-off package goes to the hospice agency by real email, through the real
background worker: once, with the PDF and the FHIR Bundle attached, retried after an outage,
sent again on request after a failure, and never once the patient has died.

A real SMTP server (aiosmtpd) listens on a free local port; the worker is django-tasks-db's
`db_worker` in batch mode. The clock is the real one here, as the worker's queue reads it.
"""

from __future__ import annotations

import io
import json
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader
from tests.test_letters_email import run_worker

from pallio.episodes import hospice
from pallio.episodes.models import HospiceReferral, PackageDelivery
from pallio.episodes.tests.hospice_samples import today

pytestmark = pytest.mark.usefixtures("audit_trail_deletable")

AGENCY = "intake@bayside-hospice.example.org"


def refer(world: Any, email: str = AGENCY) -> HospiceReferral:
    return hospice.hospice_referral_send(
        actor=world.navigator,
        patient=world.alice,
        agency_name="Bayside Hospice",
        agency_phone="617-555-0190",
        agency_email=email,
        referred_on=today(world),
        note="Family would like a visit this week.",
    )


def attachments(message: EmailMessage) -> dict[str, Any]:
    return {str(part.get_filename()): part for part in message.iter_attachments()}


def test_the_agency_gets_the_package_once_with_the_pdf_and_the_bundle(
    world, transactional_db, mail_server
):
    mail_server.start()
    referral = refer(world)
    assert referral.package_delivery == PackageDelivery.QUEUED

    run_worker()
    run_worker()  # a second pass sends nothing again

    assert len(mail_server.inbox.messages) == 1
    message = mail_server.inbox.messages[0]
    assert str(message["To"]) == AGENCY
    assert str(message["Subject"]) == "Hospice referral from Riverside Palliative Care"
    body = message.get_body(("plain",)).get_content()
    # The email itself names no patient: the record travels in the attachments.
    assert "Alice" not in body and "Anders" not in body
    assert "Family would like a visit this week." in body
    files = attachments(message)
    assert set(files) == {"hospice-referral.pdf", "hospice-referral-bundle.json"}
    pdf = PdfReader(io.BytesIO(files["hospice-referral.pdf"].get_content()))
    assert "Anders" in "\n".join(page.extract_text() for page in pdf.pages)
    bundle = json.loads(files["hospice-referral-bundle.json"].get_content())
    assert bundle["resourceType"] == "Bundle"
    assert bundle == referral.package_bundle

    referral.refresh_from_db()
    assert referral.package_delivery == PackageDelivery.SENT
    assert referral.package_sent_at is not None
    assert referral.package_attempts == 1


def test_an_outage_is_retried_later_and_the_team_may_send_again(
    world, transactional_db, mail_server, as_user
):
    referral = refer(world)  # the mail server is down
    run_worker()
    referral.refresh_from_db()
    assert referral.package_delivery == PackageDelivery.FAILED
    assert referral.package_error == "The mail server could not be reached (connection refused)."
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.run_after > timezone.now()  # later, not a tight loop

    page = as_user(world.navigator).get(
        reverse("hospice:patient", kwargs={"patient_id": world.alice.pk})
    )
    text = page.content.decode()
    assert "Not delivered yet" in text and "Email the package again" in text

    mail_server.start()
    response = as_user(world.navigator).post(
        reverse(
            "hospice:package_resend",
            kwargs={"patient_id": world.alice.pk, "hospice_referral_id": referral.pk},
        )
    )
    assert response.status_code == 302
    run_worker()
    referral.refresh_from_db()
    assert referral.package_delivery == PackageDelivery.SENT
    assert referral.package_attempts == 2
    # The retry scheduled by the outage falls due later and finds it sent: nothing twice.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert len(mail_server.inbox.messages) == 1


def test_nothing_is_sent_once_the_patient_has_died(world, transactional_db, mail_server):
    mail_server.start()
    referral = refer(world)
    world.alice.deceased_at = timezone.now()
    world.alice.save(update_fields=["deceased_at"])
    run_worker()
    referral.refresh_from_db()
    assert referral.package_delivery == PackageDelivery.WITHHELD
    assert referral.package_error == "Not sent: the patient died."
    assert mail_server.inbox.messages == []


def test_a_bad_agency_email_is_refused_and_nothing_is_recorded(world, db):
    with pytest.raises(ValidationError) as refused:
        refer(world, email="intake at bayside")
    assert refused.value.message_dict["agency_email"] == [
        "Enter the agency's email address, such as intake@hospice.example.org."
    ]
    assert not HospiceReferral.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_without_an_email_nothing_is_queued_and_it_cannot_be_sent_again(world, db):
    referral = refer(world, email="")
    assert referral.package_delivery == PackageDelivery.NOT_EMAILED
    assert not DBTaskResult.objects.exists()
    with pytest.raises(ValidationError, match="Only a package that could not be delivered"):
        hospice.hospice_package_resend(actor=world.navigator, referral=referral)


def test_only_those_who_refer_may_send_again(world, db):
    referral = refer(world)
    HospiceReferral.objects.filter(pk=referral.pk).update(package_delivery="failed")
    referral.refresh_from_db()
    from pallio.core.privileges import PrivilegeDenied

    with pytest.raises(PrivilegeDenied):
        hospice.hospice_package_resend(actor=world.oncall, referral=referral)
