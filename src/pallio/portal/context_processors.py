"""The program a portal page speaks for (its name, its 24/7 number)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from pallio.portal.access import is_portal_user, portal_accesses


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not is_portal_user(user):
        return {}

    def program() -> Any:
        access = getattr(request, "portal_access", None)
        if access is None:
            access = portal_accesses(user).first()
        return getattr(access, "program", None)

    return {"portal_program": SimpleLazyObject(program)}
