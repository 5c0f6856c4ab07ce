"""The portal's one access rule: a portal account reaches a patient through an active
PortalAccess row, and each page or action names the scope it needs.

Staff accounts never pass (they have the team's pages); portal accounts never pass the
staff rule either (core.access.staff_view refuses an account with no program). Every
refusal is written to the audit trail like a staff one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from pallio.audit.models import Action, Outcome
from pallio.audit.services import audit_record
from pallio.portal.models import PortalAccess

F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def is_portal_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "kind", "") == "portal"


def portal_accesses(user: Any) -> QuerySet[PortalAccess]:
    """The patients this portal account reaches now (active rows only)."""
    return (
        PortalAccess.objects.filter(
            user_id=user.pk,
            revoked_at__isnull=True,
            suspended_at__isnull=True,
            patient__entered_in_error=False,
        )
        .select_related("patient", "program")
        .order_by("created_at")
    )


def portal_access_get(user: Any, patient_id: uuid.UUID, scope: str | None = None) -> PortalAccess:
    """The active access of `user` to the patient, allowing `scope`; PermissionDenied (and an
    audit entry) otherwise. A revoked or suspended access fails on its next request."""
    row = portal_accesses(user).filter(patient_id=patient_id).first()
    if row is None or (scope is not None and not row.can(scope)):
        audit_record(
            actor=user,
            action=Action.READ,
            event="portal.denied",
            outcome=Outcome.DENIED,
            patient_id=patient_id,
            program=getattr(row, "program", None),
            detail={"scope": scope or ""},
        )
        raise PermissionDenied
    return row


def portal_view(scope: str | None = None, *, caregivers_only: bool = False) -> Callable[[F], F]:
    """A signed-in portal account with an active access to the patient named by the URL's
    `patient_id`, allowing `scope` (with `caregivers_only`, a caregiver's access, not the
    patient's own). The view receives the PortalAccess after the request; it is also on
    `request.portal_access`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(
            request: HttpRequest, patient_id: uuid.UUID, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_portal_user(user):
                raise PermissionDenied
            access = portal_access_get(user, patient_id, scope)
            if caregivers_only and access.is_patient:
                raise PermissionDenied
            request.portal_access = access  # type: ignore[attr-defined]
            return view(request, access, *args, **kwargs)

        rule = "caregiver" if caregivers_only else scope or "any"
        wrapper.access_rule = f"portal:{rule}"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def portal_account_view(view: F) -> F:
    """A signed-in portal account, for pages about the account itself (no patient)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_portal_user(user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.access_rule = "portal:account"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
