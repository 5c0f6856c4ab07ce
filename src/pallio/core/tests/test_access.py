from __future__ import annotations

from datetime import timedelta

import pytest

from pallio.core import access, clock
from pallio.episodes.services import break_glass_grant, care_team_end


@pytest.mark.django_db
def test_nurse_on_the_team_sees_the_patient(world):
    assert access.can_access_patient(world.navigator, world.alice)
    assert world.alice in access.visible_patients(world.navigator)


@pytest.mark.django_db
def test_social_worker_not_on_team_does_not_see_the_patient(world):
    assert not access.can_access_patient(world.social_worker, world.alice)
    assert world.alice not in access.visible_patients(world.social_worker)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "director", "oncall"])
def test_program_wide_roles_see_every_patient_of_their_program_only(world, who):
    user = getattr(world, who)
    assert access.can_access_patient(user, world.alice)
    assert access.can_access_patient(user, world.bob)
    assert not access.can_access_patient(user, world.hana)
    assert set(access.visible_patients(user)) == {world.alice, world.bob}


@pytest.mark.django_db
def test_privacy_officer_sees_no_patient(world):
    assert not access.can_access_patient(world.privacy, world.alice)
    assert not access.visible_patients(world.privacy).exists()


@pytest.mark.django_db
def test_hillside_staff_never_see_riverside_patients(world):
    for user in (world.hillside_coordinator, world.hillside_nurse):
        assert not access.can_access_patient(user, world.alice)
        assert world.alice not in access.visible_patients(user)


@pytest.mark.django_db
def test_leaving_the_team_ends_access_at_once(world):
    member = world.alice.team_memberships.get(user=world.physician)
    care_team_end(actor=world.coordinator, member=member)
    assert not access.can_access_patient(world.physician, world.alice)


@pytest.mark.django_db
def test_break_the_glass_is_time_limited(world, settings):
    break_glass_grant(
        actor=world.social_worker,
        patient=world.alice,
        reason="Patient called the on-call line in pain",
    )
    assert access.access_reason(world.social_worker, world.alice) == "break_glass"
    later = clock.now() + timedelta(minutes=settings.PALLIO_BREAK_GLASS_MINUTES + 1)
    with clock.frozen(later):
        assert not access.can_access_patient(world.social_worker, world.alice)


@pytest.mark.django_db
def test_inactive_user_has_no_rights(world):
    world.coordinator.is_active = False
    assert not access.has_perm(world.coordinator, "referral.view")
    assert not access.can_access_patient(world.coordinator, world.alice)
