from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pallio.core import clock
from pallio.core.codes import ICD10CM
from pallio.core.models import ConflictError
from pallio.referrals import services
from pallio.referrals.models import Letter, Status


def referral_input(**overrides: Any) -> services.ReferralInput:
    values: dict[str, Any] = dict(
        given_name="Maria",
        family_name="O'Neil-García",
        birth_date=date(1957, 3, 14),
        diagnosis_system=ICD10CM,
        diagnosis_code="C78.00",
        phone="617-555-0199",
        diagnosis_date=clock.now().date() - timedelta(weeks=2),
        urgency="urgent",
        reasons=["symptoms"],
        referrer_name="Dr. Osler",
        referrer_email="osler@example.org",
        consent_to_contact=True,
    )
    values.update(overrides)
    return services.ReferralInput(**values)


def test_provider_referral_is_created_with_its_clocks(world):
    referral, created = services.referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    assert created
    assert referral.status == Status.NEW
    assert referral.reference.startswith("PAL-")
    assert referral.phone == "+16175550199"
    assert referral.eligible is True
    today = clock.today_in("America/New_York")
    assert referral.first_contact_due == today + timedelta(days=1)
    assert referral.diagnosis_date is not None
    assert referral.advanced_cancer_deadline == referral.diagnosis_date + timedelta(weeks=8)
    # Nobody has checked the address typed into a public form: no letter until reviewed.
    assert not referral.letters.exists()


def test_public_referral_is_acknowledged_once_the_coordinator_reviews_it(world):
    referral, _ = services.referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    services.referral_start_review(actor=world.coordinator, referral=referral)
    services.referral_start_review(actor=world.coordinator, referral=referral)
    assert [letter.kind for letter in referral.letters.all()] == [Letter.Kind.RECEIVED]


def test_a_referrer_whose_referral_was_accepted_is_acknowledged_at_once(world):
    first, _ = services.referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    services.referral_create_patient(
        actor=world.coordinator, referral=first, expected_version=first.version
    )
    first.refresh_from_db()
    services.referral_accept(
        actor=world.coordinator,
        referral=first,
        expected_version=first.version,
        team=[world.navigator],
    )
    second, _ = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=referral_input(given_name="Second", referrer_email="OSLER@example.org"),
    )
    assert [letter.kind for letter in second.letters.all()] == [Letter.Kind.RECEIVED]
    # The same address is unknown to another program.
    other, _ = services.referral_create(
        actor=None, program=world.hillside, source="provider", data=referral_input()
    )
    assert not other.letters.exists()


def test_a_referral_entered_by_staff_is_acknowledged_at_once(world):
    referral, _ = services.referral_create(
        actor=world.coordinator, program=world.riverside, source="api", data=referral_input()
    )
    assert [letter.kind for letter in referral.letters.all()] == [Letter.Kind.RECEIVED]


def test_retry_with_the_same_key_makes_one_referral(world):
    first, created = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=referral_input(),
        idempotency_key="abc",
    )
    again, created_again = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=referral_input(),
        idempotency_key="abc",
    )
    assert created and not created_again
    assert first.pk == again.pk
    with pytest.raises(services.IdempotencyConflict):
        services.referral_create(
            actor=None,
            program=world.riverside,
            source="provider",
            data=referral_input(given_name="Other"),
            idempotency_key="abc",
        )


def test_future_birth_date_is_refused(world):
    with pytest.raises(ValidationError) as info:
        services.referral_create(
            actor=None,
            program=world.riverside,
            source="provider",
            data=referral_input(birth_date=date(2999, 1, 1)),
        )
    assert "future" in str(info.value)


def test_accept_enrolls_with_team_and_first_contact_task(world):
    referral, _ = services.referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    services.referral_create_patient(
        actor=world.coordinator, referral=referral, expected_version=referral.version
    )
    referral.refresh_from_db()
    episode = services.referral_accept(
        actor=world.coordinator,
        referral=referral,
        expected_version=referral.version,
        team=[world.navigator, world.physician],
    )
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED
    assert {m.user for m in episode.team.all()} == {world.navigator, world.physician}
    task = episode.tasks.get()
    assert task.assigned_to == world.navigator
    assert referral.letters.filter(kind=Letter.Kind.ACCEPTED).exists()


def test_stale_version_is_a_conflict(world):
    referral, _ = services.referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    stale = referral.version
    services.referral_hold(
        actor=world.coordinator,
        referral=referral,
        expected_version=stale,
        information_requested="Latest oncology letter",
    )
    with pytest.raises(ConflictError):
        services.referral_decline(
            actor=world.coordinator,
            referral=referral,
            expected_version=stale,
            reason="not_eligible",
        )


def test_letters_show_times_in_the_programs_zone(world):
    from datetime import UTC, datetime

    with clock.frozen(datetime(2026, 7, 1, 3, 30, tzinfo=UTC)):
        referral, _ = services.referral_create(
            actor=None, program=world.riverside, source="provider", data=referral_input()
        )
    services.referral_start_review(actor=world.coordinator, referral=referral)
    # 03:30 UTC is 23:30 the evening before in New York (EDT).
    assert "30 June 2026, 23:30" in referral.letters.get().body
