"""Sample advance-care-planning records and files for tests."""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from tests.support.pdfs import clean_pdf

from pallio.acp import services
from pallio.core import clock

# A well-formed one-page PDF with no active content.
CLEAN_PDF = clean_pdf()


def png_bytes(extra: bytes = b"") -> bytes:
    """A 1x1 PNG, optionally with `extra` bytes hidden in a text chunk."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"\x00\xff\x00\x00"
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    if extra:
        png += chunk(b"tEXt", b"Comment\x00" + extra)
    return png + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def held(days_ago: int = 0) -> Any:
    return clock.now() - timedelta(days=days_ago, hours=1)


def conversation_input(focus: str = "balanced", days_ago: int = 0, **extra: Any) -> Any:
    values: dict[str, Any] = {
        "held_at": held(days_ago),
        "goal_focus": focus,
        "participants": [
            {"name": "Alice Anders", "role": "patient"},
            {"name": "Andrew Anders", "role": "son"},
        ],
        "understanding": "Knows the cancer has spread.",
        "goals": "To be at home with family and keep gardening.",
        "fears_worries": "Being a burden; breathlessness.",
    }
    values.update(extra)
    return services.ConversationInput(**values)


def agent_input(**extra: Any) -> Any:
    values: dict[str, Any] = {
        "name": "Andrew Anders",
        "relationship": "CHILD",
        "rank": 0,
        "phone": "617-555-0144",
        "email": "andrew@example.org",
    }
    values.update(extra)
    return services.AgentInput(**values)


def today_of(patient: Any) -> date:
    return clock.today_in(patient.program.timezone)


def full_plan(world: Any, patient: Any = None, actor: Any = None) -> dict[str, Any]:
    """Alice (by default) with one of everything."""
    patient = patient or world.alice
    actor = actor or world.physician
    today = today_of(patient)
    document = services.directive_document_upload(
        actor=actor,
        patient=patient,
        kind="healthcare_poa",
        document_date=today - timedelta(days=30),
        source="Family lawyer",
        upload=upload("poa.pdf", CLEAN_PDF),
    )
    agent = services.agent_add(
        actor=actor, patient=patient, data=agent_input(), naming_document=document
    )
    conversation = services.conversation_create(
        actor=actor, patient=patient, data=conversation_input("balanced", 10), sign=True
    )
    code_status = services.code_status_change(
        actor=actor,
        patient=patient,
        status="dnr_dni",
        effective_date=today,
        expected_current_id=None,
    )
    order = services.portable_order_record(
        actor=actor,
        patient=patient,
        data=services.PortableOrderInput(
            form_type="POLST",
            signer_name="Dr Phil Physician",
            signer_role="physician",
            effective_date=today,
            cpr="do_not_attempt",
            medical_interventions="selective",
            artificial_nutrition="trial",
        ),
        expected_current_id=None,
    )
    return {
        "document": document,
        "agent": agent,
        "conversation": conversation,
        "code_status": code_status,
        "order": order,
    }
