"""Checking uploaded documents: the content decides the type, never the name.

Accepted: PDF, PNG and JPEG within the size limit. Refused: anything else (HTML, SVG,
executables), empty files, PDFs carrying script, launch actions or embedded files (in plain
or compressed object streams, with #xx-escaped names undone), and images carrying markup.
"""

from __future__ import annotations

import re
import zlib

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

ACCEPTED_TYPES = ("application/pdf", "image/png", "image/jpeg")

# PDF names may hide letters as #xx escapes (/J#61vaScript); undo them before looking.
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|EmbeddedFiles|RichMedia|XFA)\b")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_MARKUP = re.compile(rb"<\s*(script|svg|html|iframe|object|embed)\b|javascript:", re.I)


def pdf_is_active(body: bytes) -> bool:
    """Whether a PDF carries script, launch actions or embedded files."""
    parts = [body]
    for match in _PDF_STREAM.finditer(body):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1), 10 * 1024 * 1024))
        except zlib.error:
            continue
    for part in parts:
        clean = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), part)
        if _PDF_ACTIVE.search(clean):
            return True
    return False


def safe_file_name(name: str, *, default: str = "document") -> str:
    """A display name with no directories, control characters or leading dots."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isalnum() or ch in "._- ")[:120].strip(". ")
    return cleaned or default


def _size_limit_label(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(limit // 1024, 1)} KB"


def upload_check(upload: UploadedFile) -> str:
    """The upload's real content type (PDF, PNG or JPEG), or ValidationError."""
    name = safe_file_name(upload.name or "")
    limit = settings.PALLIO_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError(f"{name}: files must be {_size_limit_label(limit)} or smaller.")
    if upload.size == 0:
        raise ValidationError(f"{name}: the file is empty.")
    upload.seek(0)
    body = upload.read()
    upload.seek(0)
    kind = filetype.guess(body[:8192])
    mime = kind.mime if kind else ""
    if mime not in ACCEPTED_TYPES:
        raise ValidationError(f"{name}: upload a PDF, PNG or JPEG file.")
    if mime == "application/pdf":
        if pdf_is_active(body):
            raise ValidationError(f"{name}: PDFs with scripts, actions or attachments are refused.")
    elif _MARKUP.search(body):
        raise ValidationError(f"{name}: this image carries markup or script and was refused.")
    return mime
