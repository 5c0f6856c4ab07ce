"""Every main page renders for the person it is for."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_main_pages_render(world, as_user, client):
    client = as_user(world.coordinator)
    for url in (
        reverse("referrals:queue"),
        reverse("referrals:phone"),
        reverse("episodes:caseload"),
        reverse("patients:search") + "?q=Anders",
        reverse("patients:chart", kwargs={"patient_id": world.alice.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    client = as_user(world.privacy)
    assert client.get(reverse("audit:log")).status_code == 200
    assert client.get(reverse("audit:log") + "?format=csv").status_code == 200


@pytest.mark.django_db
def test_public_forms_render(world, client):
    for name in ("referrals:provider", "referrals:self"):
        assert client.get(reverse(name, kwargs={"slug": "riverside"})).status_code == 200


@pytest.mark.django_db
def test_pages_show_times_in_the_programs_zone(world, as_user):
    from datetime import UTC, date, datetime

    from pallio.core import clock
    from pallio.core.codes import ICD10CM
    from pallio.referrals import services

    with clock.frozen(datetime(2026, 1, 15, 2, 5, tzinfo=UTC)):
        referral, _ = services.referral_create(
            actor=None,
            program=world.riverside,
            source="phone",
            data=services.ReferralInput(
                given_name="Tess",
                family_name="Zone",
                birth_date=date(1950, 5, 5),
                diagnosis_system=ICD10CM,
                diagnosis_code="G20",
            ),
        )
    page = (
        as_user(world.coordinator)
        .get(reverse("referrals:detail", kwargs={"referral_id": referral.pk}))
        .content.decode()
    )
    # 02:05 UTC is 21:05 the evening before in New York (EST).
    assert "14 Jan 2026, 21:05" in page


@pytest.mark.django_db
def test_suggested_lead_is_the_nurse_navigator(world, as_user):
    from datetime import date

    from pallio.core.codes import ICD10CM
    from pallio.referrals import services

    referral, _ = services.referral_create(
        actor=None,
        program=world.riverside,
        source="phone",
        data=services.ReferralInput(
            given_name="Lee",
            family_name="Lead",
            birth_date=date(1950, 5, 5),
            diagnosis_system=ICD10CM,
            diagnosis_code="G20",
        ),
    )
    response = as_user(world.coordinator).get(
        reverse("referrals:detail", kwargs={"referral_id": referral.pk})
    )
    lead = response.context["accept_form"].initial["lead"]
    team = response.context["accept_form"].initial["team"]
    assert lead == world.navigator
    assert world.physician in team and world.director not in team


def test_each_referral_of_the_queue_links_to_its_page(world, as_user):
    from pallio.referrals import services
    from pallio.referrals.tests.factories import referral_input

    referral, _ = services.referral_create(
        actor=None, program=world.riverside, source="provider", data=referral_input()
    )
    html = as_user(world.coordinator).get(reverse("referrals:queue")).content.decode()
    detail = reverse("referrals:detail", kwargs={"referral_id": referral.pk})
    assert f'<a href="{detail}">{referral.reference}</a>' in html
