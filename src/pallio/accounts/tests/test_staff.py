from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from pallio.accounts.models import User
from pallio.accounts.services import staff_change_role, staff_create


@pytest.mark.django_db
def test_short_or_common_passwords_are_refused(world):
    for password in ("short", "password1234"):
        with pytest.raises(ValidationError):
            staff_create(
                actor=None,
                program=world.riverside,
                username="new",
                first_name="N",
                last_name="N",
                role="clinician",
                discipline="chaplain",
                password=password,
            )
    assert not User.objects.filter(username="new").exists()


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_session_at_once(world, as_user):
    client = as_user(world.navigator)
    chart = reverse("patients:chart", kwargs={"patient_id": world.alice.pk})
    assert client.get(chart).status_code == 200
    call_command("staff", "deactivate", "nina")
    response = client.get(chart)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_a_role_change_ends_sessions_and_narrows_access(world, as_user):
    client = as_user(world.coordinator)
    assert client.get(reverse("referrals:queue")).status_code == 200
    staff_change_role(actor=None, user=world.coordinator, role="clinician")
    assert client.get(reverse("referrals:queue")).status_code == 302
    client = as_user(User.objects.get(username="cora"))
    assert client.get(reverse("referrals:queue")).status_code == 403
