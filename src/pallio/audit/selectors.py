"""The audit trail for the privacy officer: filters, sorting from an allow-list, CSV."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, QuerySet

from pallio.audit.models import Action, AuditEvent, Outcome, SecurityAlert

SORTS = {
    "at": "at",
    "-at": "-at",
    "user": "username",
    "-user": "-username",
    "action": "action",
    "-action": "-action",
    "event": "event",
    "-event": "-event",
    "patient": "patient_id",
    "-patient": "-patient_id",
    "outcome": "outcome",
    "-outcome": "-outcome",
    "source": "source_address",
    "-source": "-source_address",
    "role": "role",
    "-role": "-role",
}


@dataclass(frozen=True)
class AuditFilters:
    user: str = ""
    patient: uuid.UUID | None = None
    action: str = ""
    outcome: str = ""
    start: date | None = None
    end: date | None = None
    sort: str = "-at"
    errors: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, params: Any) -> AuditFilters:
        errors = []
        patient = None
        if params.get("patient"):
            try:
                patient = uuid.UUID(params["patient"].strip())
            except ValueError:
                errors.append("The patient id is not valid.")
        dates: dict[str, date | None] = {}
        for name in ("start", "end"):
            value = params.get(name, "")
            try:
                dates[name] = date.fromisoformat(value) if value else None
            except ValueError:
                errors.append(f"The {name} date is not valid.")
                dates[name] = None
        action = params.get("action", "")
        outcome = params.get("outcome", "")
        sort = params.get("sort", "-at")
        return cls(
            user=params.get("user", "").strip()[:150],
            patient=patient,
            action=action if action in Action.values else "",
            outcome=outcome if outcome in Outcome.values else "",
            start=dates["start"],
            end=dates["end"],
            sort=sort if sort in SORTS else "-at",
            errors=tuple(errors),
        )


def _in_period(qs: QuerySet[AuditEvent], filters: AuditFilters, zone: ZoneInfo) -> Any:
    if filters.start:
        qs = qs.filter(at__gte=datetime.combine(filters.start, time.min, zone))
    if filters.end:
        qs = qs.filter(at__lt=datetime.combine(filters.end + timedelta(days=1), time.min, zone))
    return qs


def audit_events_for(user: Any, filters: AuditFilters, *, tz: str) -> QuerySet[AuditEvent]:
    zone = ZoneInfo(tz)
    qs = AuditEvent.objects.filter(program_id=user.program_id)
    if filters.user:
        qs = qs.filter(username__iexact=filters.user)
    if filters.patient:
        qs = qs.filter(patient_id=filters.patient)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    qs = _in_period(qs, filters, zone)
    return qs.order_by(SORTS[filters.sort], "-id")


DENIAL_SORTS = {
    "count": "-denials",
    "last": "-last",
    "user": "username",
}


def denials_by_user(user: Any, filters: AuditFilters, *, tz: str, sort: str) -> Any:
    """Refusals in the privacy officer's program, one row per user: how many, and when the
    latest was. One query, whatever the number of users."""
    qs = AuditEvent.objects.filter(
        program_id=user.program_id, outcome=Outcome.DENIED, user_id__isnull=False
    )
    qs = _in_period(qs, filters, ZoneInfo(tz))
    return (
        qs.values("user_id", "username")
        .annotate(denials=Count("id"), last=Max("at"))
        .order_by(DENIAL_SORTS.get(sort, "-denials"), "username")
    )


def security_alerts_for(user: Any, *, limit: int = 20) -> list[SecurityAlert]:
    return list(SecurityAlert.objects.filter(program_id=user.program_id)[:limit])
