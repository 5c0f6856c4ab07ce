"""Every write to the on-call roster: the weekly pattern, shifts built from it (with the
program's public holidays), swaps, cancellations, shifts added by hand, and the flags raised
for stretches nobody covers.

Only the care coordinator and the medical director edit the roster ("roster.manage" in
core/access.py); every write is audited in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction

from pallio.audit.models import Action
from pallio.audit.services import audit_record
from pallio.core import access, clock
from pallio.core.validation import check_choice, check_text
from pallio.support.models import Line, RosterGapFlag, RosterPattern, Shift
from pallio.support.roster_selectors import local_midnight, roster_gaps

Errors = dict[str, list[str]]
NOTE_LIMIT = 200
# A shift added by hand covers at most this long; longer cover is several shifts.
MAX_SHIFT_HOURS = 48
# Shifts are built at most this far ahead in one go.
MAX_BUILD_DAYS = 92


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _check_manager(actor: Any) -> None:
    if not access.has_perm(actor, "roster.manage"):
        raise PermissionDenied(
            "Only the care coordinator and the medical director edit the roster."
        )


def _check_person(errors: Errors, name: str, actor: Any, person: Any) -> None:
    if person is None:
        return
    if (
        person.program_id != actor.program_id
        or not person.is_active
        or person.role not in access.CLINICAL_ROLES
    ):
        errors.setdefault(name, []).append("Choose a clinician of this program.")


def _check_same_program(actor: Any, record: Any) -> None:
    if record.program_id != actor.program_id:
        raise PermissionDenied("That roster entry belongs to another program.")


def program_holidays(program: Any, first: date, last: date) -> dict[date, str]:
    """The program's public holidays from `first` to `last` (inclusive), by name, from the
    `holidays` library for its country and subdivision (program settings)."""
    country = str(program.setting("support_holidays_country") or "")
    if not country:
        return {}
    subdivision = str(program.setting("support_holidays_subdivision") or "") or None
    calendar = holiday_calendars.country_holidays(
        country, subdiv=subdivision, years=range(first.year, last.year + 1)
    )
    return {day: name for day, name in calendar.items() if first <= day <= last}


# --- the weekly pattern ---------------------------------------------------------------------


def _check_slot(
    errors: Errors, actor: Any, *, line: str, weekday: int, hours: int, user: Any, holiday_user: Any
) -> None:
    check_choice(errors, "line", line, Line.values)
    if not 0 <= weekday <= 6:
        errors.setdefault("weekday", []).append("Choose a day of the week.")
    if not 1 <= hours <= 24:
        errors.setdefault("hours", []).append("A slot lasts from 1 to 24 hours.")
    if user is None:
        errors.setdefault("user", []).append("Choose who covers this slot.")
    _check_person(errors, "user", actor, user)
    _check_person(errors, "holiday_user", actor, holiday_user)


@transaction.atomic
def pattern_slot_add(
    *,
    actor: Any,
    line: str,
    weekday: int,
    start_time: time,
    hours: int,
    user: Any,
    holiday_user: Any = None,
) -> RosterPattern:
    _check_manager(actor)
    errors: Errors = {}
    _check_slot(
        errors, actor, line=line, weekday=weekday, hours=hours, user=user, holiday_user=holiday_user
    )
    _raise(errors)
    slot = RosterPattern.objects.create(
        program_id=actor.program_id,
        line=line,
        weekday=weekday,
        start_time=start_time,
        hours=hours,
        user=user,
        holiday_user=holiday_user,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="roster.pattern_add",
        target=slot,
        detail={"line": line, "weekday": weekday, "start": start_time.isoformat(), "hours": hours},
    )
    return slot


@transaction.atomic
def pattern_slot_update(
    *,
    actor: Any,
    slot: RosterPattern,
    line: str,
    weekday: int,
    start_time: time,
    hours: int,
    user: Any,
    holiday_user: Any = None,
) -> RosterPattern:
    """Change a slot. Shifts already built stay as they are; the next build uses the change."""
    _check_manager(actor)
    _check_same_program(actor, slot)
    errors: Errors = {}
    _check_slot(
        errors, actor, line=line, weekday=weekday, hours=hours, user=user, holiday_user=holiday_user
    )
    _raise(errors)
    slot.line, slot.weekday, slot.start_time, slot.hours = line, weekday, start_time, hours
    slot.user, slot.holiday_user = user, holiday_user
    slot.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="roster.pattern_change",
        target=slot,
        detail={"line": line, "weekday": weekday, "start": start_time.isoformat(), "hours": hours},
    )
    return slot


@transaction.atomic
def pattern_slot_remove(*, actor: Any, slot: RosterPattern) -> None:
    """Take a slot out of the pattern (it is a plan, not a record of care)."""
    _check_manager(actor)
    _check_same_program(actor, slot)
    audit_record(
        actor=actor,
        action=Action.DELETE,
        event="roster.pattern_remove",
        target=slot,
        detail={"line": slot.line, "weekday": slot.weekday, "start": slot.start_time.isoformat()},
    )
    slot.delete()


# --- building shifts ------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildResult:
    created: int
    already_there: int


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    # Wall-clock time in the program's zone: a slot starting at 08:00 starts at 08:00 on
    # both sides of a daylight-saving change.
    return datetime.combine(day, at, tzinfo=tz)


def slot_period(slot: RosterPattern, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """When the slot's shift on `day` starts and ends. Its length is wall-clock hours, so a
    24-hour slot from 08:00 ends at 08:00 the next day even across a daylight-saving change
    (23 or 25 hours of real time) and the next shift follows without a gap or an overlap."""
    start_local = datetime.combine(day, slot.start_time)
    end_local = start_local + timedelta(hours=slot.hours)
    starts_at = start_local.replace(tzinfo=tz)
    ends_at = end_local.replace(tzinfo=tz)
    return starts_at, ends_at


@transaction.atomic
def shifts_build(*, actor: Any, program: Any, first: date, last: date) -> BuildResult:
    """Shifts from the weekly pattern for the days `first` to `last` (inclusive, program
    dates). Idempotent: a line already holding a shift starting at the slot's time (built
    before, swapped, cancelled or added by hand) is left alone, so rebuilding adds nothing.
    On a public holiday the slot's holiday cover person takes it when one is named."""
    if actor is not None:
        _check_manager(actor)
        if program.pk != actor.program_id:
            raise PermissionDenied("That is another program's roster.")
    errors: Errors = {}
    if last < first:
        errors.setdefault("last", []).append("The last day must not be before the first.")
    elif (last - first).days >= MAX_BUILD_DAYS:
        errors.setdefault("last", []).append(f"Build at most {MAX_BUILD_DAYS} days at a time.")
    _raise(errors)
    tz = ZoneInfo(program.timezone)
    slots = list(RosterPattern.objects.filter(program=program).select_related("user"))
    days_off = program_holidays(program, first, last)
    existing = set(
        Shift.objects.filter(
            program=program,
            starts_at__gte=local_midnight(first, tz),
            starts_at__lt=local_midnight(last + timedelta(days=2), tz),
        ).values_list("line", "starts_at")
    )
    new_shifts: list[Shift] = []
    already_there = 0
    day = first
    while day <= last:
        for slot in (s for s in slots if s.weekday == day.weekday()):
            starts_at, ends_at = slot_period(slot, day, tz)
            if (slot.line, starts_at) in existing:
                already_there += 1
                continue
            holiday = days_off.get(day)
            covered_by_holiday = holiday is not None and slot.holiday_user_id is not None
            new_shifts.append(
                Shift(
                    program=program,
                    line=slot.line,
                    user_id=(slot.holiday_user_id if covered_by_holiday else slot.user_id)
                    or slot.user_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    source=Shift.Source.HOLIDAY if covered_by_holiday else Shift.Source.PATTERN,
                    note=holiday or "",
                )
            )
            existing.add((slot.line, starts_at))
        day += timedelta(days=1)
    for shift in new_shifts:
        # One by one (not bulk) so each shift's history starts with its creation.
        shift.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="roster.build",
        program=program,
        detail={
            "first": first.isoformat(),
            "last": last.isoformat(),
            "created": len(new_shifts),
            "already_there": already_there,
        },
    )
    return BuildResult(created=len(new_shifts), already_there=already_there)


# --- changing shifts ------------------------------------------------------------------------


def _locked_shift(actor: Any, shift: Shift) -> Shift:
    _check_same_program(actor, shift)
    return Shift.objects.select_for_update().get(pk=shift.pk)


@transaction.atomic
def shift_swap(*, actor: Any, shift: Shift, to_user: Any, note: str) -> Shift:
    """Give a shift to someone else. The shift keeps who was first rostered
    (`swapped_from`) and why it changed hands."""
    _check_manager(actor)
    shift = _locked_shift(actor, shift)
    errors: Errors = {}
    check_text(errors, "note", note, NOTE_LIMIT, required=True)
    if to_user is None:
        errors.setdefault("to_user", []).append("Choose who takes the shift.")
    _check_person(errors, "to_user", actor, to_user)
    if to_user is not None and to_user.pk == shift.user_id:
        errors.setdefault("to_user", []).append("This person already has the shift.")
    if shift.cancelled:
        errors.setdefault("__all__", []).append("This shift was cancelled; add a new one instead.")
    elif shift.ends_at <= clock.now():
        errors.setdefault("__all__", []).append("This shift is over; it can no longer change.")
    _raise(errors)
    previous = shift.user
    if shift.swapped_from_id is None:
        shift.swapped_from = previous
    shift.user = to_user
    shift.source = Shift.Source.SWAP
    shift.note = note.strip()
    shift.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="roster.swap",
        target=shift,
        detail={"from": previous.username, "to": to_user.username, "note": shift.note},
    )
    return shift


@transaction.atomic
def shift_cancel(*, actor: Any, shift: Shift, reason: str) -> Shift:
    """Cancel a shift (kept on the roster, struck through, with the reason)."""
    _check_manager(actor)
    shift = _locked_shift(actor, shift)
    errors: Errors = {}
    check_text(errors, "reason", reason, NOTE_LIMIT, required=True)
    if shift.cancelled:
        errors.setdefault("__all__", []).append("This shift is already cancelled.")
    elif shift.ends_at <= clock.now():
        errors.setdefault("__all__", []).append("This shift is over; it can no longer change.")
    _raise(errors)
    shift.cancelled = True
    shift.note = reason.strip()
    shift.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="roster.cancel",
        target=shift,
        detail={"reason": shift.note},
    )
    return shift


@transaction.atomic
def shift_add(
    *,
    actor: Any,
    line: str,
    user: Any,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> Shift:
    """A shift added by hand, e.g. to cover a gap."""
    _check_manager(actor)
    errors: Errors = {}
    check_choice(errors, "line", line, Line.values)
    check_text(errors, "note", note, NOTE_LIMIT)
    if user is None:
        errors.setdefault("user", []).append("Choose who covers the shift.")
    _check_person(errors, "user", actor, user)
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append("The end must be after the start.")
    elif ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        errors.setdefault("ends_at", []).append(
            f"A shift lasts at most {MAX_SHIFT_HOURS} hours; add several shifts for longer."
        )
    elif ends_at <= clock.now():
        errors.setdefault("ends_at", []).append("This shift would already be over.")
    if not errors:
        overlapping = (
            Shift.objects.select_for_update()
            .filter(
                program_id=actor.program_id,
                line=line,
                cancelled=False,
                starts_at__lt=ends_at,
                ends_at__gt=starts_at,
            )
            .select_related("user")
            .first()
        )
        if overlapping is not None:
            tz = ZoneInfo(actor.program.timezone)
            errors.setdefault("__all__", []).append(
                f"{overlapping.user.display_name} already covers this line from "
                f"{overlapping.starts_at.astimezone(tz):%a %d %b %H:%M} to "
                f"{overlapping.ends_at.astimezone(tz):%a %d %b %H:%M}. Swap or cancel that "
                "shift, or choose another time."
            )
    _raise(errors)
    shift = Shift.objects.create(
        program_id=actor.program_id,
        line=line,
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        source=Shift.Source.MANUAL,
        note=note.strip(),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        event="roster.shift_add",
        target=shift,
        detail={"line": line, "user": user.username},
    )
    return shift


# --- gaps -----------------------------------------------------------------------------------


@transaction.atomic
def roster_gaps_flag(*, program: Any) -> list[RosterGapFlag]:
    """Flag to the program's care coordinators every stretch of the coming
    `support_roster_gap_days` with a line uncovered: one flag (and one email) per gap, however
    often this runs. A gap already flagged keeps its flag (its bounds follow the window as
    the clock moves); a flag whose gap was covered is closed. Returns the new flags."""
    now = clock.now()
    days = int(program.setting("support_roster_gap_days"))
    gaps = roster_gaps(program, now, now + timedelta(days=days))
    open_flags = list(
        RosterGapFlag.objects.select_for_update().filter(program=program, resolved_at__isnull=True)
    )
    matched: set[Any] = set()
    new_flags: list[RosterGapFlag] = []
    for gap in gaps:
        flag = next(
            (
                f
                for f in open_flags
                if f.pk not in matched
                and f.line == gap.line
                and f.starts_at <= gap.ends_at
                and f.ends_at >= gap.starts_at
            ),
            None,
        )
        if flag is not None:
            matched.add(flag.pk)
            if (flag.starts_at, flag.ends_at) != (gap.starts_at, gap.ends_at):
                flag.starts_at, flag.ends_at = gap.starts_at, gap.ends_at
                flag.save(update_fields=["starts_at", "ends_at", "updated_at"])
            continue
        flag, created = RosterGapFlag.objects.get_or_create(
            program=program, line=gap.line, starts_at=gap.starts_at, ends_at=gap.ends_at
        )
        if not created:
            flag.resolved_at = None
            flag.save(update_fields=["resolved_at", "updated_at"])
        matched.add(flag.pk)
        new_flags.append(flag)
    for flag in open_flags:
        if flag.pk not in matched:
            flag.resolved_at = now
            flag.save(update_fields=["resolved_at", "updated_at"])
    if new_flags:
        _notify_coordinators(program, new_flags)
        audit_record(
            actor=None,
            action=Action.CREATE,
            event="roster.gaps_flagged",
            program=program,
            detail={"gaps": len(new_flags)},
        )
    return new_flags


def _notify_coordinators(program: Any, flags: list[RosterGapFlag]) -> None:
    from django.apps import apps

    user_model = apps.get_model("accounts", "User")
    coordinators = list(
        user_model.objects.filter(program=program, is_active=True, role=access.ROLE_INTAKE).exclude(
            email=""
        )
    )
    if not coordinators:
        return
    tz = ZoneInfo(program.timezone)
    lines = [
        f"- {flag.get_line_display()}: {flag.starts_at.astimezone(tz):%a %d %b %H:%M} to "
        f"{flag.ends_at.astimezone(tz):%a %d %b %H:%M}"
        for flag in flags
    ]
    send_mail(
        subject=f"{program.name}: the on-call roster has gaps",
        message=(
            "Nobody is on call for these stretches of the coming days:\n\n"
            + "\n".join(lines)
            + "\n\nOpen the on-call roster in Pallio to cover them."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email for user in coordinators],
    )


def roster_check_all() -> int:
    """`pallio roster check`: flag the gaps of every program; the number of new flags."""
    from pallio.programs.models import Program

    return sum(len(roster_gaps_flag(program=p)) for p in Program.objects.all())
