"""Portal invitations: who may send one, the single-use expiring link, and what accepting
makes (a portal account and its access); an unusable link changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from tests.support.personas import add_to_team, login

from pallio.accounts.models import AccountKind, User
from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.privileges import PrivilegeDenied
from pallio.portal.invitations import (
    InvitationUnusable,
    portal_invitation_accept,
    portal_invitation_create,
    portal_invitation_withdraw,
)
from pallio.portal.models import PortalAccess, PortalInvitation, PortalRelation, PortalScope
from pallio.portal.tests.helpers import family_member, link_for, token_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "harbour willow candle 77"


def invite_andrew(world, scopes=(PortalScope.DIARY,), email="andrew@example.org"):
    andrew = family_member(world.alice)
    invitation = portal_invitation_create(
        actor=world.navigator,
        patient=world.alice,
        email=email,
        person=andrew,
        scopes=scopes,
        link_for=link_for,
    )
    return invitation, token_in(mail.outbox[-1])


def counts():
    return (User.objects.count(), PortalAccess.objects.count())


def test_an_invitation_keeps_only_the_hash_and_mails_a_single_use_link(world):
    invitation, token = invite_andrew(world)
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    message = mail.outbox[-1]
    assert message.to == ["andrew@example.org"]
    assert "Riverside Palliative Care" in message.subject
    assert invitation.relation == PortalRelation.CAREGIVER
    assert invitation.scopes == ["diary"]

    user = portal_invitation_accept(token=token, username="andrew", password=NEW_PASSWORD)
    assert (user.kind, user.program_id) == (AccountKind.PORTAL, None)
    assert user.first_name == "Andrew" and user.check_password(NEW_PASSWORD)
    access = PortalAccess.objects.get(user=user)
    assert (access.patient, access.relation, access.scopes) == (
        world.alice,
        PortalRelation.CAREGIVER,
        ["diary"],
    )
    assert AuditEvent.objects.filter(event="portal.invitation_accept", role="portal").exists()

    # Used: the same link again changes nothing.
    with pytest.raises(InvitationUnusable) as refused:
        portal_invitation_accept(token=token, username="andrew2", password=NEW_PASSWORD)
    assert refused.value.state == "used"
    assert not User.objects.filter(username="andrew2").exists()


def test_an_expired_or_withdrawn_link_changes_nothing(world):
    invitation, token = invite_andrew(world)
    before = counts()
    with (
        clock.frozen(clock.now() + timedelta(days=8)),
        pytest.raises(InvitationUnusable) as refused,
    ):
        portal_invitation_accept(token=token, username="andrew", password=NEW_PASSWORD)
    assert refused.value.state == "expired"
    portal_invitation_withdraw(actor=world.navigator, invitation=invitation)
    with pytest.raises(InvitationUnusable) as refused:
        portal_invitation_accept(token=token, username="andrew", password=NEW_PASSWORD)
    assert refused.value.state == "revoked"
    with pytest.raises(InvitationUnusable):
        portal_invitation_accept(token="made-up", username="andrew", password=NEW_PASSWORD)
    assert counts() == before


def test_a_newer_invitation_withdraws_the_older_one(world):
    first, _ = invite_andrew(world)
    second, token = invite_andrew(world, scopes=[PortalScope.VISITS])
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    user = portal_invitation_accept(token=token, username="andrew", password=NEW_PASSWORD)
    assert PortalAccess.objects.get(user=user).scopes == ["visits"]


def test_a_weak_password_or_taken_username_keeps_the_link_open(world):
    _, token = invite_andrew(world)
    with pytest.raises(ValidationError):
        portal_invitation_accept(token=token, username="andrew", password="andrew")
    with pytest.raises(ValidationError):
        portal_invitation_accept(token=token, username="nina", password=NEW_PASSWORD)
    assert counts()[1] == 0
    portal_invitation_accept(token=token, username="andrew", password=NEW_PASSWORD)


def test_who_may_invite(world):
    andrew = family_member(world.alice)
    # Not on the team: refused at the patient.
    with pytest.raises(PermissionDenied):
        portal_invitation_create(
            actor=world.social_worker,
            patient=world.alice,
            email="a@example.org",
            person=andrew,
            link_for=link_for,
        )
    # On the team, but a volunteer: refused by the privilege, with who may instead.
    volunteer = add_to_team(world, "vic", "volunteer", "Vic", "Volunteer")
    with pytest.raises(PrivilegeDenied, match="may not invite"):
        portal_invitation_create(
            actor=volunteer,
            patient=world.alice,
            email="a@example.org",
            person=andrew,
            link_for=link_for,
        )
    # The program-wide coordinator may.
    portal_invitation_create(
        actor=world.coordinator,
        patient=world.alice,
        email="a@example.org",
        person=andrew,
        link_for=link_for,
    )
    assert PortalInvitation.objects.count() == 1


def test_a_family_member_of_another_patient_is_refused(world):
    bobs = family_member(world.bob, "Betty Brown")
    with pytest.raises(ValidationError):
        portal_invitation_create(
            actor=world.coordinator,
            patient=world.alice,
            email="betty@example.org",
            person=bobs,
            link_for=link_for,
        )
    assert PortalInvitation.objects.count() == 0


def test_the_patient_is_invited_once(world):
    invitation = portal_invitation_create(
        actor=world.navigator, patient=world.alice, email="alice@example.org", link_for=link_for
    )
    assert invitation.relation == PortalRelation.PATIENT
    user = portal_invitation_accept(
        token=token_in(mail.outbox[-1]), username="alice", password=NEW_PASSWORD
    )
    access = PortalAccess.objects.get(user=user)
    assert access.is_patient and all(access.can(s) for s in PortalScope.values)
    with pytest.raises(ValidationError, match="already has a portal account"):
        portal_invitation_create(
            actor=world.navigator,
            patient=world.alice,
            email="alice2@example.org",
            link_for=link_for,
        )


# --- the pages ------------------------------------------------------------------------------


def test_the_invitation_page_makes_the_account_and_signs_in(world):
    _, token = invite_andrew(world)
    client = Client()
    url = reverse("portal:invitation", kwargs={"token": token})
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"username": "andrew", "password1": NEW_PASSWORD, "password2": "different words"}
    )
    assert response.status_code == 400 and counts()[1] == 0
    response = client.post(
        url, {"username": "andrew", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home"))["Location"] == reverse(
        "portal:patient_home", args=[world.alice.pk]
    )
    # Used: a clear page, nothing changed.
    again = Client().post(
        url, {"username": "other", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert again.status_code == 410
    assert "was used already" in again.content.decode()
    assert not User.objects.filter(username="other").exists()


def test_the_expired_link_page_is_clear(world):
    _, token = invite_andrew(world)
    with clock.frozen(clock.now() + timedelta(days=8)):
        response = Client().get(reverse("portal:invitation", kwargs={"token": token}))
    assert response.status_code == 410
    assert "has expired" in response.content.decode()


def test_the_team_page_invites_and_withdraws(world, settings):
    andrew = family_member(world.alice)
    client = login(Client(), world.navigator)
    page = reverse("portal_team:patient", kwargs={"patient_id": world.alice.pk})
    assert client.get(page).status_code == 200
    response = client.post(
        reverse("portal_team:invite", kwargs={"patient_id": world.alice.pk}),
        {
            "who": str(andrew.pk),
            "email": "andrew@example.org",
            "scopes": ["diary", "visits"],
            "language": "es",
        },
    )
    assert response.status_code == 302
    invitation = PortalInvitation.objects.get()
    assert (invitation.scopes, invitation.language) == (["diary", "visits"], "es")
    assert "/portal/invitation/" in mail.outbox[-1].body
    assert "andrew@example.org" in client.get(page).content.decode()
    client.post(
        reverse(
            "portal_team:invitation_withdraw",
            kwargs={"patient_id": world.alice.pk, "invitation_id": invitation.pk},
        )
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    # A staff member not on alice's team gets 404 and nothing is sent.
    sent = len(mail.outbox)
    sam = login(Client(), world.social_worker)
    assert sam.get(page).status_code == 404
    response = sam.post(
        reverse("portal_team:invite", kwargs={"patient_id": world.alice.pk}),
        {"who": str(andrew.pk), "email": "x@example.org", "language": "en"},
    )
    assert response.status_code == 404 and len(mail.outbox) == sent
