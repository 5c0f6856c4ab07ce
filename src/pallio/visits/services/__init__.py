"""Every write to visits and their notes.

A visit is documented in a note written from its discipline's template: a draft the author
edits, then signed and immutable. A trainee's signed note waits for a supervisor's
co-signature. Corrections are addenda; a wrong note is marked entered-in-error with a reason.
Keyword-only, atomic, audited in the same transaction, and checked against the clinical
privileges (core/privileges.py) first, the same for pages, API and the demo.

By concern: the note templates (templates) and documenting a visit in a note (notes).
"""

from __future__ import annotations

from pallio.visits.services.notes import (
    COSIGN_DUE_DAYS,
    SIGNED_MESSAGE,
    VOIDED_MESSAGE,
    note_addendum_add,
    note_cosign,
    note_mark_entered_in_error,
    note_sign,
    note_update,
    visit_document,
)
from pallio.visits.services.templates import (
    MAX_INSTRUMENTS,
    MAX_SECTIONS,
    SECTION_KEY,
    SECTION_LIMIT,
    TEMPLATES_FILE,
    note_template_problems,
    note_template_save,
    note_templates_sync_shipped,
    shipped_templates,
)

__all__ = [
    "COSIGN_DUE_DAYS",
    "MAX_INSTRUMENTS",
    "MAX_SECTIONS",
    "SECTION_KEY",
    "SECTION_LIMIT",
    "SIGNED_MESSAGE",
    "TEMPLATES_FILE",
    "VOIDED_MESSAGE",
    "note_addendum_add",
    "note_cosign",
    "note_mark_entered_in_error",
    "note_sign",
    "note_template_problems",
    "note_template_save",
    "note_templates_sync_shipped",
    "note_update",
    "shipped_templates",
    "visit_document",
]
