"""The note templates: the shipped ones, and a program's own."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.codes import Discipline
from pallio.core.validation import Errors, check_text
from pallio.visits.models import NoteTemplate

TEMPLATES_FILE = Path(__file__).parent.parent / "data" / "note_templates.json"
SECTION_LIMIT = 4000
MAX_SECTIONS = 30
MAX_INSTRUMENTS = 20
SECTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


# --- templates -------------------------------------------------------------------------------


@cache
def shipped_templates() -> list[dict[str, Any]]:
    """The templates in data/note_templates.json, checked once."""
    data = json.loads(TEMPLATES_FILE.read_text("utf-8"))
    templates = data["templates"]
    for entry in templates:
        problems = note_template_problems(
            key=entry["key"],
            title=entry["title"],
            disciplines=entry["disciplines"],
            sections=entry["sections"],
        )
        if problems:
            raise ValueError(f"note template {entry['key']}: {problems}")
    return list(templates)


def note_templates_sync_shipped(template_model: Any = NoteTemplate) -> tuple[int, int]:
    """Load or refresh the shipped templates (program None). Returns (created, updated)."""
    created = updated = 0
    for entry in shipped_templates():
        values = {
            "title": entry["title"],
            "disciplines": entry["disciplines"],
            "sections": entry["sections"],
            "active": True,
        }
        row = template_model.objects.filter(program__isnull=True, key=entry["key"]).first()
        if row is None:
            template_model.objects.create(key=entry["key"], **values)
            created += 1
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = clock.now()
            row.save()
            updated += 1
    return created, updated


def note_template_problems(
    *, key: str, title: str, disciplines: Any, sections: Any
) -> dict[str, list[str]]:
    """Everything wrong with a template, by field, in plain words."""
    errors: Errors = {}
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,59}", key):
        errors.setdefault("key", []).append(
            "Use lower-case letters, digits, hyphens or underscores (up to 60)."
        )
    check_text(errors, "title", title if isinstance(title, str) else "", 120, required=True)
    if not isinstance(disciplines, list) or not all(isinstance(d, str) for d in disciplines):
        errors.setdefault("disciplines", []).append("List the disciplines that use it.")
    else:
        unknown = sorted(set(disciplines) - set(Discipline.values))
        if unknown:
            errors.setdefault("disciplines", []).append(
                f"Not a discipline Pallio knows: {', '.join(unknown)}."
            )
    if not isinstance(sections, list) or not sections:
        errors.setdefault("sections", []).append("Give the template at least one section.")
        return errors
    if len(sections) > MAX_SECTIONS:
        errors.setdefault("sections", []).append(f"Keep it to {MAX_SECTIONS} sections.")
    seen: set[str] = set()
    for number, section in enumerate(sections, start=1):
        where = f"Section {number}"
        if not isinstance(section, dict) or set(section) - {"key", "label", "required", "help"}:
            errors.setdefault("sections", []).append(
                f"{where}: give only a key, a label, whether it is required, and help."
            )
            continue
        skey = section.get("key")
        if not isinstance(skey, str) or not SECTION_KEY.match(skey):
            errors.setdefault("sections", []).append(
                f"{where}: the key must be lower-case letters, digits or underscores."
            )
        elif skey in seen:
            errors.setdefault("sections", []).append(f"{where}: the key {skey} is used twice.")
        else:
            seen.add(skey)
        label = section.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 120 or "\x00" in label:
            errors.setdefault("sections", []).append(
                f"{where}: give a label of up to 120 characters."
            )
        if not isinstance(section.get("required", False), bool):
            errors.setdefault("sections", []).append(f"{where}: 'required' is true or false.")
        help_text = section.get("help", "")
        if not isinstance(help_text, str) or len(help_text) > 500 or "\x00" in help_text:
            errors.setdefault("sections", []).append(
                f"{where}: keep the help under 500 characters."
            )
    if not any(isinstance(s, dict) and s.get("required") is True for s in sections):
        errors.setdefault("sections", []).append(
            "Make at least one section required, so a signed note is never empty."
        )
    return errors


@transaction.atomic
def note_template_save(
    *,
    actor: Any,
    program: Any,
    key: str,
    title: str,
    disciplines: list[str],
    sections: list[dict[str, Any]],
    active: bool = True,
) -> NoteTemplate:
    """Save the program's own template. With the key of a shipped template it replaces that
    template for this program only; notes already written keep the template they used."""
    if not access.has_perm(actor, "note_template.manage") or actor.program_id != program.pk:
        raise PermissionDenied("Only the program's medical director may change note templates.")
    errors = note_template_problems(
        key=key, title=title, disciplines=disciplines, sections=sections
    )
    _raise(errors)
    clean = [
        {
            "key": s["key"],
            "label": s["label"].strip(),
            "required": bool(s.get("required", False)),
            "help": str(s.get("help", "")).strip(),
        }
        for s in sections
    ]
    template = NoteTemplate.objects.filter(program=program, key=key).first()
    if template is None:
        template = NoteTemplate.objects.create(
            program=program,
            key=key,
            title=title.strip(),
            disciplines=list(disciplines),
            sections=clean,
            active=active,
        )
        event = "note_template.create"
    else:
        template.title = title.strip()
        template.disciplines = list(disciplines)
        template.sections = clean
        template.active = active
        template.updated_at = clock.now()
        template.save()
        event = "note_template.update"
    audit_record(
        actor=actor,
        action=Action.CREATE if event.endswith("create") else Action.UPDATE,
        event=event,
        program=program,
        target=template,
        detail={"key": key},
    )
    return template
