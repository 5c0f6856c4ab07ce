"""The instrument catalogue: the shipped instruments, and a program's own uploaded ones."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Q

from pallio.assessments import instruments as inst
from pallio.assessments.models import Instrument
from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import clock

# --- instruments ------------------------------------------------------------------------------


def _instrument_fields(q: dict[str, Any], spec: inst.InstrumentSpec) -> dict[str, Any]:
    return {
        "url": spec.url[:300],
        "version": spec.version[:40],
        "title": spec.title[:200],
        "questionnaire": q,
        "licence_terms": spec.licence_terms,
        "citation": spec.citation,
    }


def instruments_sync_shipped(instrument_model: Any = Instrument) -> tuple[int, int]:
    """Load or refresh the instruments shipped in assessments/instruments/*.json.

    Takes the model so that the data migration can pass its historical model. Returns
    (created, updated).
    """
    created = updated = 0
    for _name, text in inst.shipped_questionnaires():
        q = json.loads(text)
        # Checked once per process: the shipped files do not change while it runs.
        spec = inst.spec_of(q)
        fields = _instrument_fields(q, spec)
        row = instrument_model.objects.filter(program__isnull=True, key=spec.key).first()
        if row is None:
            instrument_model.objects.create(key=spec.key, source="shipped", **fields)
            created += 1
        elif row.questionnaire != q:
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = clock.now()
            row.save()
            updated += 1
    return created, updated


@transaction.atomic
def instrument_upload(*, actor: Any, program: Any, data: bytes) -> Instrument:
    """Add (or revise) a program's own instrument from an uploaded FHIR Questionnaire.

    Everything is checked before anything is written: FHIR R4 validity, the scoring schema,
    the licence and the citation. A shipped instrument's key cannot be reused, so a form
    keeps its name only in its licensed wording.
    """
    q, spec = inst.parse_questionnaire_bytes(data)
    if Instrument.objects.filter(program__isnull=True, key=spec.key).exists():
        raise inst.InstrumentError(
            f"'{spec.key}' is the key of an instrument shipped with Pallio; give yours its own "
            "key (the instrument-key extension)."
        )
    fields = _instrument_fields(q, spec)
    row = Instrument.objects.select_for_update().filter(program=program, key=spec.key).first()
    if row is None:
        row = Instrument.objects.create(
            program=program,
            key=spec.key,
            source=Instrument.Source.UPLOADED,
            uploaded_by=actor,
            **fields,
        )
        event = "instrument.upload"
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.uploaded_by = actor
        row.updated_at = clock.now()
        row.save()
        event = "instrument.revise"
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event=event,
        program=program,
        target=row,
        detail={"key": spec.key, "version": spec.version},
    )
    return row


def instrument_for_program(program: Any, key: str) -> Instrument | None:
    """The instrument a program uses under `key`: its own, else the shipped one."""
    rows = Instrument.objects.filter(
        Q(program=program) | Q(program__isnull=True), key=key, active=True
    )
    return min(rows, key=lambda r: r.program_id is None, default=None)
