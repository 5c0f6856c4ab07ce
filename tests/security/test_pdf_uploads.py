"""PDFs with active content are refused on every upload path, or disarmed where the program
chose so; every uploaded file is served sandboxed (SECURITY.md 25)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from pallio.accounts.services import api_token_create
from pallio.acp.models import AdvanceDirectiveDocument
from pallio.core import clock
from pallio.core.uploads import _open_pdf, pdf_active_content
from pallio.referrals.models import Attachment
from tests.security.helpers import body_of, riverside_referral
from tests.security.test_bad_input import PHONE, PROVIDER, SELF, form_data
from tests.support.pdfs import ACTIVE_PDFS, PAGE_TEXT, clean_pdf

pytestmark = pytest.mark.django_db

PATHS = [
    "public provider form",
    "public self-referral form",
    "staff phone referral",
    "API attachment",
    "advance directive upload",
]
CREATED = {"API attachment": 201}


def _pdf(content: bytes, name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _send(path: str, world, as_user, content: bytes):
    """Upload `content` through one path; returns the response."""
    if path == "public provider form":
        return Client().post(PROVIDER, {**form_data("provider"), "attachments": [_pdf(content)]})
    if path == "public self-referral form":
        return Client().post(SELF, {**form_data("self"), "attachments": [_pdf(content)]})
    if path == "staff phone referral":
        return as_user(world.coordinator).post(
            PHONE, {**form_data("phone"), "attachments": [_pdf(content)]}
        )
    if path == "API attachment":
        referral = riverside_referral(world, with_attachment=False)
        _, secret = api_token_create(actor=world.coordinator, name="uploads", days=1)
        return Client(headers={"Authorization": f"Bearer {secret}"}).post(
            f"/api/v1/referrals/{referral.pk}/attachments", {"file": _pdf(content)}
        )
    patient = world.alice
    return as_user(world.navigator).post(
        reverse("acp:document_upload", kwargs={"patient_id": patient.pk}),
        {
            "document-kind": "living_will",
            "document-document_date": clock.today_in(patient.program.timezone).isoformat(),
            "document-source": "Patient",
            "document-file": _pdf(content, "will.pdf"),
        },
    )


def _stored(path: str) -> list[bytes]:
    model = AdvanceDirectiveDocument if path == "advance directive upload" else Attachment
    return [Path(item.file.path).read_bytes() for item in model.objects.all()]


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("variant", list(ACTIVE_PDFS))
def test_active_pdf_is_refused_with_a_reason_and_nothing_is_stored(
    world, as_user, settings, path, variant
):
    content, named = ACTIVE_PDFS[variant]
    response = _send(path, world, as_user, content)
    assert response.status_code == (422 if path == "API attachment" else 400)
    text = body_of(response)
    assert named in text, f"the refusal must say what was found ({named})"
    assert "refused" in text
    assert _stored(path) == []
    assert _stored_files(settings) == []


@pytest.mark.parametrize("path", PATHS)
def test_a_clean_pdf_is_accepted_and_stored_unchanged(world, as_user, path):
    response = _send(path, world, as_user, clean_pdf())
    assert response.status_code == CREATED.get(path, 302), body_of(response)
    assert _stored(path) == [clean_pdf()]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("variant", list(ACTIVE_PDFS))
def test_a_program_that_disarms_stores_a_rebuilt_copy_with_nothing_active(
    world, as_user, path, variant
):
    world.riverside.settings = {**world.riverside.settings, "pdf_active_content": "disarm"}
    world.riverside.save(update_fields=["settings"])
    content, _ = ACTIVE_PDFS[variant]
    response = _send(path, world, as_user, content)
    assert response.status_code == CREATED.get(path, 302), body_of(response)
    [stored] = _stored(path)
    assert stored != content
    assert pdf_active_content(_open_pdf(stored)) == []
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1
    assert PAGE_TEXT in reader.pages[0].extract_text(), "the letter itself must survive"


def test_each_crafted_pdf_is_a_readable_pdf_with_the_letter_on_its_page():
    """The corpus tests the check, not the parser: every file opens and shows its page."""
    for content, _ in ACTIVE_PDFS.values():
        reader = PdfReader(io.BytesIO(content), strict=True)
        assert PAGE_TEXT in reader.pages[0].extract_text()


def _assert_served_sandboxed(response, content: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert b"".join(response.streaming_content) == content


def test_referral_attachment_is_downloaded_sandboxed(world, as_user):
    assert _send("public provider form", world, as_user, clean_pdf()).status_code == 302
    item = Attachment.objects.get()
    response = as_user(world.coordinator).get(
        reverse(
            "referrals:attachment",
            kwargs={"referral_id": item.referral_id, "attachment_id": item.pk},
        )
    )
    _assert_served_sandboxed(response, clean_pdf())


def test_advance_directive_is_downloaded_sandboxed(world, as_user):
    assert _send("advance directive upload", world, as_user, clean_pdf()).status_code == 302
    document = AdvanceDirectiveDocument.objects.get()
    response = as_user(world.navigator).get(
        reverse(
            "acp:document",
            kwargs={"patient_id": world.alice.pk, "document_id": document.pk},
        )
    )
    _assert_served_sandboxed(response, clean_pdf())
