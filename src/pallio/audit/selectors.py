"""The audit trail for the privacy officer: filters, sorting from an allow-list, CSV."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Count, Max, QuerySet

from pallio.audit.models import Action, AuditEvent, Outcome, SecurityAlert
from pallio.core import params

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


SORT_LABELS = {
    "at": "Time",
    "user": "User",
    "action": "Action",
    "event": "Event",
    "patient": "Patient",
    "outcome": "Outcome",
    "source": "Source address",
    "role": "Role",
}


class AuditQuery(params.QueryForm):
    user = params.TextParam(label="User", max_length=150)
    patient = params.UUIDParam(label="Patient id")
    action = params.ChoiceParam(label="Action", choices=Action.choices)
    outcome = params.ChoiceParam(label="Outcome", choices=Outcome.choices)
    start = params.DateParam(label="From")
    end = params.DateParam(label="To")
    sort = params.ChoiceParam(
        label="Sort",
        initial="-at",
        choices=[
            (
                key,
                f"{SORT_LABELS[key.lstrip('-')]} "
                f"({'descending' if key.startswith('-') else 'ascending'})",
            )
            for key in SORTS
        ],
    )
    format = params.ChoiceParam(label="Format", choices=[("csv", "csv")])
    page = params.PageParam()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The From date is after the To date.")
        return data


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
    def from_query(cls, query: Any) -> AuditFilters:
        """The filters of the audit page's query string; BadQuery for values it cannot use."""
        data = params.parse(AuditQuery, query)
        return cls(
            user=data["user"],
            patient=data["patient"],
            action=data["action"],
            outcome=data["outcome"],
            start=data["start"],
            end=data["end"],
            sort=data["sort"],
        )


def _in_period(qs: QuerySet[AuditEvent], filters: AuditFilters, zone: ZoneInfo) -> Any:
    if filters.start:
        qs = qs.filter(at__gte=datetime.combine(filters.start, time.min, zone))
    # Up to the end of that day; date.max has no next day, so it leaves the range open.
    if filters.end and filters.end < date.max:
        next_day = filters.end + timedelta(days=1)
        qs = qs.filter(at__lt=datetime.combine(next_day, time.min, zone))
    return qs


class DenialsQuery(params.QueryForm):
    start = params.DateParam(label="From")
    end = params.DateParam(label="To")
    sort = params.ChoiceParam(
        label="Sort",
        initial="count",
        choices=[("count", "Most refusals"), ("last", "Latest refusal"), ("user", "User")],
    )
    page = params.PageParam()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The From date is after the To date.")
        return data


def denials_query(query: Any) -> tuple[AuditFilters, str]:
    """The denials page's period and sort; BadQuery for values it cannot use."""
    data = params.parse(DenialsQuery, query)
    return AuditFilters(start=data["start"], end=data["end"]), data["sort"] or "count"


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
