from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, phones
from pallio.programs import setting_checks
from pallio.programs.models import Program


@transaction.atomic
def program_create(
    *,
    name: str,
    slug: str,
    timezone: str = "America/New_York",
    settings: dict[str, Any] | None = None,
    phone: str = "",
    email: str = "",
) -> Program:
    # The same checks as a change from the settings page, each message naming its setting.
    # Keys that are not program settings (the demo's own bookkeeping) are stored as given.
    problems = [
        f"{key}: {problem}"
        for key, value in (settings or {}).items()
        if key in setting_checks.CHECKS
        for problem in setting_checks.setting_problems(key, value)
    ]
    if problems:
        raise ValidationError({"settings": problems})
    program = Program(
        name=name, slug=slug, timezone=timezone, settings=settings or {}, phone=phone, email=email
    )
    program.full_clean()
    program.save()
    return program


# --- the program's settings, from its own pages and the command line ---------------------------

PROGRAM_FIELDS = ("name", "timezone", "phone", "email")


def _field_problems(key: str, value: Any) -> list[str]:
    if key == "name":
        if not isinstance(value, str) or not value.strip():
            return ["Give the program a name."]
        if len(value) > 200 or "\x00" in value:
            return ["Keep the name under 200 characters, in plain text."]
    elif key == "timezone":
        if not isinstance(value, str) or value not in available_timezones():
            shown = str(value)[:64]
            return [f"“{shown}” is not a time zone we know; choose one from the list."]
    elif key == "phone":
        if not isinstance(value, str) or len(value) > 40:
            return ["Give a phone number of at most 40 characters."]
        try:
            phones.phone_to_e164(value)
        except phones.InvalidPhone:
            return ["This is not a phone number."]
    elif key == "email":
        if not isinstance(value, str):
            return ["Enter a valid email address."]
        if value:
            try:
                validate_email(value)
            except ValidationError:
                return ["Enter a valid email address."]
    return []


def _on_call_problems(program: Program, value: Any) -> list[str]:
    from django.contrib.auth import get_user_model

    if value == "":
        return []
    staff = get_user_model().objects.filter(program=program, username=value, is_active=True)
    if not staff.exists():
        return ["Choose the on-call clinician from the program's staff."]
    return []


def program_settings_problems(program: Program, changes: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with `changes`, by the key it is about (empty when all are usable)."""
    problems: dict[str, list[str]] = {}
    for key, value in changes.items():
        if key in PROGRAM_FIELDS:
            found = _field_problems(key, value)
        else:
            found = setting_checks.setting_problems(key, value)
            if not found and key == "alert_on_call_username":
                found = _on_call_problems(program, value)
        if found:
            problems[key] = found
    starts = changes.get("day_plan_day_starts", program.setting("day_plan_day_starts"))
    ends = changes.get("day_plan_day_ends", program.setting("day_plan_day_ends"))
    both_usable = not problems.get("day_plan_day_starts") and not problems.get("day_plan_day_ends")
    if both_usable and isinstance(starts, str) and isinstance(ends, str) and ends <= starts:
        problems["day_plan_day_ends"] = ["The home-visit day must end after it starts."]
    return problems


@transaction.atomic
def program_update_settings(*, actor: Any, program: Program, changes: dict[str, Any]) -> list[str]:
    """Change a program's name, time zone, contact details and settings; answer the keys that
    changed. Only the program's administrator may. Every value is checked first: one problem
    and nothing is saved. The change is audited with what each setting was and became."""
    if not access.has_perm(actor, "program.manage") or actor.program_id != program.pk:
        raise PermissionDenied
    program = Program.objects.select_for_update().get(pk=program.pk)
    problems = program_settings_problems(program, changes)
    if problems:
        raise ValidationError(problems)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if key in PROGRAM_FIELDS:
            current = getattr(program, key)
            if isinstance(value, str):
                value = value.strip()
            if current != value:
                setattr(program, key, value)
                before[key], after[key] = current, value
        elif program.setting(key) != value:
            before[key], after[key] = program.setting(key), value
            program.settings[key] = value
    if not after:
        return []
    program.full_clean()
    program.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="program.settings_change",
        program=program,
        target=program,
        detail={"changed": sorted(after), "before": before, "after": after},
    )
    return sorted(after)
