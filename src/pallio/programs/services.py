from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pallio.core import privileges
from pallio.programs.models import (
    Program,
    bereavement_schedule_problems,
    bereavement_worklist_days_problems,
)


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
    problems = privileges.override_problems((settings or {}).get(privileges.PROGRAM_SETTING, {}))
    if settings and "bereavement_schedule" in settings:
        problems += bereavement_schedule_problems(settings["bereavement_schedule"])
    if settings and "bereavement_worklist_days" in settings:
        problems += bereavement_worklist_days_problems(settings["bereavement_worklist_days"])
    if "adt_icu_units" in (settings or {}):
        from pallio.adt.services import icu_units_problems

        problems += icu_units_problems((settings or {})["adt_icu_units"])
    if problems:
        raise ValidationError({"settings": problems})
    program = Program(
        name=name, slug=slug, timezone=timezone, settings=settings or {}, phone=phone, email=email
    )
    program.full_clean()
    program.save()
    return program
