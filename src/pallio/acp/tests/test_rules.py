"""The consistency rules between code status, treatment preferences and portable orders, each
at its boundary, on records written through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pallio.acp import services
from pallio.acp.selectors import acp_records_of
from pallio.acp.tests.factories import today_of

pytestmark = pytest.mark.django_db

WANTS_CPR = "dnr-but-wants-cpr-or-ventilation"
ORDER_ATTEMPTS = "order-attempts-cpr-without-full-code"
ORDER_NEWER = "order-newer-than-code-status-disagrees"


def failing(patient: Any) -> set[str]:
    return {rule.id for rule in acp_records_of(patient)["inconsistencies"]}


def code_status(world: Any, status: str, days_ago: int = 0) -> None:
    patient = world.alice
    current = services.current_code_status_of(patient)
    services.code_status_change(
        actor=world.physician,
        patient=patient,
        status=status,
        effective_date=today_of(patient) - timedelta(days=days_ago),
        expected_current_id=current.pk if current else None,
    )


def preference(world: Any, category: str, choice: str) -> None:
    patient = world.alice
    existing = patient.treatment_preferences.filter(category=category).first()
    services.treatment_preference_set(
        actor=world.physician,
        patient=patient,
        category=category,
        choice=choice,
        stated_on=today_of(patient),
        expected_version=existing.version if existing else None,
    )


def order(world: Any, cpr: str, days_ago: int = 0, interventions: str = "selective") -> None:
    patient = world.alice
    current = services.current_portable_order_of(patient)
    services.portable_order_record(
        actor=world.physician,
        patient=patient,
        data=services.PortableOrderInput(
            form_type="POLST",
            signer_name="Dr Phil Physician",
            signer_role="physician",
            effective_date=today_of(patient) - timedelta(days=days_ago),
            cpr=cpr,
            medical_interventions=interventions,
            artificial_nutrition="trial",
        ),
        expected_current_id=current.pk if current else None,
    )


def test_dnr_with_a_wish_for_cpr_is_flagged_and_a_refusal_is_not(world):
    code_status(world, "dnr")
    preference(world, "resuscitation", "does_not_want")
    assert WANTS_CPR not in failing(world.alice)
    preference(world, "resuscitation", "wants")
    assert WANTS_CPR in failing(world.alice)


def test_full_code_with_a_wish_for_cpr_is_not_flagged(world):
    code_status(world, "full_code")
    preference(world, "resuscitation", "wants")
    assert WANTS_CPR not in failing(world.alice)


def test_dnr_dni_with_a_wish_for_ventilation_is_flagged_but_dnr_alone_is_not(world):
    preference(world, "ventilation", "wants")
    code_status(world, "dnr")
    # DNR alone still allows intubation.
    assert WANTS_CPR not in failing(world.alice)
    code_status(world, "dnr_dni")
    assert WANTS_CPR in failing(world.alice)
    preference(world, "ventilation", "trial")
    assert WANTS_CPR not in failing(world.alice)


def test_order_attempting_cpr_with_no_code_status_is_flagged(world):
    order(world, "attempt")
    assert ORDER_ATTEMPTS in failing(world.alice)
    code_status(world, "full_code")
    assert ORDER_ATTEMPTS not in failing(world.alice)


def test_order_attempting_cpr_against_dnr_is_flagged_and_a_dnr_order_is_not(world):
    code_status(world, "dnr")
    order(world, "do_not_attempt")
    assert failing(world.alice) & {ORDER_ATTEMPTS, ORDER_NEWER} == set()
    order(world, "attempt")
    assert ORDER_ATTEMPTS in failing(world.alice)


def test_only_the_current_order_counts(world):
    code_status(world, "dnr")
    order(world, "attempt", days_ago=10)
    assert ORDER_ATTEMPTS in failing(world.alice)
    # The new version supersedes the one that attempted CPR.
    order(world, "do_not_attempt")
    assert ORDER_ATTEMPTS not in failing(world.alice)


def test_an_order_signed_after_the_code_status_that_disagrees_is_flagged(world):
    code_status(world, "full_code", days_ago=5)
    order(world, "do_not_attempt", days_ago=4)
    assert ORDER_NEWER in failing(world.alice)


def test_an_order_signed_on_or_before_the_code_status_is_not_flagged_as_newer(world):
    order(world, "do_not_attempt", days_ago=5)
    code_status(world, "full_code", days_ago=5)
    assert ORDER_NEWER not in failing(world.alice)
    code_status(world, "full_code", days_ago=0)
    assert ORDER_NEWER not in failing(world.alice)


def test_a_newer_order_that_agrees_is_not_flagged(world):
    code_status(world, "dnr", days_ago=5)
    order(world, "do_not_attempt", days_ago=1)
    assert ORDER_NEWER not in failing(world.alice)


def test_a_newer_full_treatment_order_disagrees_with_dnr_dni(world):
    code_status(world, "dnr_dni", days_ago=5)
    order(world, "do_not_attempt", days_ago=1, interventions="full")
    assert ORDER_NEWER in failing(world.alice)
    assert ORDER_ATTEMPTS not in failing(world.alice)


def test_the_review_list_names_the_new_rules(world, as_user):
    from django.urls import reverse

    code_status(world, "dnr")
    preference(world, "resuscitation", "wants")
    response = as_user(world.director).get(reverse("acp:worklists") + "?list=review")
    assert "Code status refuses resuscitation or intubation" in response.content.decode()
