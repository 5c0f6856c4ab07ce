"""The referral's clinical content reaches the care team, and the referrer's medications
reach the medication list only one by one, as a clinician confirms each."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from pallio.audit.models import AuditEvent
from pallio.medications.models import MedicationStatement
from pallio.medications.services import MedicationInput
from pallio.referrals import services
from pallio.referrals.models import MedicationReconciliation
from pallio.referrals.selectors import (
    enrollment_attachment_get_for,
    enrollment_referrals_for,
    referral_medication_get_for,
)
from pallio.referrals.tests.factories import MEDICATIONS, SUMMARY, enrolled_referral, referral_input

pytestmark = pytest.mark.django_db


def test_the_referrer_medications_are_kept_as_written_in_their_order(world):
    referral, _ = services.referral_create(
        actor=None,
        program=world.riverside,
        source="provider",
        data=referral_input(medications=["", "  Morphine  5 mg  PO q4h ", "Senna", "   "]),
    )
    assert [m.text for m in referral.medications.all()] == ["Morphine 5 mg PO q4h", "Senna"]


def test_too_long_or_too_many_medication_lines_are_refused(world):
    with pytest.raises(ValidationError) as too_long:
        services.referral_create(
            actor=None,
            program=world.riverside,
            source="provider",
            data=referral_input(medications=["x" * 201]),
        )
    assert "medications" in too_long.value.message_dict
    with pytest.raises(ValidationError):
        services.referral_create(
            actor=None,
            program=world.riverside,
            source="provider",
            data=referral_input(medications=[f"drug {i}" for i in range(31)]),
        )


def test_accepting_a_referral_puts_nothing_on_the_medication_list(world):
    referral = enrolled_referral(world)
    assert not MedicationStatement.objects.filter(patient=referral.patient).exists()


def test_the_care_team_reads_the_enrollment_referral_and_the_read_is_audited(world):
    referral = enrolled_referral(world)
    rows = enrollment_referrals_for(world.navigator, referral.patient)
    assert len(rows) == 1
    assert rows[0].referral.clinical_summary == SUMMARY
    assert [m.text for m in rows[0].medications] == MEDICATIONS
    assert len(rows[0].to_reconcile) == 3
    assert [a.original_name for a in rows[0].attachments] == ["clinic letter.pdf"]
    event = AuditEvent.objects.get(event="referral.chart_read")
    assert event.user_id == world.navigator.pk
    assert event.patient_id == referral.patient.pk
    assert event.detail == {"referrals": [referral.reference]}


def test_off_team_and_other_program_staff_get_404(world):
    referral = enrolled_referral(world)
    item = referral.medications.first()
    attachment = referral.attachments.get()
    for outsider in (world.social_worker, world.hillside_nurse, world.hillside_coordinator):
        with pytest.raises(Http404):
            enrollment_referrals_for(outsider, referral.patient)
        with pytest.raises(Http404):
            referral_medication_get_for(outsider, item.pk)
        with pytest.raises(Http404):
            enrollment_attachment_get_for(outsider, referral.pk, attachment.pk)
    assert not AuditEvent.objects.filter(event="referral.chart_read").exists()


def test_a_referral_not_yet_accepted_is_not_on_the_chart(world):
    referral = enrolled_referral(world, accept=False)
    assert enrollment_referrals_for(world.coordinator, referral.patient) == []
    with pytest.raises(Http404):
        referral_medication_get_for(world.coordinator, referral.medications.first().pk)
    with pytest.raises(Http404):
        enrollment_attachment_get_for(world.coordinator, referral.pk, referral.attachments.get().pk)


def test_adding_a_listed_medication_records_the_confirmed_dose_and_the_decision(world):
    referral = enrolled_referral(world)
    item = referral_medication_get_for(world.navigator, referral.medications.first().pk)
    decision = services.referral_medication_add_to_list(
        actor=world.navigator,
        item=item,
        data=MedicationInput(
            catalog_key="oxycodone",
            dose_amount="5",
            doses_per_day="6",
            as_needed=True,
            route="oral",
        ),
    )
    statement = MedicationStatement.objects.get(patient=referral.patient)
    assert (statement.catalog_key, statement.dose_amount, statement.route) == (
        "oxycodone",
        Decimal("5"),
        "oral",
    )
    assert decision.decision == "added"
    assert decision.medication == statement
    assert decision.decided_by == world.navigator
    assert AuditEvent.objects.filter(event="referral.medication.added").count() == 1
    assert AuditEvent.objects.filter(event="medication.add").count() == 1
    rows = enrollment_referrals_for(world.navigator, referral.patient)
    assert [m.text for m in rows[0].to_reconcile] == MEDICATIONS[1:]


def test_a_listed_medication_is_reconciled_once(world):
    referral = enrolled_referral(world)
    item = referral_medication_get_for(world.physician, referral.medications.first().pk)
    services.referral_medication_decline(actor=world.physician, item=item, reason="Stopped")
    with pytest.raises(ValidationError, match="already reconciled"):
        services.referral_medication_add_to_list(
            actor=world.physician, item=item, data=MedicationInput(catalog_key="oxycodone")
        )
    assert not MedicationStatement.objects.filter(patient=referral.patient).exists()
    assert MedicationReconciliation.objects.count() == 1


def test_a_medication_the_service_refuses_records_no_decision(world):
    referral = enrolled_referral(world)
    item = referral_medication_get_for(world.physician, referral.medications.first().pk)
    with pytest.raises(ValidationError):
        services.referral_medication_add_to_list(
            actor=world.physician, item=item, data=MedicationInput(dose_amount="-1")
        )
    assert not MedicationReconciliation.objects.exists()
    assert not MedicationStatement.objects.exists()


def test_skipping_needs_a_reason(world):
    referral = enrolled_referral(world)
    item = referral_medication_get_for(world.physician, referral.medications.last().pk)
    with pytest.raises(ValidationError) as missing:
        services.referral_medication_decline(actor=world.physician, item=item, reason="   ")
    assert "reason" in missing.value.message_dict
    decision = services.referral_medication_decline(
        actor=world.physician, item=item, reason="Finished the course last month"
    )
    assert (decision.decision, decision.reason, decision.medication) == (
        "declined",
        "Finished the course last month",
        None,
    )


def test_only_someone_who_may_see_the_patient_and_record_medications_reconciles(world):
    referral = enrolled_referral(world)
    item = referral.medications.first()
    for actor in (world.social_worker, world.privacy, world.hillside_nurse):
        with pytest.raises(PermissionDenied):
            services.referral_medication_decline(actor=actor, item=item, reason="No")
    assert not MedicationReconciliation.objects.exists()


def test_the_api_takes_the_medications_as_written_and_returns_them(world):
    import json

    from pallio.referrals.tests.test_api import API, post, referral_body, token_client

    client = token_client(world.coordinator)
    lines = ["Morphine 5 mg PO q4h", "Senna at night"]
    response = post(client, f"{API}/referrals", referral_body(medications=lines))
    assert response.status_code == 201, response.content
    assert response.json()["medications"] == lines
    too_long = post(client, f"{API}/referrals", referral_body(medications=["x" * 201]))
    assert too_long.status_code in (400, 422)
    assert (
        json.loads(client.get(f"{API}/referrals/{response.json()['id']}").content)["medications"]
        == lines
    )
