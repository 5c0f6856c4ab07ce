"""The portal's access rule: own patient only, scopes for caregivers, revocation at once,
and the wall between portal and staff accounts both ways."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.audit.models import AuditEvent, Outcome
from pallio.core import clock
from pallio.portal.access import portal_access_get
from pallio.portal.models import PortalAccess, PortalScope
from pallio.portal.tests.factories import caregiver_account, patient_account

pytestmark = pytest.mark.django_db


def home_of(patient) -> str:
    return reverse("portal:patient_home", args=[patient.pk])


def test_the_patient_reaches_their_own_page_and_not_another_patients(world):
    client = login(Client(), patient_account(world.alice))
    response = client.get(home_of(world.alice))
    assert response.status_code == 200
    assert "Your care" in response.content.decode()
    assert client.get(home_of(world.bob)).status_code == 403
    denied = AuditEvent.objects.get(event="portal.denied")
    assert (denied.patient_id, denied.outcome, denied.role) == (
        world.bob.pk,
        Outcome.DENIED,
        "portal",
    )
    # The one patient: the portal's start goes straight to their page.
    assert client.get(reverse("portal:home"))["Location"] == home_of(world.alice)


def test_a_caregiver_reaches_only_the_scopes_granted(world):
    user = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    access = portal_access_get(user, world.alice.pk, PortalScope.DIARY)
    assert access.can(PortalScope.DIARY)
    with pytest.raises(PermissionDenied):
        portal_access_get(user, world.alice.pk, PortalScope.DOCUMENTS)
    assert login(Client(), user).get(home_of(world.alice)).status_code == 200


def test_revocation_and_suspension_take_effect_on_the_next_request(world):
    user = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    client = login(Client(), user)
    assert client.get(home_of(world.alice)).status_code == 200
    PortalAccess.objects.filter(user=user).update(revoked_at=clock.now())
    assert client.get(home_of(world.alice)).status_code == 403
    other = caregiver_account(world.alice, "dana.family", [PortalScope.DIARY])
    client = login(Client(), other)
    PortalAccess.objects.filter(user=other).update(
        suspended_at=clock.now(), suspended_reason="Asked by the patient"
    )
    assert client.get(home_of(world.alice)).status_code == 403


def test_a_portal_account_never_reaches_a_staff_page(world):
    client = login(Client(), patient_account(world.alice))
    assert client.get("/")["Location"] == reverse("portal:home")
    for url in (
        reverse("episodes:caseload"),
        reverse("patients:chart", args=[world.alice.pk]),
        reverse("referrals:queue"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Alice" not in response.content.decode()


def test_a_staff_session_never_reaches_the_portal(world):
    client = login(Client(), world.navigator)
    assert client.get(home_of(world.alice)).status_code == 403
    assert client.get(reverse("portal:home")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(world):
    response = Client().get(home_of(world.alice))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
