"""What the patient's timeline is made of: the kinds of event, one event and a page of them,
the links an event carries, and the window and context every source is read with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from pallio.core import access


class TimelineKind(models.TextChoices):
    """The filters of the timeline page, in the order a patient's story usually runs."""

    REFERRAL = "referral", "Referral"
    ENROLLMENT = "enrollment", "Enrollment and discharge"
    ASSESSMENT = "assessment", "Assessments and symptom reports"
    CONVERSATION = "conversation", "Goals of care and code status"
    VISIT = "visit", "Visits and notes"
    SUMMARY = "summary", "Visit summaries"
    ALERT = "alert", "Alerts"
    PLAN = "plan", "Care plan changes"
    HOSPITAL = "hospital", "Hospital stays"
    IDT = "idt", "Team meeting discussions"


KIND_LABELS = dict(TimelineKind.choices)


@dataclass
class TimelineEvent:
    kind: str
    at: datetime
    title: str
    detail: str = ""
    who: str = ""
    link: str = ""
    # The record (or the record the event is about) was marked entered in error.
    entered_in_error: bool = False
    error_note: str = ""
    # Hospital stays are known by the day only: shown without a time of day.
    date_only: bool = False

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass
class TimelinePage:
    events: list[TimelineEvent]
    number: int
    has_next: bool
    kinds: list[str]
    since: date | None
    until: date | None
    tables_read: list[str] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


# --- links ----------------------------------------------------------------------------------


def url_or_empty(name: str, **kwargs: Any) -> str:
    """The address of a page that another app may not have mounted yet; "" when it has not."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def timeline_url(patient_id: Any, *kinds: str) -> str:
    url = reverse("patients:timeline", kwargs={"patient_id": patient_id})
    return url + ("?" + "&".join(f"kind={k}" for k in kinds) if kinds else "")


def care_plan_url(patient_id: Any) -> str:
    """The patient's care plan page (careplans, mounted at /plans/), or the timeline of plan
    changes until that page exists."""
    return url_or_empty("careplans:plan", patient_id=patient_id) or timeline_url(
        patient_id, TimelineKind.PLAN
    )


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The date range asked for, in the program's days."""

    since: date | None
    until: date | None
    tz: ZoneInfo

    def _bounds(self, date_only: bool) -> tuple[Any, Any]:
        low = high = None
        if self.since:
            low = self.since if date_only else _local_start(self.since, self.tz)
        if self.until:
            end = self.until + timedelta(days=1)
            high = end if date_only else _local_start(end, self.tz)
        return low, high

    def q(self, name: str, date_only: bool) -> Q:
        low, high = self._bounds(date_only)
        condition = Q(**{f"{name}__isnull": False})
        if low is not None:
            condition &= Q(**{f"{name}__gte": low})
        if high is not None:
            condition &= Q(**{f"{name}__lt": high})
        return condition

    def contains(self, event: TimelineEvent) -> bool:
        low, high = self._bounds(False)
        return (low is None or event.at >= low) and (high is None or event.at < high)


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


@dataclass
class _Context:
    user: Any
    patient: Any
    tz: ZoneInfo
    may: dict[str, bool]

    def allowed(self, perm: str) -> bool:
        if perm not in self.may:
            # A page another app is still adding may name a permission not declared yet:
            # its own view decides then; the link is only a way there.
            known = perm in access.PERMISSIONS
            self.may[perm] = access.has_perm(self.user, perm) if known else True
        return self.may[perm]

    def link(self, perm: str, name: str, **kwargs: Any) -> str:
        return url_or_empty(name, **kwargs) if self.allowed(perm) else ""

    def first_link(self, *candidates: tuple[str, str, dict[str, Any]], fallback: str = "") -> str:
        """The first of the pages (permission, url name, arguments) the user may open and
        that is mounted; `fallback` when none is."""
        for perm, name, kwargs in candidates:
            url = self.link(perm, name, **kwargs)
            if url:
                return url
        return fallback


Builder = Callable[[Any, _Context], Iterator[TimelineEvent]]


def _who(user: Any) -> str:
    return user.display_name if user is not None else ""


def _score(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _error_note(row: Any) -> str:
    by = getattr(row, "entered_in_error_by", None)
    reason = getattr(row, "entered_in_error_reason", "")
    note = "Entered in error"
    if by is not None:
        note += f" by {by.display_name}"
    return note + (f": {reason}" if reason else "")
