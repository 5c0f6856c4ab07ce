from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from pallio.core import access
from pallio.core.access import public_view, staff_view


@staff_view()
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role starts where its work is."""
    user: Any = request.user
    if getattr(user, "role", None) == access.ROLE_ON_CALL:
        return redirect("support:on_call")  # the night's calls come first
    if access.has_perm(user, "referral.view"):
        return redirect("referrals:queue")
    if access.has_perm(user, "audit.view"):
        return redirect("audit:log")
    if access.has_perm(user, "staff.manage"):
        return redirect("staff:list")
    return redirect("episodes:caseload")


@public_view
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
