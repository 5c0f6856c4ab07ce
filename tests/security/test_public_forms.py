"""The public referral forms: rate limits per program and per form, answered with 429 and
Retry-After; and no email to an address nobody has checked (SECURITY.md 10)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pallio.referrals.models import Letter, Referral
from tests.security.helpers import body_of
from tests.security.test_bad_input import form_data

pytestmark = pytest.mark.django_db


def send(slug: str, door: str, address: str, **overrides):
    url = reverse(f"referrals:{door}", kwargs={"slug": slug})
    return Client(REMOTE_ADDR=address).post(url, form_data(door, **overrides))


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    body = body_of(response)
    assert "Too many referrals sent through this form" in body
    assert "this referral was not saved" in body
    assert "minute" in body


def test_one_address_is_limited_per_form_and_per_program(world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 2
    address = "198.51.100.7"
    for n in range(2):
        assert send("riverside", "provider", address, given_name=f"Try{n}").status_code == 302
    before = Referral.objects.count()
    assert_rate_limited(send("riverside", "provider", address, given_name="Third"))
    assert Referral.objects.count() == before
    # The same address may still use the program's other form, and another program's form.
    assert send("riverside", "self", address).status_code == 302
    assert send("hillside", "provider", address).status_code == 302
    # Another address is not affected.
    assert send("riverside", "provider", "198.51.100.8").status_code == 302


def test_all_senders_together_are_limited_per_form_and_per_program(world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 1_000
    world.riverside.settings = {**world.riverside.settings, "public_referrals_per_form_per_hour": 3}
    world.riverside.save(update_fields=["settings"])
    for n in range(3):
        assert send("riverside", "provider", f"203.0.113.{n + 1}").status_code == 302
    assert_rate_limited(send("riverside", "provider", "203.0.113.50"))
    # A flood at one form does not close the program's other form, nor another program.
    assert send("riverside", "self", "203.0.113.51").status_code == 302
    assert send("hillside", "provider", "203.0.113.52").status_code == 302


def test_the_public_form_does_not_mail_an_unknown_address(world):
    response = send("riverside", "provider", "192.0.2.1", referrer_email="stranger@example.net")
    assert response.status_code == 302
    referral = Referral.objects.get(referrer_email="stranger@example.net")
    assert not Letter.objects.filter(referral=referral).exists()
