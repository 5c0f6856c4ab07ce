"""Invitations: a single-use link that expires, sent by email, only by the program's admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from pallio.accounts.invitations import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    program_create_with_administrator,
)
from pallio.accounts.models import Invitation, User
from pallio.accounts.tests.admins import hillside_admin, link_for, riverside_admin
from pallio.core import clock
from pallio.programs.models import Program

NEW_PASSWORD = "a long enough pass phrase"


def token_in(message) -> str:
    found = re.search(r"/invitation/([^/]+)/", str(message.body))
    assert found, message.body
    return found.group(1)


def invite(world, actor=None, **overrides):
    values = dict(
        actor=actor or riverside_admin(world),
        program=world.riverside,
        email="nora@example.org",
        first_name="Nora",
        last_name="Nurse",
        role="clinician",
        discipline="nurse",
        link_for=link_for,
    )
    values.update(overrides)
    invitation = invitation_create(**values)
    token = token_in(mail.outbox[-1])
    return invitation, token


def accept(token, username="nora", password=NEW_PASSWORD):
    return invitation_accept(
        token=token, username=username, password=password, first_name="Nora", last_name="Nurse"
    )


@pytest.mark.django_db
def test_the_email_carries_a_link_whose_secret_is_not_stored(world):
    invitation, token = invite(world)
    message = mail.outbox[-1]
    assert message.to == ["nora@example.org"]
    assert "Riverside Palliative Care" in message.subject
    assert "7 days" in message.body and "palliative nurse" in message.body
    assert token not in invitation.token_hash
    assert not Invitation.objects.filter(token_hash=token).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["coordinator", "director", "oncall", "navigator", "physician", "privacy"]
)
def test_only_an_administrator_invites(world, who):
    with pytest.raises(PermissionDenied):
        invitation_create(
            actor=getattr(world, who),
            program=world.riverside,
            email="x@example.org",
            role="clinician",
            discipline="nurse",
            link_for=link_for,
        )
    assert not Invitation.objects.exists() and not mail.outbox


@pytest.mark.django_db
def test_an_administrator_cannot_invite_to_another_program(world):
    with pytest.raises(PermissionDenied):
        invite(world, actor=hillside_admin(world))
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_accepting_makes_the_account_with_the_chosen_role_and_closes_the_link(world):
    ada = riverside_admin(world)
    invitation, token = invite(
        world, actor=ada, training_level="resident", supervisor=world.physician
    )
    user = accept(token)
    assert (user.program, user.role, user.discipline, user.email) == (
        world.riverside,
        "clinician",
        "nurse",
        "nora@example.org",
    )
    assert user.training_level == "resident" and user.supervisor == world.physician
    assert user.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.used_by == user and invitation.used_at is not None
    with pytest.raises(InvitationUnusable) as refused:
        accept(token, username="nora2")
    assert refused.value.state == "used"
    assert not User.objects.filter(username="nora2").exists()


@pytest.mark.django_db
def test_an_expired_link_changes_nothing(world):
    _, token = invite(world)
    later = clock.now() + timedelta(days=7, minutes=1)
    with clock.frozen(later), pytest.raises(InvitationUnusable) as refused:
        accept(token)
    assert refused.value.state == "expired"
    assert not User.objects.filter(username="nora").exists()


@pytest.mark.django_db
def test_a_link_still_works_just_before_it_expires(world):
    _, token = invite(world)
    with clock.frozen(clock.now() + timedelta(days=6, hours=23)):
        assert accept(token).username == "nora"


@pytest.mark.django_db
def test_a_withdrawn_or_replaced_link_changes_nothing(world):
    ada = riverside_admin(world)
    _, first_token = invite(world, actor=ada)
    second, second_token = invite(world, actor=ada)
    with pytest.raises(InvitationUnusable) as refused:
        accept(first_token)
    assert refused.value.state == "revoked"
    invitation_revoke(actor=ada, invitation=second)
    with pytest.raises(InvitationUnusable):
        accept(second_token)
    with pytest.raises(InvitationUnusable) as unknown:
        accept("not-a-real-token")
    assert unknown.value.state == "unknown"
    assert not User.objects.filter(username="nora").exists()


@pytest.mark.django_db
def test_a_taken_username_or_weak_password_keeps_the_invitation_usable(world):
    invitation, token = invite(world)
    for username, password in (("NINA", NEW_PASSWORD), ("nora", "short"), ("", NEW_PASSWORD)):
        with pytest.raises(ValidationError):
            accept(token, username=username, password=password)
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert accept(token).username == "nora"


@pytest.mark.django_db
def test_an_administrator_starts_a_program_and_invites_its_first_administrator(world):
    ada = riverside_admin(world)
    program, invitation = program_create_with_administrator(
        actor=ada,
        name="Lakeside Palliative Care",
        slug="lakeside",
        timezone="America/Denver",
        admin_email="lee@example.org",
        link_for=link_for,
    )
    assert program.timezone == "America/Denver"
    assert (invitation.program, invitation.role) == (program, "program_admin")
    token = token_in(mail.outbox[-1])
    lee = accept(token, username="lee")
    assert lee.program == program and lee.role == "program_admin"
    ada.refresh_from_db()
    assert ada.program == world.riverside


@pytest.mark.django_db
def test_a_time_zone_that_does_not_exist_makes_no_program(world):
    ada = riverside_admin(world)
    with pytest.raises(ValidationError) as refused:
        program_create_with_administrator(
            actor=ada,
            name="Moon Base",
            slug="moon",
            timezone="Mars/Olympus_Mons",
            admin_email="lee@example.org",
            link_for=link_for,
        )
    assert "timezone" in refused.value.message_dict
    assert not Program.objects.filter(slug="moon").exists() and not mail.outbox


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "director", "navigator", "privacy"])
def test_only_an_administrator_starts_a_program(world, who):
    with pytest.raises(PermissionDenied):
        program_create_with_administrator(
            actor=getattr(world, who),
            name="Moon Base",
            slug="moon",
            timezone="UTC",
            admin_email="lee@example.org",
            link_for=link_for,
        )
    assert not Program.objects.filter(slug="moon").exists()
