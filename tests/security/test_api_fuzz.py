"""No server error anywhere in the JSON API (SECURITY.md 26): schemathesis over its schema.

Every operation of /api/v1/openapi.json gets valid and invalid requests (path, query, headers
and body), half of them about records that exist, sent with the medical director's API token
(a role every endpoint admits). A short, seeded run; bench/fuzz_api.py runs the long one.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from pallio.accounts.services import api_token_create
from pallio.support.tests.helpers import a_call
from tests.security import api_fuzz
from tests.security.helpers import riverside_referral
from tests.support.personas import login

SCHEMA = api_fuzz.load_schema()
OPERATIONS = api_fuzz.operations(SCHEMA)
EXAMPLES_PER_OPERATION = 40


def test_the_fuzz_reaches_every_operation_of_the_api():
    labels = set(OPERATIONS)
    assert {"GET /api/v1/referrals", "POST /api/v1/referrals", "GET /api/v1/patients"} <= labels
    assert len(labels) >= 15, labels


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_request_makes_the_api_fail(label: str, world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 1_000_000
    operation = OPERATIONS[label]
    _, secret = api_token_create(actor=world.director, name="fuzz", days=30)
    referral = riverside_referral(world)
    known = {
        "referral_id": str(referral.pk),
        "patient_id": str(world.alice.pk),
        "call_id": str(a_call(world.oncall, world.alice).pk),
    }

    with api_fuzz.in_process_app() as app:

        @seed(20261130)
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=api_fuzz.case_strategy(operation, known))
        def fuzz(case) -> None:
            response = api_fuzz.send(case, app, secret)
            case.validate_response(response, checks=[not_a_server_error])

        fuzz()


# --- server errors the fuzz found, each pinned -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("version", [2_147_483_647, 2, 10**12])
def test_a_made_up_version_is_a_conflict_not_a_server_error(world, version):
    # The largest version the schema allows was once incremented in the UPDATE itself, which
    # overflows PostgreSQL's integer: a 500 instead of the 409 of a stale version.
    _, secret = api_token_create(actor=world.director, name="fuzz", days=30)
    referral = riverside_referral(world)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = client.post(
        f"/api/v1/referrals/{referral.pk}/decline",
        json.dumps({"reason": "deceased", "version": version}),
        content_type="application/json",
    )
    assert response.status_code in (409, 422), response.content
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("new", 1)
    page = login(Client(), world.coordinator).post(
        f"/referrals/{referral.pk}/hold/",
        {"version": version, "information_requested": "Labs?"},
    )
    assert page.status_code in (400, 409), page.status_code
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("new", 1)
