"""The medication list page and the chart as a clinician sees them: MME totals kept apart and
said in plain words when incomplete, drugs for a pharmacist, and the confirm-a-high-dose step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pallio.medications.models import MedicationStatement
from pallio.medications.services import MedicationInput, medication_add

pytestmark = pytest.mark.django_db


def list_url(world):
    return reverse("medications:list", kwargs={"patient_id": world.alice.pk})


def add(world, **fields):
    return medication_add(
        actor=world.navigator, patient=world.alice, data=MedicationInput(**fields)
    )


def test_the_list_and_the_chart_say_why_the_totals_are_incomplete(world, as_user):
    add(world, catalog_key="morphine", dose_amount="10", doses_per_day="6", route="oral")
    add(world, catalog_key="morphine", dose_amount="2.5", doses_per_day="6", route="SC")
    add(
        world,
        catalog_key="oxycodone",
        dose_amount="5",
        doses_per_day="4",
        route="PO",
        as_needed=True,
    )
    add(world, free_text="Oxycodone/APAP 5/325", dose_amount="1", doses_per_day="4")
    add(world, catalog_key="buprenorphine", dose_amount="8", doses_per_day="1", route="SL")
    nina = as_user(world.navigator)
    chart = nina.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    for body in (nina.get(list_url(world)).content.decode(), chart.content.decode()):
        assert "Scheduled opioids: <strong>60 MME a day</strong>" in body
        assert "if every allowed dose is taken (the most per day): <strong>30 MME a day" in body
        assert "These totals are incomplete." in body
        assert (
            "Morphine, under the skin (subcutaneous): route not converted "
            "(CDC 2022 gives no factor for this route)" in body
        )
        assert "Oxycodone/APAP 5/325: opioid not on the medication list, so not converted" in body
        assert "Buprenorphine, under the tongue (sublingual): buprenorphine is not included" in body


def test_a_complete_total_says_nothing_is_missing(world, as_user):
    add(world, catalog_key="hydromorphone", dose_amount="2", doses_per_day="6", route="oral")
    body = as_user(world.navigator).get(list_url(world)).content.decode()
    assert "Scheduled opioids: <strong>60 MME a day</strong>" in body
    assert "<strong>0 MME a day</strong>" in body  # nothing as needed
    assert 'data-testid="mme-incomplete"' not in body


def test_an_unknown_drug_is_flagged_for_pharmacist_review_on_the_list(world, as_user):
    nina = as_user(world.navigator)
    assert nina.post(list_url(world), {"free_text": "Zzzumab 100 mg"}).status_code == 302
    body = nina.get(list_url(world)).content.decode()
    assert 'data-testid="pharmacist-review"' in body
    assert "For pharmacist review: Zzzumab 100 mg (not recognised by Pallio)." in body
    assert "Not on an opioid." in body


def test_a_high_dose_asks_for_a_confirmed_reason_and_keeps_it(world, as_user):
    nina = as_user(world.navigator)
    form = {
        "catalog_key": "morphine",
        "dose_amount": "250",
        "doses_per_day": "6",
        "route": "oral",
    }
    response = nina.post(list_url(world), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="confirm-high-dose"' in body
    assert "250 mg in one dose is above the usual maximum of 200 mg" in body
    assert "1500 mg a day is above the usual maximum of 1200 mg" in body
    assert MedicationStatement.objects.count() == 0
    ticked_only = nina.post(list_url(world), form | {"confirm_high_dose": "on"})
    assert ticked_only.status_code == 400
    assert "Give the reason for the high dose." in ticked_only.content.decode()
    reason_only = nina.post(list_url(world), form | {"confirm_high_dose_reason": "Agreed"})
    assert reason_only.status_code == 400
    assert "Tick the box to confirm the dose is intended." in reason_only.content.decode()
    assert MedicationStatement.objects.count() == 0
    confirmed = form | {
        "confirm_high_dose": "on",
        "confirm_high_dose_reason": "Terminal phase, pain escalating; agreed with Dr Park",
    }
    assert nina.post(list_url(world), confirmed).status_code == 302
    assert MedicationStatement.objects.get().high_dose_reason.startswith("Terminal phase")
    body = nina.get(list_url(world)).content.decode()
    assert "High dose confirmed: Terminal phase, pain escalating; agreed with Dr Park" in body


def test_an_impossible_dose_is_refused_with_no_way_to_confirm_it(world, as_user):
    nina = as_user(world.navigator)
    response = nina.post(
        list_url(world),
        {
            "catalog_key": "hydromorphone",
            "dose_amount": "2000",
            "doses_per_day": "1",
            "route": "oral",
            "confirm_high_dose": "on",
            "confirm_high_dose_reason": "Agreed",
        },
    )
    assert response.status_code == 400
    assert "above the highest dose Pallio records (600 mg). Check the dose and its unit." in (
        response.content.decode()
    )
    assert MedicationStatement.objects.count() == 0


def test_the_route_is_chosen_from_words_not_codes(world, as_user):
    body = as_user(world.navigator).get(list_url(world)).content.decode()
    assert '<option value="subcutaneous">Under the skin (subcutaneous)</option>' in body
    assert '<option value="buprenorphine">Buprenorphine (opioid)</option>' in body
