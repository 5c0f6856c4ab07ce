"""The rules of advance care planning, at the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from pallio.acp import services
from pallio.acp.models import (
    CodeStatus,
    GoalsOfCareConversation,
    HealthcareAgent,
    PortableOrder,
    TreatmentPreference,
)
from pallio.acp.selectors import acp_records_of, current_code_status
from pallio.acp.tests.factories import (
    conversation_input,
    full_plan,
    today_of,
)
from pallio.audit.models import AuditEvent
from pallio.core.models import ConflictError

pytestmark = pytest.mark.django_db


def test_signed_conversation_is_immutable_and_addenda_keep_the_original(world):
    conversation = services.conversation_create(
        actor=world.physician, patient=world.alice, data=conversation_input(), sign=True
    )
    with pytest.raises(ValidationError, match="signed"):
        services.conversation_update(
            actor=world.physician,
            conversation=conversation,
            expected_version=conversation.version,
            data=conversation_input(goals="Changed after signing"),
        )
    services.conversation_addendum_add(
        actor=world.navigator,
        conversation=conversation,
        reason="Son called afterwards",
        text="Also wants the dog at home.",
    )
    conversation.refresh_from_db()
    assert conversation.goals == "To be at home with family and keep gardening."
    assert conversation.addenda.get().author == world.navigator
    assert AuditEvent.objects.filter(event="acp.conversation.addendum").count() == 1


def test_later_conversations_add_to_the_history_and_show_the_goals_changing(world):
    for focus, days in (("life-prolonging", 60), ("balanced", 30), ("comfort-focused", 2)):
        services.conversation_create(
            actor=world.physician,
            patient=world.alice,
            data=conversation_input(focus, days),
            sign=True,
        )
    records = acp_records_of(world.alice)
    assert [s["conversation"].goal_focus for s in records["goal_timeline"]] == [
        "life-prolonging",
        "balanced",
        "comfort-focused",
    ]
    assert [s["changed"] for s in records["goal_timeline"]] == [False, True, True]
    assert GoalsOfCareConversation.objects.filter(patient=world.alice).count() == 3


def test_a_stale_draft_edit_is_a_conflict(world):
    draft = services.conversation_create(
        actor=world.physician, patient=world.alice, data=conversation_input()
    )
    seen = draft.version
    services.conversation_update(
        actor=world.navigator,
        conversation=GoalsOfCareConversation.objects.get(pk=draft.pk),
        expected_version=seen,
        data=conversation_input(goals="First edit"),
    )
    with pytest.raises(ConflictError):
        services.conversation_update(
            actor=world.physician,
            conversation=GoalsOfCareConversation.objects.get(pk=draft.pk),
            expected_version=seen,
            data=conversation_input(goals="Second edit"),
        )
    assert GoalsOfCareConversation.objects.get(pk=draft.pk).goals == "First edit"


def test_a_conversation_needs_participants_and_goals(world):
    with pytest.raises(ValidationError) as caught:
        services.conversation_create(
            actor=world.physician,
            patient=world.alice,
            data=conversation_input(participants=[], goals=" "),
        )
    assert {"participants", "goals"} <= set(caught.value.message_dict)
    assert not GoalsOfCareConversation.objects.exists()


def test_code_status_change_with_a_stale_version_is_refused_and_changes_nothing(world):
    today = today_of(world.alice)
    first = services.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="full_code",
        effective_date=today,
        expected_current_id=None,
    )
    # Two clinicians open the page seeing `first`; one records DNR.
    services.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr",
        effective_date=today,
        expected_current_id=first.pk,
    )
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.code_status_change(
            actor=world.director,
            patient=world.alice,
            status="comfort_focused",
            effective_date=today,
            expected_current_id=first.pk,
        )
    assert CodeStatus.objects.filter(patient=world.alice).count() == 2
    current = current_code_status(world.alice)
    assert current is not None and current.status == "dnr"


def test_code_status_entered_in_error_falls_back_to_the_previous_one(world):
    today = today_of(world.alice)
    first = services.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="full_code",
        effective_date=today,
        expected_current_id=None,
    )
    wrong = services.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr",
        effective_date=today,
        expected_current_id=first.pk,
    )
    services.acp_record_mark_entered_in_error(
        actor=world.physician, patient=world.alice, record=wrong, reason="Wrong patient"
    )
    assert current_code_status(world.alice) == first
    wrong.refresh_from_db()
    assert wrong.entered_in_error_by == world.physician
    assert wrong.entered_in_error_reason == "Wrong patient"


def test_a_future_code_status_date_is_refused(world):
    with pytest.raises(ValidationError):
        services.code_status_change(
            actor=world.physician,
            patient=world.alice,
            status="dnr",
            effective_date=today_of(world.alice) + timedelta(days=3),
            expected_current_id=None,
        )
    assert not CodeStatus.objects.exists()


def test_a_new_portable_order_supersedes_the_last_and_both_stay(world):
    plan = full_plan(world)
    data = services.PortableOrderInput(
        form_type="POLST",
        signer_name="Dr Dana Director",
        signer_role="physician",
        effective_date=today_of(world.alice),
        cpr="do_not_attempt",
        medical_interventions="comfort",
        artificial_nutrition="none",
    )
    second = services.portable_order_record(
        actor=world.director,
        patient=world.alice,
        data=data,
        expected_current_id=plan["order"].pk,
    )
    first = PortableOrder.objects.get(pk=plan["order"].pk)
    assert first.superseded_by == second
    assert second.version_number == 2
    assert PortableOrder.objects.filter(patient=world.alice).count() == 2
    with pytest.raises(ConflictError):
        services.portable_order_record(
            actor=world.director, patient=world.alice, data=data, expected_current_id=first.pk
        )


def test_one_agent_per_rank_and_documents_of_other_patients_are_refused(world):
    plan = full_plan(world)
    with pytest.raises(ValidationError, match="already has a healthcare agent"):
        services.agent_add(
            actor=world.physician,
            patient=world.alice,
            data=services.AgentInput(name="Other", relationship="FRND", phone="617-555-0155"),
        )
    with pytest.raises(ValidationError, match="does not belong"):
        services.agent_add(
            actor=world.coordinator,
            patient=world.bob,
            data=services.AgentInput(name="Bea Brown", relationship="SPS", phone="617-555-0166"),
            naming_document=plan["document"],
        )
    assert HealthcareAgent.objects.count() == 1


def test_treatment_preference_changes_keep_their_history(world):
    today = today_of(world.alice)
    first = services.treatment_preference_set(
        actor=world.physician,
        patient=world.alice,
        category="hospitalization",
        choice="wants",
        stated_on=today,
        expected_version=None,
    )
    services.treatment_preference_set(
        actor=world.physician,
        patient=world.alice,
        category="hospitalization",
        choice="does_not_want",
        stated_on=today,
        expected_version=first.version,
    )
    with pytest.raises(ConflictError):
        services.treatment_preference_set(
            actor=world.navigator,
            patient=world.alice,
            category="hospitalization",
            choice="trial",
            stated_on=today,
            expected_version=first.version,
        )
    preference = TreatmentPreference.objects.get(patient=world.alice)
    assert preference.choice == "does_not_want"
    assert list(preference.history.order_by("history_date").values_list("choice", flat=True)) == [
        "wants",
        "does_not_want",
    ]


def test_code_status_is_recorded_only_by_prescribing_or_nursing_disciplines(world):
    from datetime import date

    from pallio.acp.models import CodeStatus
    from pallio.acp.services import code_status_change
    from pallio.core.privileges import PrivilegeDenied

    with pytest.raises(PrivilegeDenied, match="Ask a physician, nurse practitioner, nurse or"):
        code_status_change(
            actor=world.social_worker,
            patient=world.alice,
            status="dnr",
            effective_date=date(2026, 1, 5),
            expected_current_id=None,
        )
    assert not CodeStatus.objects.filter(patient=world.alice).exists()
