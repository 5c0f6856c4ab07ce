"""HL7 v2 ADT messages for tests (built by pallio.adt.builder)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pallio.adt.builder import adt_message

__all__ = ["adt_message", "held_message"]


def held_message(world: Any, control_id: str = "HELD0001") -> Any:
    """A Riverside message about someone who is not a patient: waiting for review."""
    from pallio.adt.models import AdtMessage
    from pallio.adt.services import adt_receive

    existing = AdtMessage.objects.filter(program=world.riverside, control_id=control_id).first()
    if existing is not None:
        return existing
    return adt_receive(
        program=world.riverside,
        raw=adt_message(
            control_id=control_id,
            given="Zelda",
            family="Quill",
            born=date(1940, 1, 1),
            record_number="Z999",
        ),
    ).message
