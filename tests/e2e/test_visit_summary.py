"""Visit summaries in the browser: a signed visit shows its summary's delivery status; the
worker mails the letter and the plain summary (received by a real SMTP server, PDF text read
back); a failed delivery shows its reason and is sent again from the page; the late list."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from tests.test_letters_email import MailServer, run_worker

from pallio.core import clock
from pallio.visits.summaries import summary_create_for_note
from pallio.visits.tests.summary_factories import esas_report, signed_note, visit_of

pytestmark = pytest.mark.browser

FAMILY = "family@example.net"
DOCTOR = "park@clinic.example.org"


@pytest.fixture
def mail_server(settings: Any) -> Iterator[MailServer]:
    server = MailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def signed_visit(world: Any, **visit: Any) -> Any:
    alice = world.alice
    alice.email = FAMILY
    alice.primary_care_name = "Dr. Grace Park"
    alice.primary_care_email = DOCTOR
    alice.save(update_fields=["email", "primary_care_name", "primary_care_email"])
    report = esas_report(world.navigator, alice, pain=7, dyspnea=4)
    note = signed_note(visit_of(alice, world.navigator, **visit), reports=(report,))
    summary = summary_create_for_note(actor=world.navigator, note=note)
    assert summary is not None
    return summary


def summary_path(summary: Any) -> str:
    return f"/summaries/{summary.patient_id}/visits/{summary.visit_id}/"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def attached_pdf(message: EmailMessage) -> bytes:
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    data = attachment.get_content()
    assert isinstance(data, bytes)
    return data


def test_a_signed_visit_shows_its_summary_sent_by_the_worker(world, browsing, sign_in, mail_server):
    mail_server.start()
    summary = signed_visit(world)
    nina = sign_in(world.navigator)
    nina.goto(summary_path(summary))
    expect(nina.get_by_role("heading", name=re.compile(r"^Visit summary of "))).to_be_visible()
    status = nina.get_by_test_id("summary-status")
    expect(status.get_by_test_id("delivery-primary_care")).to_contain_text("Queued")
    expect(status.get_by_test_id("delivery-patient")).to_contain_text("Queued")
    browsing.shot(nina, "summary-queued")
    browsing.axe_check(nina, "visit summary, queued")

    run_worker()  # the background worker sends both

    by_address = {str(m["To"]): m for m in mail_server.inbox.messages}
    assert set(by_address) == {FAMILY, DOCTOR}
    letter = pdf_text(attached_pdf(by_address[DOCTOR]))
    assert "Visit summary" in letter and "Alice Anders" in letter
    assert "Reason for visit" in letter and "Pain" in letter
    plain = pdf_text(attached_pdf(by_address[FAMILY]))
    assert "Your visit summary" in plain
    assert "Call us at any time, day or night: (617) 555-0100" in plain

    nina.reload()
    expect(status.get_by_test_id("delivery-primary_care")).to_contain_text("Sent")
    expect(status.get_by_test_id("delivery-patient")).to_contain_text("Sent")
    expect(nina.get_by_test_id("summary-letter")).to_contain_text("Reason for visit")
    expect(nina.get_by_test_id("summary-plain")).to_contain_text("Call us at any time")
    browsing.shot(nina, "summary-sent-1280")
    browsing.axe_check(nina, "visit summary, sent")
    nina.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(nina, "summary-sent-390")
    browsing.axe_check(nina, "visit summary, sent, narrow")

    with nina.expect_download() as info:
        nina.get_by_role("link", name="Letter (PDF)").click()
    download = info.value
    assert download.suggested_filename.startswith("visit-summary-letter-")
    with open(download.path(), "rb") as handle:
        assert "24 hours a day, 7 days a week: (617) 555-0100" in pdf_text(handle.read())


def test_a_failed_delivery_shows_its_reason_and_is_sent_again(
    world, browsing, sign_in, mail_server
):
    summary = signed_visit(world)  # the mail server is down
    run_worker()

    nina = sign_in(world.navigator)
    nina.goto(summary_path(summary))
    family = nina.get_by_test_id("delivery-patient")
    expect(family).to_contain_text("Failed")
    expect(family).to_contain_text("The mail server could not be reached (connection refused).")
    nina.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(nina, "summary-failed-390")
    nina.set_viewport_size({"width": 1280, "height": 900})
    browsing.shot(nina, "summary-failed-1280")
    browsing.axe_check(nina, "visit summary, failed")

    mail_server.start()
    family.get_by_role("button", name="Send again to patient and caregiver").click()
    expect(
        nina.get_by_text("The summary to patient and caregiver is queued again.")
    ).to_be_visible()
    expect(nina.get_by_test_id("delivery-patient")).to_contain_text("Queued")
    run_worker()
    nina.reload()
    expect(nina.get_by_test_id("delivery-patient")).to_contain_text("Sent")
    # The doctor's copy waits for its own scheduled retry and still says why.
    expect(nina.get_by_test_id("delivery-primary_care")).to_contain_text("Failed")
    assert [str(m["To"]) for m in mail_server.inbox.messages] == [FAMILY]
    browsing.shot(nina, "summary-resent")


def test_the_late_list_names_visits_without_a_sent_summary(world, browsing, sign_in):
    days_ago = clock.now() - timedelta(days=4)
    signed_visit(world, started_at=days_ago)
    signed_note(visit_of(world.alice, world.navigator, started_at=days_ago), signed=False)

    cora = sign_in(world.coordinator)
    cora.goto("/summaries/late/")
    expect(cora.get_by_role("heading", name="Late visit summaries")).to_be_visible()
    table = cora.get_by_test_id("late-summaries")
    expect(table).to_contain_text("The note is not signed yet.")
    expect(table.get_by_role("link", name=re.compile(r"^Summary not sent"))).to_be_visible()
    browsing.shot(cora, "late-1280")
    browsing.axe_check(cora, "late summaries")
    cora.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(cora, "late-390")
    browsing.axe_check(cora, "late summaries, narrow")
    table.get_by_role("link", name=re.compile(r"^Summary not sent")).click()
    expect(cora.get_by_role("heading", name=re.compile(r"^Visit summary of "))).to_be_visible()
