"""On-call roster endpoints of the JSON API: who covers each line now, and the shifts of a
period. The same selectors as the roster page; any clinical role may read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import model_validator

from pallio.core import access
from pallio.support.models import Line
from pallio.support.roster_selectors import current_shifts, shifts_between

router = Router()

MAX_PERIOD_DAYS = 62


class Error(Schema):
    detail: Any


ERRORS: dict[int, Any] = {401: Error, 403: Error, 422: Error}


class PersonOut(Schema):
    id: str
    name: str
    discipline: str


class OnCallLineOut(Schema):
    line: str
    line_label: str
    person: PersonOut | None
    shift_id: str | None
    starts_at: datetime | None
    ends_at: datetime | None


class ShiftOut(Schema):
    id: str
    line: str
    line_label: str
    person: PersonOut
    starts_at: datetime
    ends_at: datetime
    source: str
    swapped_from: PersonOut | None
    note: str
    cancelled: bool


class ShiftsQuery(Schema):
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _bounded(self) -> ShiftsQuery:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Give start and end with their UTC offset, e.g. 2026-11-30T08:00Z.")
        if self.end <= self.start:
            raise ValueError("The end must be after the start.")
        if self.end - self.start > timedelta(days=MAX_PERIOD_DAYS):
            raise ValueError(f"Ask for at most {MAX_PERIOD_DAYS} days at a time.")
        return self


def _caller(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not access.has_perm(user, "roster.view"):
        raise PermissionDenied("Your role does not allow this.")
    return user


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {
        "id": str(user.uuid),
        "name": user.display_name,
        "discipline": user.get_discipline_display(),
    }


@router.get("/on-call", response={200: list[OnCallLineOut], **ERRORS}, summary="On call now")
def on_call(request: HttpRequest) -> Any:
    """Who covers each line of the caller's program right now (person null: nobody)."""
    user = _caller(request)
    covering = current_shifts(user.program_id)
    rows = []
    for line in Line:
        shift = covering.get(line.value)
        rows.append(
            {
                "line": line.value,
                "line_label": line.label,
                "person": _person(shift.user) if shift else None,
                "shift_id": str(shift.pk) if shift else None,
                "starts_at": shift.starts_at if shift else None,
                "ends_at": shift.ends_at if shift else None,
            }
        )
    return rows


@router.get("/shifts", response={200: list[ShiftOut], **ERRORS}, summary="Shifts of a period")
def shifts(request: HttpRequest, period: Query[ShiftsQuery]) -> Any:
    """Every shift overlapping [start, end) (at most 62 days), cancelled ones included."""
    user = _caller(request)
    return [
        {
            "id": str(shift.pk),
            "line": shift.line,
            "line_label": shift.get_line_display(),
            "person": _person(shift.user),
            "starts_at": shift.starts_at,
            "ends_at": shift.ends_at,
            "source": shift.get_source_display(),
            "swapped_from": _person(shift.swapped_from),
            "note": shift.note,
            "cancelled": shift.cancelled,
        }
        for shift in shifts_between(user.program, period.start, period.end)
    ]
