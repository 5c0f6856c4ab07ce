from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pallio.core.codes import ICD10CM
from pallio.referrals import clocks, services


@pytest.mark.django_db
@pytest.mark.parametrize(("urgency", "days"), [("urgent", 1), ("soon", 3), ("routine", 7)])
def test_first_contact_due_by_urgency(world, urgency, days):
    assert clocks.first_contact_due(world.riverside, urgency, date(2026, 3, 1)) == date(
        2026, 3, 1
    ) + timedelta(days=days)


@pytest.mark.django_db
def test_program_setting_overrides_first_contact_days(world):
    world.riverside.settings = {"first_contact_days": {"urgent": 0, "soon": 2, "routine": 5}}
    assert clocks.first_contact_due(world.riverside, "urgent", date(2026, 3, 1)) == date(2026, 3, 1)


@pytest.mark.django_db
def test_eight_week_deadline_only_for_advanced_cancer(world):
    diagnosed = date(2026, 1, 1)
    assert clocks.advanced_cancer_deadline(
        world.riverside, group="cancer", advanced=True, diagnosis_date=diagnosed
    ) == date(2026, 2, 26)
    assert (
        clocks.advanced_cancer_deadline(
            world.riverside, group="cancer", advanced=False, diagnosis_date=diagnosed
        )
        is None
    )
    assert (
        clocks.advanced_cancer_deadline(
            world.riverside, group="heart_failure", advanced=True, diagnosis_date=diagnosed
        )
        is None
    )


@pytest.mark.django_db
def test_overdue_and_due_today_at_the_boundary(world):
    received = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    from pallio.core import clock

    with clock.frozen(received):
        referral, _ = services.referral_create(
            actor=None,
            program=world.riverside,
            source="phone",
            data=services.ReferralInput(
                given_name="Ann",
                family_name="Lee",
                birth_date=date(1944, 2, 2),
                diagnosis_system=ICD10CM,
                diagnosis_code="J44.9",
                urgency="urgent",
            ),
        )
    due = referral.first_contact_due
    on_the_day = clocks.referral_clocks(referral, today=due, now=received)
    assert on_the_day.first_contact_due_today and not on_the_day.first_contact_overdue
    day_after = clocks.referral_clocks(referral, today=due + timedelta(days=1), now=received)
    assert day_after.first_contact_overdue and day_after.overdue


@pytest.mark.django_db
def test_eligibility_follows_the_programs_code_sets(world):
    assert services.eligibility_for(world.riverside, system=ICD10CM, code="G20")[0]
    assert not services.eligibility_for(world.riverside, system=ICD10CM, code="I10")[0]
    world.riverside.settings = {"serious_illness_icd10_prefixes": {"cardiac": ["I10"]}}
    assert services.eligibility_for(world.riverside, system=ICD10CM, code="I10")[0]
