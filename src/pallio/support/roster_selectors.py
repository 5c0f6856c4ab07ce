"""Reads of the on-call roster: who covers each line now, the shifts of a period, and the
stretches nobody covers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import QuerySet

from pallio.core import access, clock
from pallio.support.models import Line, RosterGapFlag, RosterPattern, Shift

# The lines a program must always cover; the backup line only when its pattern names one.
REQUIRED_LINES = (Line.FIRST, Line.SECOND)


@dataclass(frozen=True)
class Gap:
    line: str
    starts_at: datetime
    ends_at: datetime

    @property
    def line_label(self) -> str:
        return Line(self.line).label


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def current_shifts(program_id: Any, at: datetime | None = None) -> dict[str, Shift]:
    """The shift covering each line of the program at `at` (now by default): one indexed
    query, whatever the length of the roster."""
    when = at or clock.now()
    covering: dict[str, Shift] = {}
    shifts = (
        Shift.objects.filter(
            program_id=program_id, cancelled=False, starts_at__lte=when, ends_at__gt=when
        )
        .select_related("user")
        .order_by("starts_at")
    )
    for shift in shifts:
        covering[shift.line] = shift  # the latest start wins, as in selectors.on_call_now
    return covering


def on_call_lines(program_id: Any, at: datetime | None = None) -> list[tuple[str, Any]]:
    """(line label, shift or None) for every line, first line first."""
    covering = current_shifts(program_id, at)
    return [(line.label, covering.get(line.value)) for line in Line]


def shifts_between(program: Any, start: datetime, end: datetime) -> QuerySet[Shift]:
    """Shifts (cancelled ones too, for the page to show) overlapping [start, end)."""
    return (
        Shift.objects.filter(program=program, starts_at__lt=end, ends_at__gt=start)
        .select_related("user", "swapped_from")
        .order_by("starts_at", "line")
    )


def lines_checked(program: Any) -> list[str]:
    lines = [str(line) for line in REQUIRED_LINES]
    if RosterPattern.objects.filter(program=program, line=Line.BACKUP).exists():
        lines.append(str(Line.BACKUP))
    return lines


def roster_gaps(
    program: Any, start: datetime, end: datetime, shifts: list[Shift] | None = None
) -> list[Gap]:
    """Every stretch of [start, end) where a checked line has no shift that is not
    cancelled, in time order."""
    if shifts is None:
        shifts = list(shifts_between(program, start, end))
    gaps: list[Gap] = []
    for line in lines_checked(program):
        covered_until = start
        for shift in sorted(
            (s for s in shifts if s.line == line and not s.cancelled), key=lambda s: s.starts_at
        ):
            if shift.starts_at > covered_until:
                gaps.append(Gap(line, covered_until, min(shift.starts_at, end)))
            covered_until = max(covered_until, shift.ends_at)
            if covered_until >= end:
                break
        if covered_until < end:
            gaps.append(Gap(line, covered_until, end))
    return sorted(gaps, key=lambda g: (g.starts_at, g.line))


def roster_staff(program: Any) -> QuerySet[Any]:
    """Who may be put on the roster: the program's active clinical staff."""
    user_model = apps.get_model("accounts", "User")
    return user_model.objects.filter(
        program=program, is_active=True, role__in=access.CLINICAL_ROLES
    ).order_by("last_name", "first_name")


@dataclass
class RosterDay:
    day: date
    is_today: bool
    holiday: str
    by_line: list[tuple[str, list[Shift]]] = field(default_factory=list)


def roster_page_for(user: Any, week_start: date, *, days: int = 14) -> dict[str, Any]:
    """The roster page: `days` days from `week_start` (this week and next by default), per
    line, with swaps, cancelled shifts and the gaps."""
    from pallio.support.roster import program_holidays

    program = user.program
    tz = ZoneInfo(program.timezone)
    start = local_midnight(week_start, tz)
    end = local_midnight(week_start + timedelta(days=days), tz)
    shifts = list(shifts_between(program, start, end))
    today = clock.today_in(program.timezone)
    holidays = program_holidays(program, week_start, week_start + timedelta(days=days))
    roster_days = []
    for offset in range(days):
        day = week_start + timedelta(days=offset)
        entry = RosterDay(day=day, is_today=day == today, holiday=holidays.get(day, ""))
        for line in Line:
            entry.by_line.append(
                (
                    line.label,
                    [
                        s
                        for s in shifts
                        if s.line == line.value and s.starts_at.astimezone(tz).date() == day
                    ],
                )
            )
        roster_days.append(entry)
    gap_from = max(start, clock.now())
    return {
        "program": program,
        "week_start": week_start,
        "previous_start": week_start - timedelta(days=7),
        "next_start": week_start + timedelta(days=7),
        "days": roster_days,
        "gaps": roster_gaps(program, gap_from, end, shifts) if gap_from < end else [],
        "open_flags": list(
            RosterGapFlag.objects.filter(program=program, resolved_at__isnull=True).order_by(
                "starts_at", "line"
            )[:50]
        ),
        "tz": tz,
        "can_manage": access.has_perm(user, "roster.manage"),
        "now": clock.now(),
    }


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
