"""Every main page renders for the person it is for."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_main_pages_render(world, as_user, client):
    client = as_user(world.coordinator)
    for url in (reverse("referrals:queue"), reverse("referrals:phone"),
                reverse("episodes:caseload"), reverse("patients:search") + "?q=Anders",
                reverse("patients:chart", kwargs={"patient_id": world.alice.pk})):
        response = client.get(url)
        assert response.status_code == 200, url
    client = as_user(world.privacy)
    assert client.get(reverse("audit:log")).status_code == 200
    assert client.get(reverse("audit:log") + "?format=csv").status_code == 200


@pytest.mark.django_db
def test_public_forms_render(world, client):
    for name in ("referrals:provider", "referrals:self"):
        assert client.get(reverse(name, kwargs={"slug": "riverside"})).status_code == 200
