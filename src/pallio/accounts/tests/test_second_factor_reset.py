"""A lost second factor is reset only when a second administrator approves."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import PermissionDenied, ValidationError

from pallio.accounts.second_factor import (
    second_factor_is_set_up,
    second_factor_reset_approve,
    second_factor_reset_cancel,
    second_factor_reset_request,
)
from pallio.accounts.tests.admins import hillside_admin, riverside_admin
from pallio.audit.models import AuditEvent


@pytest.fixture
def admins(world):
    return riverside_admin(world), riverside_admin(world, "abe", "Abe")


@pytest.mark.django_db
def test_a_second_administrator_approves_and_only_then_the_factor_is_removed(world, admins):
    ada, abe = admins
    TOTP.activate(world.navigator, generate_totp_secret())
    reset = second_factor_reset_request(actor=ada, user=world.navigator, reason="Lost her phone")
    assert second_factor_is_set_up(world.navigator)
    with pytest.raises(PermissionDenied):
        second_factor_reset_approve(actor=ada, reset=reset)
    assert second_factor_is_set_up(world.navigator)
    assert second_factor_reset_approve(actor=abe, reset=reset) >= 1
    assert not Authenticator.objects.filter(user=world.navigator).exists()
    events = set(
        AuditEvent.objects.filter(object_id=str(world.navigator.pk)).values_list("event", flat=True)
    )
    assert {"second_factor.reset_request", "second_factor.reset_approve"} <= events
    with pytest.raises(ValidationError):
        second_factor_reset_approve(actor=abe, reset=reset)


@pytest.mark.django_db
def test_nobody_approves_the_reset_of_their_own_factor(world, admins):
    ada, abe = admins
    TOTP.activate(abe, generate_totp_secret())
    reset = second_factor_reset_request(actor=ada, user=abe, reason="New phone")
    with pytest.raises(PermissionDenied):
        second_factor_reset_approve(actor=abe, reset=reset)
    with pytest.raises(PermissionDenied):
        second_factor_reset_approve(actor=ada, reset=reset)
    assert second_factor_is_set_up(abe)


@pytest.mark.django_db
def test_a_reason_is_required_and_one_request_waits_at_a_time(world, admins):
    ada, abe = admins
    for reason in ("", "   "):
        with pytest.raises(ValidationError):
            second_factor_reset_request(actor=ada, user=world.navigator, reason=reason)
    reset = second_factor_reset_request(actor=ada, user=world.navigator, reason="Lost phone")
    with pytest.raises(ValidationError):
        second_factor_reset_request(actor=abe, user=world.navigator, reason="Lost phone")
    second_factor_reset_cancel(actor=abe, reset=reset)
    with pytest.raises(ValidationError):
        second_factor_reset_approve(actor=abe, reset=reset)
    second_factor_reset_request(actor=abe, user=world.navigator, reason="Lost phone again")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "director", "navigator", "privacy", None])
def test_others_can_neither_ask_nor_approve(world, admins, who):
    ada, _ = admins
    actor = getattr(world, who) if who else None
    TOTP.activate(world.physician, generate_totp_secret())
    with pytest.raises(PermissionDenied):
        second_factor_reset_request(actor=actor, user=world.physician, reason="Lost phone")
    reset = second_factor_reset_request(actor=ada, user=world.physician, reason="Lost phone")
    with pytest.raises(PermissionDenied):
        second_factor_reset_approve(actor=actor, reset=reset)
    assert second_factor_is_set_up(world.physician)


@pytest.mark.django_db
def test_another_programs_administrator_cannot_approve(world, admins):
    ada, _ = admins
    TOTP.activate(world.physician, generate_totp_secret())
    reset = second_factor_reset_request(actor=ada, user=world.physician, reason="Lost phone")
    with pytest.raises(PermissionDenied):
        second_factor_reset_approve(actor=hillside_admin(world), reset=reset)
    with pytest.raises(PermissionDenied):
        second_factor_reset_request(actor=ada, user=world.hillside_nurse, reason="x")
    assert second_factor_is_set_up(world.physician)
