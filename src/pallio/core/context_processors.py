from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pallio.core import access

NAV_PERMISSIONS = (
    "referral.view",
    "referral.create",
    "caseload.view",
    "alert.worklist",
    "task.worklist",
    "visit.document",
    "visit.view",
    "patient.search",
    "audit.view",
    "support.calls",
    "adt.review",
    "hospice.worklist",
    "coordination.worklist",
    "directory.view",
    "acp.worklist",
    "program.manage",
    "staff.manage",
)


def pallio(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    program = getattr(user, "program", None) if signed_in else None
    return {
        "pallio_program": program,
        "pallio_idle_timeout_minutes": settings.PALLIO_IDLE_TIMEOUT_MINUTES,
        "can": {p.replace(".", "_"): access.has_perm(user, p) for p in NAV_PERMISSIONS}
        if signed_in
        else {},
    }
