"""Days in hospital and in intensive care before and after enrollment, counted by the
midnights of the program's time zone (episodes/stay_selectors.py hospital_use_of)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pallio.core import clock
from pallio.episodes import stays
from pallio.episodes.models import EpisodeOfCare
from pallio.episodes.stay_selectors import hospital_use_of

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def local(day, hour, minute=0):
    return datetime(2026, 1, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def enrolled_on_the_2nd_at_10(world):
    """Alice enrolled 2 January 2026, 10:00 New York time; the clock at 20 January."""
    assert world.riverside.timezone == "America/New_York"
    EpisodeOfCare.objects.filter(patient=world.alice).update(start=local(2, 10))
    with clock.frozen(local(20, 12)):
        yield


def _stay(world, start, end, *, kind="inpatient", icu_from=None, icu_to=None):
    stay = stays.stay_admit(
        actor=world.physician,
        patient=world.alice,
        kind=kind,
        facility="Riverside General",
        admitted_at=start,
    )
    if icu_from:
        stay = stays.stay_transfer(actor=None, stay=stay, unit="MICU", icu=True, at=icu_from)
    if icu_to:
        stay = stays.stay_transfer(actor=None, stay=stay, unit="4 West", icu=False, at=icu_to)
    if end:
        stays.stay_discharge(actor=None, stay=stay, discharged_at=end, disposition="home")
    return stay


def test_days_are_the_midnights_of_the_programs_zone_not_of_utc(world, enrolled_on_the_2nd_at_10):
    # 1 Jan 18:00 to 3 Jan 23:00 New York = 1 Jan 23:00 to 4 Jan 04:00 UTC: two local
    # midnights (2nd, 3rd) though three UTC ones; the 2nd's is before enrollment (10:00).
    _stay(world, local(1, 18), local(3, 23))
    use = hospital_use_of(world.alice)
    assert use.hospital_days == [1, 1]
    assert use.admissions == [1, 0]


def test_a_stay_within_one_day_counts_one_day_on_its_side_of_enrollment(
    world, enrolled_on_the_2nd_at_10
):
    _stay(world, local(2, 9), local(2, 9, 59))  # before 10:00 on the day of enrollment
    _stay(world, local(5, 0, 1), local(5, 23, 59))
    use = hospital_use_of(world.alice)
    assert use.hospital_days == [1, 1]
    assert use.admissions == [1, 1]


def test_intensive_care_days_come_from_the_icu_units_only(world, enrolled_on_the_2nd_at_10):
    # Admitted the 6th, ICU from the 7th 22:00 to the 9th 08:00, home the 11th.
    _stay(world, local(6, 12), local(11, 12), icu_from=local(7, 22), icu_to=local(9, 8))
    use = hospital_use_of(world.alice)
    assert use.hospital_days == [0, 5]
    assert use.icu_days == [0, 2]


def test_an_open_stay_counts_up_to_now_and_an_emergency_visit_is_a_visit(
    world, enrolled_on_the_2nd_at_10
):
    _stay(world, local(18, 15), None)
    _stay(world, local(1, 3), local(1, 7), kind="emergency")
    use = hospital_use_of(world.alice)
    assert use.hospital_days == [0, 2]  # midnights of the 19th and 20th
    assert use.emergency_visits == [1, 0]


def test_a_readmission_is_counted_and_a_stay_in_error_is_not(world, enrolled_on_the_2nd_at_10):
    _stay(world, local(3, 12), local(5, 12))
    second = _stay(world, local(12, 12), local(13, 12))
    assert second.is_readmission
    wrong = _stay(world, local(15, 12), local(16, 12))
    stays.stay_mark_entered_in_error(actor=world.physician, stay=wrong, reason="Wrong patient")
    use = hospital_use_of(world.alice)
    assert use.readmissions == [0, 1]
    assert use.admissions == [0, 2]
    assert use.hospital_days == [0, 3]


def test_a_patient_never_enrolled_has_everything_before(world):
    with clock.frozen(datetime(2026, 1, 20, 17, 0, tzinfo=UTC)):
        EpisodeOfCare.objects.filter(patient=world.bob).delete()
        stays.stay_admit(
            actor=world.director,
            patient=world.bob,
            kind="inpatient",
            facility="Riverside General",
            admitted_at=local(18, 12),
        )
        use = hospital_use_of(world.bob)
    assert use.enrolled_at is None
    assert use.hospital_days == [2, 0]
