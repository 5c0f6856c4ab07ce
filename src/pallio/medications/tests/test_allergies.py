"""The allergy list: recorded by those who keep the medication list, "no known allergies" as an
answer rather than a blank, taken off the list only with a reason, and shown wherever a
clinician decides about a drug: the medication page, every chart page's header and the 24/7
call screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from tests.support.personas import add_to_team

from pallio.audit.models import AuditEvent
from pallio.core import clock
from pallio.core.models import ConflictError
from pallio.medications.allergies import (
    allergies_for,
    allergy_end,
    allergy_none_known_record,
    allergy_record,
)
from pallio.medications.models import Allergy

pytestmark = pytest.mark.django_db


def list_url(patient):
    return reverse("medications:list", kwargs={"patient_id": patient.pk})


def url(name, patient):
    return reverse(f"medications:{name}", kwargs={"patient_id": patient.pk})


def penicillin(world):
    return allergy_record(
        actor=world.physician,
        patient=world.alice,
        substance="Penicillin",
        category="medication",
        criticality="high",
        reaction="Hives",
    )


# --- services ---------------------------------------------------------------------------------


def test_an_allergy_is_recorded_audited_and_listed_high_risk_first(world):
    allergy_record(
        actor=world.navigator, patient=world.alice, substance="Codeine", reaction="Nausea"
    )
    penicillin(world)
    listed = allergies_for(world.alice)
    assert [a.substance for a in listed.allergies] == ["Penicillin", "Codeine"]
    assert listed.high_risk[0].substance == "Penicillin" and listed.none_known is None
    assert AuditEvent.objects.filter(event="allergy.record", patient_id=world.alice.pk).count() == 2


def test_the_same_substance_twice_is_refused_and_the_first_kept(world):
    penicillin(world)
    with pytest.raises(ValidationError) as caught:
        allergy_record(actor=world.navigator, patient=world.alice, substance=" penicillin ")
    assert "already on the allergy list" in str(caught.value)
    assert Allergy.objects.filter(patient=world.alice).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"substance": "  "}, "substance", "Say what the patient is allergic to."),
        ({"substance": "x" * 201}, "substance", "Keep this under 200 characters."),
        ({"substance": "Aspirin\x00"}, "substance", "Keep this under 200 characters."),
        ({"substance": "Aspirin", "category": "poison"}, "category", "Choose a category"),
        ({"substance": "Aspirin", "criticality": "extreme"}, "criticality", "Choose a risk"),
        ({"substance": "Aspirin", "reaction": "y" * 301}, "reaction", "Keep this under 300"),
    ],
)
def test_bad_input_is_refused_with_a_plain_message_and_nothing_written(
    world, fields, field, message
):
    with pytest.raises(ValidationError) as caught:
        allergy_record(actor=world.physician, patient=world.alice, **fields)
    assert any(message in m for m in caught.value.message_dict[field])
    assert not Allergy.objects.exists()


def test_no_known_allergies_is_an_answer_that_an_allergy_replaces(world):
    assert not allergies_for(world.alice).recorded
    statement = allergy_none_known_record(actor=world.navigator, patient=world.alice)
    assert allergies_for(world.alice).none_known == statement
    # Recording it twice keeps the one statement.
    assert allergy_none_known_record(actor=world.navigator, patient=world.alice) == statement
    penicillin(world)
    statement.refresh_from_db()
    assert statement.status == Allergy.Status.RESOLVED
    assert "Penicillin" in statement.status_reason
    listed = allergies_for(world.alice)
    assert listed.none_known is None and [a.substance for a in listed.allergies] == ["Penicillin"]
    with pytest.raises(ValidationError, match="Allergies are on the list"):
        allergy_none_known_record(actor=world.navigator, patient=world.alice)


def test_an_allergy_comes_off_the_list_only_with_a_reason_and_stays_in_the_record(world):
    allergy = penicillin(world)
    with pytest.raises(ValidationError) as caught:
        allergy_end(
            actor=world.physician,
            allergy=allergy,
            expected_version=allergy.version,
            status=Allergy.Status.ENTERED_IN_ERROR,
            reason=" ",
        )
    assert caught.value.message_dict["reason"] == ["Say why."]
    allergy_end(
        actor=world.physician,
        allergy=allergy,
        expected_version=allergy.version,
        status=Allergy.Status.ENTERED_IN_ERROR,
        reason="Recorded for the wrong patient.",
    )
    allergy.refresh_from_db()
    assert allergy.status == Allergy.Status.ENTERED_IN_ERROR
    assert not allergies_for(world.alice).recorded
    assert AuditEvent.objects.filter(event="allergy.void", patient_id=world.alice.pk).exists()
    with pytest.raises(ValidationError, match="no longer active"):
        allergy_end(
            actor=world.physician,
            allergy=allergy,
            expected_version=allergy.version,
            status=Allergy.Status.RESOLVED,
            reason="Again",
        )


def test_a_stale_change_is_a_conflict(world):
    allergy = penicillin(world)
    with pytest.raises(ConflictError):
        allergy_end(
            actor=world.physician,
            allergy=allergy,
            expected_version=allergy.version + 5,
            status=Allergy.Status.RESOLVED,
            reason="Tolerated amoxicillin in hospital.",
        )
    allergy.refresh_from_db()
    assert allergy.status == Allergy.Status.ACTIVE


def test_only_those_who_keep_the_medication_list_record_allergies(world):
    with pytest.raises(PermissionDenied):
        allergy_record(actor=world.social_worker, patient=world.alice, substance="Latex")
    with pytest.raises(PermissionDenied):
        allergy_none_known_record(actor=world.social_worker, patient=world.alice)
    assert not Allergy.objects.exists()


def test_the_record_of_a_patient_who_died_is_closed(world):
    world.alice.deceased_at = clock.now() - timedelta(days=1)
    world.alice.save(update_fields=["deceased_at"])
    with pytest.raises(ValidationError, match="has died"):
        allergy_record(actor=world.physician, patient=world.alice, substance="Latex")
    assert not Allergy.objects.exists()


# --- pages ------------------------------------------------------------------------------------


def test_record_an_allergy_from_the_medication_page(world, as_user):
    phil = as_user(world.physician)
    page = phil.get(list_url(world.alice)).content.decode()
    assert "Allergies have not been recorded yet" in page
    response = phil.post(
        url("allergy_add", world.alice),
        {
            "allergy-substance": "Penicillin",
            "allergy-category": "medication",
            "allergy-criticality": "high",
            "allergy-reaction": "Hives",
        },
    )
    assert response.status_code == 302
    page = phil.get(list_url(world.alice)).content.decode()
    assert "Penicillin" in page and "high risk" in page and "Hives" in page
    chart = phil.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
    assert 'data-testid="allergies"' in chart.content.decode()
    assert "Penicillin" in chart.content.decode()


def test_a_bad_form_is_shown_again_with_the_message_and_nothing_saved(world, as_user):
    phil = as_user(world.physician)
    response = phil.post(
        url("allergy_add", world.alice),
        {"allergy-substance": "", "allergy-criticality": "extreme"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say what the patient is allergic to." in body
    assert "Nothing has been saved yet." in body
    assert not Allergy.objects.exists()


def test_no_known_allergies_and_taking_one_off_through_the_pages(world, as_user):
    phil = as_user(world.physician)
    assert phil.post(url("allergy_none_known", world.alice)).status_code == 302
    assert "No known allergies" in phil.get(list_url(world.alice)).content.decode()
    allergy = penicillin(world)
    response = phil.post(
        url("allergy_end", world.alice),
        {
            "end-allergy": str(allergy.pk),
            "end-version": allergy.version,
            "end-status": "resolved",
            "end-reason": "",
        },
    )
    assert response.status_code == 400 and "Say why." in response.content.decode()
    allergy.refresh_from_db()
    assert allergy.status == Allergy.Status.ACTIVE
    response = phil.post(
        url("allergy_end", world.alice),
        {
            "end-allergy": str(allergy.pk),
            "end-version": allergy.version,
            "end-status": "resolved",
            "end-reason": "Tolerated amoxicillin in hospital.",
        },
    )
    assert response.status_code == 302
    allergy.refresh_from_db()
    assert allergy.status == Allergy.Status.RESOLVED


def test_an_allergy_of_another_patient_or_program_is_not_found(world, as_user):
    allergy = penicillin(world)
    hope = as_user(world.hillside_nurse)
    response = hope.post(
        url("allergy_end", world.alice),
        {
            "end-allergy": str(allergy.pk),
            "end-version": allergy.version,
            "end-status": "resolved",
            "end-reason": "x",
        },
    )
    assert response.status_code == 404
    # Through a patient the nurse does reach, another patient's allergy is not found either.
    response = hope.post(
        url("allergy_end", world.hana),
        {
            "end-allergy": str(allergy.pk),
            "end-version": allergy.version,
            "end-status": "resolved",
            "end-reason": "x",
        },
    )
    assert response.status_code == 404
    allergy.refresh_from_db()
    assert allergy.status == Allergy.Status.ACTIVE


def test_the_social_worker_sees_the_list_without_the_controls(world, as_user):
    penicillin(world)
    sam = as_user(add_to_team(world, "sue", "social_worker", "Sue", "Social"))
    page = sam.get(list_url(world.alice)).content.decode()
    assert "Penicillin" in page and "Record an allergy" not in page
    response = sam.post(url("allergy_add", world.alice), {"allergy-substance": "Latex"})
    assert response.status_code == 403
    assert Allergy.objects.count() == 1


def test_the_call_screen_shows_the_allergies(world, as_user):
    penicillin(world)
    owen = as_user(world.oncall)
    page = owen.get(reverse("support:call_new"), {"patient": str(world.alice.pk)})
    body = page.content.decode()
    assert "Penicillin" in body and "high risk" in body
