from __future__ import annotations

from typing import Any

from django.db import transaction

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
    program = Program(
        name=name, slug=slug, timezone=timezone, settings=settings or {}, phone=phone, email=email
    )
    program.full_clean()
    program.save()
    return program
