"""The staff pages and the invitation link, as their users meet them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.accounts.models import Invitation, SecondFactorReset, User
from pallio.accounts.tests.admins import hillside_admin, riverside_admin
from pallio.core import clock
from pallio.programs.models import Program

PASSWORD = "a long enough pass phrase"


@pytest.fixture
def ada(world):
    return riverside_admin(world)


def invite_nora(client: Client) -> str:
    response = client.post(
        reverse("staff:invite"),
        {
            "first_name": "Nora",
            "last_name": "Nurse",
            "email": "nora@example.org",
            "role": "clinician",
            "discipline": "nurse",
            "training_level": "",
            "supervisor": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    found = re.search(r"https?://[^/]+(/invitation/[^/\s]+/)", str(mail.outbox[-1].body))
    assert found
    return found.group(1)


def accept_form(username="nora", password=PASSWORD):
    return {
        "first_name": "Nora",
        "last_name": "Nurse",
        "username": username,
        "password1": password,
        "password2": password,
    }


@pytest.mark.django_db
def test_the_staff_page_says_role_discipline_trainee_and_second_factor_in_words(world, ada):
    TOTP.activate(world.navigator, generate_totp_secret())
    world.social_worker.training_level = "fellow"
    world.social_worker.supervisor = world.physician
    world.social_worker.save()
    page = login(Client(), ada).get(reverse("staff:list")).content.decode()
    for words in (
        "Nurse navigator",
        "Intake / care coordinator",
        "Fellow, supervised by Phil Physician",
        "Set up",
        "Not set up",
        "Privacy officer",
    ):
        assert words in page
    for key in ("nurse_navigator", "intake_coordinator", "privacy_officer"):
        assert f">{key}<" not in page
    assert "Hope" not in page  # Hillside's staff


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "director", "navigator", "privacy"])
def test_the_staff_pages_refuse_everyone_but_the_administrator(world, who):
    client = login(Client(), getattr(world, who))
    for url in (
        reverse("staff:list"),
        reverse("staff:invite"),
        reverse("staff:program_new"),
        reverse("staff:detail", kwargs={"staff_id": world.navigator.uuid}),
    ):
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_another_programs_staff_member_is_not_found(world):
    client = login(Client(), hillside_admin(world))
    detail = reverse("staff:detail", kwargs={"staff_id": world.navigator.uuid})
    assert client.get(detail).status_code == 404
    deactivate = reverse("staff:deactivate", kwargs={"staff_id": world.navigator.uuid})
    assert client.post(deactivate).status_code == 404
    world.navigator.refresh_from_db()
    assert world.navigator.is_active


@pytest.mark.django_db
def test_an_administrator_changes_a_role_and_deactivates(world, ada):
    client = login(Client(), ada)
    detail = reverse("staff:detail", kwargs={"staff_id": world.social_worker.uuid})
    response = client.post(
        detail,
        {
            "role": "clinician",
            "discipline": "chaplain",
            "training_level": "student",
            "supervisor": str(world.physician.uuid),
        },
    )
    assert response.status_code == 302
    world.social_worker.refresh_from_db()
    assert world.social_worker.discipline == "chaplain"
    assert world.social_worker.supervisor == world.physician
    # A trainee without a supervisor: a clear message, nothing saved.
    response = client.post(
        detail,
        {"role": "medical_director", "discipline": "chaplain", "training_level": "resident"},
    )
    assert response.status_code == 400
    assert "Name the supervisor" in response.content.decode()
    world.social_worker.refresh_from_db()
    assert world.social_worker.role == "clinician"
    sam = login(Client(), world.social_worker)
    assert (
        client.post(
            reverse("staff:deactivate", kwargs={"staff_id": world.social_worker.uuid})
        ).status_code
        == 302
    )
    assert not User.objects.get(pk=world.social_worker.pk).is_active
    assert sam.get("/caseload/").status_code == 302


@pytest.mark.django_db
def test_the_invitation_link_makes_the_account_and_leads_to_the_second_factor(world, ada):
    path = invite_nora(login(Client(), ada))
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200 and "Join Riverside Palliative Care" in page.content.decode()
    taken = visitor.post(path, accept_form(username="nina"))
    assert taken.status_code == 400 and "That username is taken" in taken.content.decode()
    weak = visitor.post(path, accept_form(password="password1234"))
    assert weak.status_code == 400 and "too common" in weak.content.decode()
    assert Invitation.objects.get().used_at is None
    done = visitor.post(path, accept_form())
    assert done.status_code == 302 and done["Location"] == reverse("mfa_activate_totp")
    setup = visitor.get(done["Location"])
    assert setup.status_code == 200  # no second password prompt
    # Before a factor is set up, no other page opens.
    assert visitor.get("/caseload/")["Location"] == reverse("mfa_activate_totp")
    again = Client().get(path)
    assert again.status_code == 410 and "used already" in again.content.decode()


@pytest.mark.django_db
def test_an_expired_or_unknown_link_gets_a_clear_page_and_changes_nothing(world, ada):
    path = invite_nora(login(Client(), ada))
    with clock.frozen(clock.now() + timedelta(days=8)):
        expired = Client().post(path, accept_form())
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    unknown = Client().post("/invitation/nothing-here/", accept_form())
    assert unknown.status_code == 404 and "not recognised" in unknown.content.decode()
    assert not User.objects.filter(username="nora").exists()


@pytest.mark.django_db
def test_the_invitation_page_is_rate_limited(world, settings):
    settings.PALLIO_INVITATION_RATE_LIMIT_PER_HOUR = 3
    client = Client()
    statuses = [client.get(f"/invitation/guess-{n}/").status_code for n in range(5)]
    assert statuses[:3] == [404, 404, 404] and statuses[3:] == [429, 429]


@pytest.mark.django_db
def test_a_second_factor_reset_waits_on_the_staff_page_until_another_admin_approves(world, ada):
    abe = riverside_admin(world, "abe", "Abe")
    TOTP.activate(world.navigator, generate_totp_secret())
    url = reverse("staff:second_factor", kwargs={"staff_id": world.navigator.uuid})
    first = login(Client(), ada)
    first.post(url, {"step": "request", "reason": "Lost her phone"})
    assert "Lost her phone" in first.get(reverse("staff:list")).content.decode()
    first.post(url, {"step": "approve"})
    assert SecondFactorReset.objects.get().pending
    login(Client(), abe).post(url, {"step": "approve"})
    assert not SecondFactorReset.objects.get().pending
    assert not world.navigator.authenticator_set.exists()


@pytest.mark.django_db
def test_a_program_with_an_unknown_time_zone_is_refused_with_a_clear_message(world, ada):
    client = login(Client(), ada)
    form = {
        "name": "Lakeside",
        "slug": "lakeside",
        "timezone": "Mars/Olympus_Mons",
        "admin_first_name": "Lee",
        "admin_last_name": "Lake",
        "admin_email": "lee@example.org",
    }
    refused = client.post(reverse("staff:program_new"), form)
    assert refused.status_code == 400
    assert "There is no time zone called" in refused.content.decode()
    assert not Program.objects.filter(slug="lakeside").exists() and not mail.outbox
    form["timezone"] = "America/Denver"
    assert client.post(reverse("staff:program_new"), form).status_code == 302
    assert Program.objects.get(slug="lakeside").timezone == "America/Denver"
    assert mail.outbox[-1].to == ["lee@example.org"]
