"""Answers that may carry patient information are never stored by a browser or proxy, and no
page may use the camera, microphone or location (SECURITY.md 12)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.helpers import riverside_referral
from tests.support.personas import login

pytestmark = pytest.mark.django_db

STATIC_FILE = "/static/pallio/pallio.css"


def _assert_private(response) -> None:
    assert "no-store" in response["Cache-Control"], response["Cache-Control"]
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy, policy


def test_pages_are_not_stored(world, as_user):
    client = as_user(world.coordinator)
    for url in (
        reverse("referrals:queue"),
        reverse("patients:chart", kwargs={"patient_id": world.alice.pk}),
        reverse("acp:patient", kwargs={"patient_id": world.alice.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_private(response)


def test_public_and_sign_in_pages_are_not_stored():
    for url in (reverse("account_login"), reverse("referrals:provider", kwargs={"slug": "x"})):
        response = Client().get(url)
        assert response.status_code in (200, 404)
        _assert_private(response)


def test_pdf_and_fhir_exports_are_not_stored(world, as_user):
    client = as_user(world.navigator)
    pdf = client.get(reverse("acp:summary_pdf", kwargs={"patient_id": world.alice.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    _assert_private(pdf)
    fhir = client.get(reverse("acp:fhir", kwargs={"patient_id": world.alice.pk}))
    assert fhir.status_code == 200 and "json" in fhir["Content-Type"]
    _assert_private(fhir)


def test_json_api_answers_are_not_stored(world):
    from pallio.accounts.services import api_token_create

    _, secret = api_token_create(actor=world.coordinator, name="headers", days=1)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = client.get("/api/v1/referrals")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    _assert_private(response)
    refused = Client().get("/api/v1/referrals")
    assert refused.status_code == 401
    _assert_private(refused)


def test_uploaded_file_downloads_are_not_stored(world):
    referral = riverside_referral(world)
    item = referral.attachments.get()
    client = login(Client(), world.coordinator)
    response = client.get(
        reverse(
            "referrals:attachment", kwargs={"referral_id": referral.pk, "attachment_id": item.pk}
        )
    )
    assert response.status_code == 200
    _assert_private(response)


def test_static_files_may_be_cached():
    response = Client().get(STATIC_FILE)
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
