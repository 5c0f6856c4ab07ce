"""The demo's portal logins: the patient's, a caregiver's with some scopes, a removed one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pallio.accounts.demo import DEMO_PASSWORD
from pallio.accounts.models import User
from pallio.portal.access_demo import portal_demo_logins, portal_demo_populate

pytestmark = pytest.mark.django_db


def test_the_demo_portal_logins_sign_in_and_reach_what_they_should(world):
    portal_demo_populate(program=world.riverside, patient=world.alice)
    assert [r.username for r in portal_demo_logins()] == [
        "portal-patient",
        "portal-caregiver",
        "portal-revoked",
    ]
    home = reverse("portal:patient_home", args=[world.alice.pk])
    for username, status in (
        ("portal-patient", 200),
        ("portal-caregiver", 200),
        ("portal-revoked", 403),
    ):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD) and user.kind == "portal"
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(home).status_code == status, username


def test_the_demo_spanish_family_sees_the_portal_in_spanish(world):
    from pallio.portal.access_demo import portal_demo_populate_spanish

    portal_demo_populate_spanish(program=world.riverside, patient=world.bob)
    world.bob.refresh_from_db()
    assert world.bob.language == "Spanish"
    home = reverse("portal:patient_home", args=[world.bob.pk])
    for username in ("portal-paciente", "portal-familia"):
        user = User.objects.get(username=username)
        assert user.language == "es" and user.kind == "portal"
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        response = client.get(home)
        assert response.status_code == 200, username
        assert '<html lang="es">' in response.content.decode(), username
    assert {r.username for r in portal_demo_logins()} == {"portal-paciente", "portal-familia"}
