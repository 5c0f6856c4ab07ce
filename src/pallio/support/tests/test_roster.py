"""The on-call roster: the weekly pattern, shifts built from it across daylight-saving changes
and public holidays, swaps, cancellations, shifts added by hand, and gaps flagged once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.support import roster
from pallio.support.models import Line, RosterGapFlag, RosterPattern, Shift
from pallio.support.roster_selectors import on_call_lines, roster_gaps
from pallio.support.selectors import on_call_now

NEW_YORK = ZoneInfo("America/New_York")
# A Monday; the week ends on Sunday 1 November 2026, when New York leaves daylight saving.
MONDAY = date(2026, 10, 26)
NOON_MONDAY = datetime(2026, 10, 26, 16, 0, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


def daily_pattern(world, *, line: str = Line.FIRST, user=None, holiday_user=None, hours=24):
    for weekday in range(7):
        roster.pattern_slot_add(
            actor=world.coordinator,
            line=line,
            weekday=weekday,
            start_time=time(8, 0),
            hours=hours,
            user=user or world.navigator,
            holiday_user=holiday_user,
        )


@pytest.fixture
def frozen():
    with clock.frozen(NOON_MONDAY):
        yield


# --- who edits -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "director"])
def test_the_coordinator_and_the_director_edit_the_pattern(world, who):
    slot = roster.pattern_slot_add(
        actor=getattr(world, who),
        line=Line.SECOND,
        weekday=0,
        start_time=time(17, 0),
        hours=15,
        user=world.physician,
    )
    assert slot.program == world.riverside
    assert AuditEvent.objects.filter(event="roster.pattern_add").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["oncall", "navigator", "physician", "privacy", "hillside_nurse"])
def test_nobody_else_edits_the_roster(world, who, frozen):
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        roster.pattern_slot_add(
            actor=actor, line="first", weekday=0, start_time=time(8), hours=8, user=world.navigator
        )
    with pytest.raises(PermissionDenied):
        roster.shifts_build(actor=actor, program=world.riverside, first=MONDAY, last=MONDAY)
    with pytest.raises(PermissionDenied):
        roster.shift_cancel(actor=actor, shift=world.oncall_shift, reason="Ill")
    assert not RosterPattern.objects.exists()
    assert not world.oncall_shift.__class__.objects.filter(cancelled=True).exists()


@pytest.mark.django_db
def test_a_slot_names_only_clinicians_of_the_program(world):
    for person in (world.hillside_nurse, world.privacy):
        with pytest.raises(ValidationError) as caught:
            roster.pattern_slot_add(
                actor=world.coordinator,
                line="first",
                weekday=0,
                start_time=time(8),
                hours=8,
                user=person,
            )
        assert caught.value.message_dict["user"] == ["Choose a clinician of this program."]
    with pytest.raises(ValidationError) as caught:
        roster.pattern_slot_add(
            actor=world.coordinator,
            line="first",
            weekday=7,
            start_time=time(8),
            hours=25,
            user=world.navigator,
        )
    assert set(caught.value.message_dict) == {"weekday", "hours"}
    assert not RosterPattern.objects.exists()


@pytest.mark.django_db
def test_a_slot_changes_and_is_removed(world):
    slot = roster.pattern_slot_add(
        actor=world.coordinator, line="first", weekday=0, start_time=time(8), hours=8,
        user=world.navigator,
    )  # fmt: skip
    roster.pattern_slot_update(
        actor=world.director,
        slot=slot,
        line="second",
        weekday=1,
        start_time=time(9),
        hours=12,
        user=world.physician,
        holiday_user=world.director,
    )
    slot.refresh_from_db()
    assert (slot.line, slot.weekday, slot.hours, slot.user, slot.holiday_user) == (
        "second", 1, 12, world.physician, world.director,
    )  # fmt: skip
    roster.pattern_slot_remove(actor=world.coordinator, slot=slot)
    assert not RosterPattern.objects.exists()
    events = AuditEvent.objects.filter(event__startswith="roster.pattern").values_list(
        "event", flat=True
    )
    assert set(events) == {"roster.pattern_add", "roster.pattern_change", "roster.pattern_remove"}


# --- building --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_week_across_the_daylight_saving_change_has_no_gap_or_overlap(world, frozen):
    world.oncall_shift.delete()
    daily_pattern(world)
    result = roster.shifts_build(
        actor=world.coordinator, program=world.riverside, first=MONDAY, last=MONDAY + timedelta(6)
    )
    assert result.created == 7
    shifts = list(Shift.objects.filter(program=world.riverside, line=Line.FIRST))
    # Every shift starts at 08:00 on the program's clock, before and after the change.
    assert [s.starts_at.astimezone(NEW_YORK).time() for s in shifts] == [time(8)] * 7
    # Each ends when the next starts: Saturday's lasts 25 hours (clocks go back at 02:00).
    for before, after in pairwise(shifts):
        assert before.ends_at == after.starts_at
    lengths = [(s.ends_at - s.starts_at) / timedelta(hours=1) for s in shifts]
    assert lengths == [24, 24, 24, 24, 24, 25, 24]
    start, end = local(MONDAY, 8), local(MONDAY + timedelta(7), 8)
    assert [g for g in roster_gaps(world.riverside, start, end) if g.line == Line.FIRST] == []


@pytest.mark.django_db
def test_rebuilding_adds_nothing_and_keeps_swaps_and_cancellations(world, frozen):
    daily_pattern(world)
    last = MONDAY + timedelta(13)
    roster.shifts_build(actor=world.coordinator, program=world.riverside, first=MONDAY, last=last)
    tuesday = Shift.objects.get(starts_at=local(MONDAY + timedelta(1), 8))
    wednesday = Shift.objects.get(starts_at=local(MONDAY + timedelta(2), 8))
    roster.shift_swap(actor=world.coordinator, shift=tuesday, to_user=world.oncall, note="Exam")
    roster.shift_cancel(actor=world.coordinator, shift=wednesday, reason="Covered by hospice")
    again = roster.shifts_build(
        actor=world.director, program=world.riverside, first=MONDAY, last=last
    )
    assert (again.created, again.already_there) == (0, 14)
    assert Shift.objects.filter(line=Line.FIRST).count() == 14
    tuesday.refresh_from_db()
    assert (tuesday.user, tuesday.swapped_from) == (world.oncall, world.navigator)
    assert Shift.objects.get(pk=wednesday.pk).cancelled
    assert AuditEvent.objects.filter(event="roster.build").count() == 2


@pytest.mark.django_db
def test_on_a_public_holiday_the_holiday_cover_person_takes_the_slot(world):
    with clock.frozen(datetime(2026, 11, 20, 12, tzinfo=UTC)):
        daily_pattern(world, holiday_user=world.oncall)
        thanksgiving = date(2026, 11, 26)
        roster.shifts_build(
            actor=world.coordinator,
            program=world.riverside,
            first=thanksgiving - timedelta(1),
            last=thanksgiving + timedelta(1),
        )
    by_day = {
        s.starts_at.astimezone(NEW_YORK).date(): s for s in Shift.objects.filter(line=Line.FIRST)
    }
    assert by_day[thanksgiving].user == world.oncall
    assert by_day[thanksgiving].source == Shift.Source.HOLIDAY
    assert by_day[thanksgiving].note == "Thanksgiving Day"
    assert by_day[thanksgiving - timedelta(1)].user == world.navigator
    assert by_day[thanksgiving + timedelta(1)].user == world.navigator


@pytest.mark.django_db
def test_holidays_follow_the_programs_subdivision(world):
    patriots_day = date(2026, 4, 20)  # a Massachusetts holiday, not a federal one
    assert (
        "Patriots' Day"
        in roster.program_holidays(world.riverside, patriots_day, patriots_day)[patriots_day]
    )
    world.riverside.settings = {"support_holidays_subdivision": "NY"}
    assert roster.program_holidays(world.riverside, patriots_day, patriots_day) == {}
    world.riverside.settings = {"support_holidays_country": ""}
    assert roster.program_holidays(world.riverside, date(2026, 1, 1), date(2026, 12, 31)) == {}


@pytest.mark.django_db
def test_a_slot_without_holiday_cover_keeps_its_person_on_holidays(world):
    daily_pattern(world)
    with clock.frozen(datetime(2026, 12, 20, tzinfo=UTC)):
        roster.shifts_build(
            actor=world.coordinator,
            program=world.riverside,
            first=date(2026, 12, 25),
            last=date(2026, 12, 25),
        )
    shift = Shift.objects.get(line=Line.FIRST)
    assert (shift.user, shift.source) == (world.navigator, Shift.Source.PATTERN)


@pytest.mark.django_db
def test_building_refuses_a_backwards_or_too_long_period(world):
    for first, last in ((MONDAY, MONDAY - timedelta(1)), (MONDAY, MONDAY + timedelta(100))):
        with pytest.raises(ValidationError) as caught:
            roster.shifts_build(
                actor=world.coordinator, program=world.riverside, first=first, last=last
            )
        assert "last" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        roster.shifts_build(
            actor=world.coordinator, program=world.hillside, first=MONDAY, last=MONDAY
        )


# --- swaps, cancellations, shifts by hand -------------------------------------------------


@pytest.mark.django_db
def test_a_swap_keeps_who_was_rostered_and_why(world, frozen):
    daily_pattern(world)
    roster.shifts_build(actor=world.coordinator, program=world.riverside, first=MONDAY, last=MONDAY)
    shift = Shift.objects.get(line=Line.FIRST)
    roster.shift_swap(actor=world.coordinator, shift=shift, to_user=world.physician, note="Ill")
    roster.shift_swap(actor=world.director, shift=shift, to_user=world.oncall, note="Phil away")
    shift.refresh_from_db()
    assert (shift.user, shift.swapped_from, shift.note, shift.source) == (
        world.oncall, world.navigator, "Phil away", Shift.Source.SWAP,
    )  # fmt: skip
    assert on_call_now(program=world.riverside) == world.oncall
    assert shift.history.count() == 3
    for bad in (
        {"to_user": world.hillside_nurse, "note": "x"},
        {"to_user": world.oncall, "note": "x"},
        {"to_user": world.navigator, "note": ""},
    ):
        with pytest.raises(ValidationError):
            roster.shift_swap(actor=world.coordinator, shift=shift, **bad)


@pytest.mark.django_db
def test_a_cancelled_shift_leaves_its_line_uncovered(world, frozen):
    world.oncall_shift.delete()
    daily_pattern(world)
    roster.shifts_build(actor=world.coordinator, program=world.riverside, first=MONDAY, last=MONDAY)
    shift = Shift.objects.get(line=Line.FIRST)
    assert on_call_now(program=world.riverside) == world.navigator
    roster.shift_cancel(actor=world.coordinator, shift=shift, reason="Nina is ill")
    assert on_call_now(program=world.riverside) is None
    with pytest.raises(ValidationError):
        roster.shift_cancel(actor=world.coordinator, shift=shift, reason="again")
    with pytest.raises(ValidationError):
        roster.shift_swap(actor=world.coordinator, shift=shift, to_user=world.oncall, note="x")


@pytest.mark.django_db
def test_a_shift_added_by_hand_is_checked(world, frozen):
    start = local(MONDAY, 17)
    shift = roster.shift_add(
        actor=world.coordinator,
        line=Line.SECOND,
        user=world.physician,
        starts_at=start,
        ends_at=start + timedelta(hours=15),
        note="Cover",
    )
    assert shift.source == Shift.Source.MANUAL
    cases = {
        "end before start": (
            dict(user=world.director, starts_at=start, ends_at=start - timedelta(hours=1)),
            "The end must be after the start.",
        ),
        "another program": (
            dict(user=world.hillside_nurse, starts_at=start + timedelta(days=2),
                 ends_at=start + timedelta(days=2, hours=8)),
            "Choose a clinician of this program.",
        ),
        "overlap": (
            dict(user=world.director, starts_at=start + timedelta(hours=14),
                 ends_at=start + timedelta(hours=20)),
            "Phil Physician already covers this line",
        ),
        "already over": (
            dict(user=world.director, starts_at=start - timedelta(days=3),
                 ends_at=start - timedelta(days=3, hours=-2)),
            "This shift would already be over.",
        ),
    }  # fmt: skip
    for name, (given, message) in cases.items():
        with pytest.raises(ValidationError) as caught:
            roster.shift_add(actor=world.coordinator, line=Line.SECOND, **given)
        assert message in " ".join(caught.value.messages), name
    assert Shift.objects.filter(line=Line.SECOND).count() == 1
    # The same time on another line is no overlap.
    roster.shift_add(
        actor=world.coordinator,
        line=Line.FIRST,
        user=world.navigator,
        starts_at=start,
        ends_at=start + timedelta(hours=15),
    )


@pytest.mark.django_db
def test_on_call_now_reads_each_line_in_one_query(world, frozen, django_assert_num_queries):
    roster.shift_add(
        actor=world.coordinator,
        line=Line.FIRST,
        user=world.navigator,
        starts_at=NOON_MONDAY - timedelta(hours=1),
        ends_at=NOON_MONDAY + timedelta(hours=8),
    )
    with django_assert_num_queries(1):
        lines = on_call_lines(world.riverside.pk)
    assert [(label, s.user if s else None) for label, s in lines] == [
        ("First line (nurse)", world.navigator),
        ("Second line (physician)", None),
        ("Backup", world.oncall),
    ]


# --- gaps ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_gaps_in_the_coming_two_weeks_are_flagged_once_to_the_coordinator(world, frozen):
    daily_pattern(world)  # the first line only: the second line is uncovered throughout
    roster.shifts_build(
        actor=world.coordinator, program=world.riverside, first=MONDAY, last=MONDAY + timedelta(20)
    )
    thursday = Shift.objects.get(line=Line.FIRST, starts_at=local(MONDAY + timedelta(3), 8))
    roster.shift_cancel(actor=world.coordinator, shift=thursday, reason="Training day")
    flags = roster.roster_gaps_flag(program=world.riverside)
    assert {(f.line, f.starts_at) for f in flags} == {
        (Line.FIRST, thursday.starts_at),
        (Line.SECOND, NOON_MONDAY),
    }
    first_gap = next(f for f in flags if f.line == Line.FIRST)
    assert first_gap.ends_at == thursday.ends_at
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.coordinator.email]
    assert "Second line (physician)" in mail.outbox[0].body
    # Run again, and later the same day: nothing new, nobody written to twice.
    assert roster.roster_gaps_flag(program=world.riverside) == []
    with clock.frozen(NOON_MONDAY + timedelta(hours=3)):
        assert roster.roster_gaps_flag(program=world.riverside) == []
    assert RosterGapFlag.objects.count() == 2
    assert len(mail.outbox) == 1
    # Covering the gap closes its flag.
    roster.shift_add(
        actor=world.coordinator,
        line=Line.FIRST,
        user=world.oncall,
        starts_at=thursday.starts_at,
        ends_at=thursday.ends_at,
    )
    roster.roster_gaps_flag(program=world.riverside)
    assert RosterGapFlag.objects.get(line=Line.FIRST).resolved_at is not None
    assert RosterGapFlag.objects.get(line=Line.SECOND).resolved_at is None


@pytest.mark.django_db
def test_the_roster_check_command_flags_every_program(world, frozen):
    from django.core.management import call_command

    call_command("roster", "check")
    call_command("roster", "check")
    assert set(RosterGapFlag.objects.values_list("program__slug", flat=True)) == {
        "riverside",
        "hillside",
    }
    assert RosterGapFlag.objects.filter(program=world.riverside).count() == 2


@pytest.mark.django_db
def test_the_demo_roster_is_a_month_with_one_swap_and_no_gap(world, frozen):
    from pallio.support.roster_demo import roster_demo_populate

    world.oncall_shift.delete()
    built = roster_demo_populate(program=world.riverside, today=MONDAY)
    assert built == 31 * 2 + 23 * 1  # second line daily, first line daily plus weeknights
    swaps = Shift.objects.filter(source=Shift.Source.SWAP)
    assert swaps.count() == 1 and swaps.get().swapped_from is not None
    start, end = local(MONDAY - timedelta(14), 8), local(MONDAY + timedelta(17), 8)
    assert roster_gaps(world.riverside, start, end) == []
    assert on_call_now(program=world.riverside, line=Line.SECOND) is not None
