"""Bad files are refused and change nothing (SECURITY.md 25)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from pallio.acp import services
from pallio.acp.models import AdvanceDirectiveDocument
from pallio.acp.tests.factories import (
    CLEAN_PDF,
    png_bytes,
    today_of,
    upload,
)

pytestmark = pytest.mark.django_db


def _upload(world, file):
    return services.directive_document_upload(
        actor=world.physician,
        patient=world.alice,
        kind="living_will",
        document_date=today_of(world.alice),
        source="Patient",
        upload=file,
    )


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


BAD_FILES = {
    "plain text": ("notes.pdf", b"just some text, not a PDF at all", "application/pdf"),
    "svg with script": (
        "scan.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
    ),
    "html with script": ("will.html", b"<html><script>alert(1)</script></html>", "text/html"),
    "html named png": ("will.png", b"<html><script>alert(1)</script></html>", "image/png"),
    "unreadable pdf": (
        "will.pdf",
        b"%PDF-1.4\n1 0 obj<</S/JavaScript>>endobj\n",
        "application/pdf",
    ),
    "png carrying script": ("scan.png", png_bytes(b"<script>alert(1)</script>"), "image/png"),
    "empty": ("empty.pdf", b"", "application/pdf"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_upload_is_refused_and_nothing_is_stored(world, settings, case):
    name, content, content_type = BAD_FILES[case]
    with pytest.raises(ValidationError) as caught:
        _upload(world, upload(name, content, content_type))
    assert "file" in caught.value.message_dict
    assert not AdvanceDirectiveDocument.objects.exists()
    assert _stored_files(settings) == []


def test_oversize_upload_is_refused(world, settings):
    settings.PALLIO_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="or smaller"):
        _upload(world, upload("big.pdf", CLEAN_PDF + b"%" * 2048))
    assert not AdvanceDirectiveDocument.objects.exists()


def test_path_traversal_names_are_stripped_and_files_get_random_names(world, settings):
    document = _upload(world, upload("../../../etc/passwd.pdf", CLEAN_PDF))
    assert document.original_name == "passwd.pdf"
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve() / "acp")
    assert "passwd" not in stored.name
    windows = _upload(world, upload("..\\..\\boot.ini\x00.pdf", CLEAN_PDF))
    assert "\\" not in windows.original_name and ".." not in windows.original_name


def test_clean_pdf_png_and_jpeg_are_accepted_by_content(world):
    assert _upload(world, upload("a.pdf", CLEAN_PDF)).content_type == "application/pdf"
    assert _upload(world, upload("b.png", png_bytes(), "image/png")).content_type == "image/png"
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
    assert _upload(world, upload("c.jpg", jpeg, "image/jpeg")).content_type == "image/jpeg"
