"""Whether a questionnaire can be shown in the page's language.

An instrument's wording ships only in the languages its licence allows (the instrument's
`wording_languages`, from its data). Every shipped instrument is English-only today: a
validated Spanish version may be loaded as data where its licence allows its wording. A
portal page in another language then shows the note in portal/_english_only_note.html.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def english_only(spec: Any, language: str | None = None) -> bool:
    """True when the page's language is not one the instrument's wording ships in."""
    return not spec.in_language(language or get_language() or "en")
