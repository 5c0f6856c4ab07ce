"""Who is on call now, for the base layout of every staff page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from pallio.core import access
from pallio.support.roster_selectors import on_call_lines


def on_call_now(request: HttpRequest) -> dict[str, Any]:
    """`on_call_now`: (line label, shift or None) per line, read only if the page shows it
    (one indexed query on the shift table, whatever the length of the roster)."""
    user = getattr(request, "user", None)
    if user is None or not access.has_perm(user, "roster.view"):
        return {}
    program_id = user.program_id
    return {"on_call_now": SimpleLazyObject(lambda: on_call_lines(program_id))}
