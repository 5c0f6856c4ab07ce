"""Checking uploaded documents: the content decides the type, never the name.

Accepted: PDF, PNG and JPEG within the size limit. Refused: anything else (HTML, SVG,
executables), empty files, and images carrying markup.

PDFs are opened with pypdf, which decodes every filter (Flate, ASCIIHex, ASCII85, LZW, run
length, chains of them) and every object stream, and undoes #xx escapes in names. Every object
of the file is inspected, reachable or not, so active content is found wherever it hides:
script, launch, web-link, form-submission and file-opening actions, embedded files, XFA forms,
rich media. A program either refuses such a PDF (the default) or accepts a rebuilt copy that
keeps the pages and nothing active (program setting `pdf_active_content`: "disarm").
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

ACCEPTED_TYPES = ("application/pdf", "image/png", "image/jpeg")
PDF_POLICIES = ("refuse", "disarm")

_MARKUP = re.compile(rb"<\s*(script|svg|html|iframe|object|embed)\b|javascript:", re.I)

# Action types (/S) that run code, open files or reach the network, in plain words.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts a program",
    "/URI": "an action that opens a web address",
    "/SubmitForm": "an action that sends form data",
    "/ImportData": "an action that imports data",
    "/GoToR": "an action that opens another file",
    "/GoToE": "an action that opens an embedded file",
    "/Rendition": "a media action",
    "/RichMediaExecute": "a media action",
}
# Annotation and object types that carry files or media players.
_ACTIVE_SUBTYPES = {
    "/FileAttachment": "an attached file",
    "/RichMedia": "rich media",
    "/Screen": "rich media",
    "/Movie": "rich media",
    "/Sound": "rich media",
    "/3D": "rich media",
}
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "an attached file",
    "/EF": "an attached file",
    "/XFA": "an XFA form",
    "/RichMediaContent": "rich media",
}
# A file with more objects than this is refused rather than inspected for minutes.
_MAX_OBJECTS = 500_000


class UnreadablePdf(Exception):
    """The file says it is a PDF but cannot be parsed, or is encrypted."""


@dataclass(frozen=True)
class CheckedUpload:
    """An accepted upload: its real type and the bytes to store (a rebuilt copy when a PDF's
    active content was removed)."""

    mime: str
    content: bytes
    disarmed: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


def _open_pdf(body: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            raise UnreadablePdf("encrypted")
        # Touch the catalog and page tree so a broken file fails here, not later.
        _ = reader.trailer["/Root"]
        _ = len(reader.pages)
    except UnreadablePdf:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise UnreadablePdf(str(exc)) from exc
    except Exception as exc:  # pypdf raises assorted errors on hostile input
        raise UnreadablePdf(str(exc)) from exc
    return reader


def _all_objects(reader: PdfReader) -> list[Any]:
    """Every object of the file: the trailer, and each numbered object in the cross-reference
    tables and object streams (including objects nothing points to)."""
    numbers: set[int] = set()
    for table in reader.xref.values():
        numbers.update(table)
    numbers.update(reader.xref_objStm)
    if len(numbers) > _MAX_OBJECTS:
        raise UnreadablePdf("too many objects")
    objects: list[Any] = [reader.trailer]
    for number in sorted(numbers):
        try:
            obj = reader.get_object(number)
        except Exception as exc:  # an object hidden from the parser may not be from a viewer
            raise UnreadablePdf(f"object {number}") from exc
        if obj is not None:
            objects.append(obj)
    return objects


def _inspect(obj: Any, found: set[str], seen: set[int]) -> None:
    """Walk one object (dictionaries and arrays, not following references: every numbered
    object is inspected on its own) and note active content."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, DictionaryObject):  # streams are dictionaries too
            for key, value in item.items():
                if key in _ACTIVE_KEYS:
                    found.add(_ACTIVE_KEYS[key])
                if key == "/S" and str(value) in _ACTIVE_ACTIONS:
                    found.add(_ACTIVE_ACTIONS[str(value)])
                if key in ("/Subtype", "/Type") and str(value) in _ACTIVE_SUBTYPES:
                    found.add(_ACTIVE_SUBTYPES[str(value)])
                if key == "/Type" and str(value) == "/EmbeddedFile":
                    found.add("an attached file")
                if key in ("/AA", "/A") and "/FT" in item:
                    found.add("a form field with actions")
                if isinstance(value, (DictionaryObject, ArrayObject)):
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(v for v in item if isinstance(v, (DictionaryObject, ArrayObject)))


def pdf_active_content(reader: PdfReader) -> list[str]:
    """What active content a parsed PDF carries, in plain words (empty when none)."""
    found: set[str] = set()
    seen: set[int] = set()
    for obj in _all_objects(reader):
        _inspect(obj, found, seen)
    return sorted(found)


def pdf_is_active(body: bytes) -> bool:
    """Whether a PDF carries active content (an unreadable PDF counts as active)."""
    try:
        return bool(pdf_active_content(_open_pdf(body)))
    except UnreadablePdf:
        return True


def _safe_action(action: Any) -> bool:
    """A link inside the document (GoTo) is kept; every other action is dropped."""
    action = action.get_object() if isinstance(action, IndirectObject) else action
    return isinstance(action, DictionaryObject) and str(action.get("/S", "")) == "/GoTo"


def pdf_disarm(reader: PdfReader) -> bytes:
    """A rebuilt PDF with the same pages and no active content: only the pages are copied
    (no catalog open action, names tree, embedded files or form), page and annotation actions
    are removed, and file, media and form-field annotations are dropped."""
    writer = PdfWriter()
    for page in reader.pages:
        for key in ("/AA", "/B"):
            if key in page:
                del page[NameObject(key)]
        annotations = page.get("/Annots")
        if annotations is not None:
            kept = ArrayObject()
            for ref in annotations.get_object():
                annotation = ref.get_object()
                if not isinstance(annotation, DictionaryObject):
                    continue
                subtype = str(annotation.get("/Subtype", ""))
                if subtype in _ACTIVE_SUBTYPES or subtype == "/Widget":
                    continue
                if "/AA" in annotation:
                    del annotation[NameObject("/AA")]
                if "/A" in annotation and not _safe_action(annotation["/A"]):
                    del annotation[NameObject("/A")]
                if "/Parent" in annotation:
                    del annotation[NameObject("/Parent")]
                kept.append(ref)
            page[NameObject("/Annots")] = kept
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_check(name: str, body: bytes, policy: str) -> CheckedUpload:
    try:
        reader = _open_pdf(body)
        found = pdf_active_content(reader)
    except UnreadablePdf:
        raise ValidationError(
            f"{name}: this PDF could not be read (damaged or password-protected). "
            "Save it again without a password, or send a scan."
        ) from None
    if not found:
        return CheckedUpload("application/pdf", body)
    if policy == "disarm":
        try:
            rebuilt = pdf_disarm(reader)
            still = pdf_active_content(_open_pdf(rebuilt))
        except UnreadablePdf:
            still = ["content that could not be removed"]
        except Exception:  # a file pypdf cannot rebuild is refused, never stored as it came
            still = ["content that could not be removed"]
        if not still:
            return CheckedUpload("application/pdf", rebuilt, disarmed=True)
    raise ValidationError(
        f"{name}: this PDF carries {', '.join(found)}, which could run on the reader's "
        "computer, so it was refused. Print it to a new PDF or send a scan instead."
    )


# Served files never run in Pallio's origin: a sandboxed, script-less document, downloaded
# rather than shown, with its declared type taken as is.
DOWNLOAD_POLICY = "sandbox; default-src 'none'"


def upload_download_response(file: Any, *, filename: str, content_type: str) -> FileResponse:
    """The response that serves an uploaded file: always an attachment, never sniffed, and
    sandboxed should a browser render it anyway."""
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


def safe_file_name(name: str, *, default: str = "document") -> str:
    """A display name with no directories, control characters or leading dots."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isalnum() or ch in "._- ")[:120].strip(". ")
    return cleaned or default


def _size_limit_label(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{max(limit // 1024, 1)} KB"


def upload_check(upload: UploadedFile, *, pdf_policy: str = "refuse") -> CheckedUpload:
    """The upload's real content type (PDF, PNG or JPEG) and the bytes to store, or
    ValidationError. `pdf_policy` is the program's `pdf_active_content` setting."""
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
        return _pdf_check(name, body, pdf_policy if pdf_policy in PDF_POLICIES else "refuse")
    if _MARKUP.search(body):
        raise ValidationError(f"{name}: this image carries markup or script and was refused.")
    return CheckedUpload(mime, body)
