"""Who may change a staff account, and what each change does."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pallio.accounts.models import ApiToken, User
from pallio.accounts.services import (
    api_token_authenticate,
    api_token_create,
    staff_change_discipline,
    staff_change_role,
    staff_deactivate,
    staff_set_training,
)
from pallio.accounts.tests.admins import hillside_admin, riverside_admin
from pallio.audit.events import EVENT_PHRASES
from pallio.audit.models import AuditEvent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["coordinator", "director", "oncall", "navigator", "physician", "privacy"]
)
def test_only_a_program_administrator_changes_staff(world, who):
    actor = getattr(world, who)
    target = world.social_worker
    for change in (
        lambda: staff_change_role(actor=actor, user=target, role="intake_coordinator"),
        lambda: staff_change_discipline(actor=actor, user=target, discipline="chaplain"),
        lambda: staff_set_training(
            actor=actor, user=target, training_level="resident", supervisor=world.physician
        ),
        lambda: staff_deactivate(actor=actor, user=target),
    ):
        with pytest.raises(PermissionDenied):
            change()
    target.refresh_from_db()
    assert (target.role, target.discipline, target.training_level, target.is_active) == (
        "clinician",
        "social_worker",
        "",
        True,
    )


@pytest.mark.django_db
def test_an_administrator_never_touches_another_programs_staff(world):
    hugo = hillside_admin(world)
    with pytest.raises(PermissionDenied):
        staff_deactivate(actor=hugo, user=world.navigator)
    with pytest.raises(PermissionDenied):
        staff_change_role(actor=hugo, user=world.navigator, role="medical_director")
    with pytest.raises(PermissionDenied):
        staff_change_discipline(actor=hugo, user=world.navigator, discipline="chaplain")
    world.navigator.refresh_from_db()
    assert world.navigator.is_active and world.navigator.role == "clinician"


@pytest.mark.django_db
def test_an_administrator_sets_role_discipline_and_trainee_status_on_the_record(world):
    ada = riverside_admin(world)
    sam = world.social_worker
    staff_change_role(actor=ada, user=sam, role="intake_coordinator")
    staff_change_discipline(actor=ada, user=sam, discipline="chaplain")
    staff_set_training(actor=ada, user=sam, training_level="fellow", supervisor=world.physician)
    sam.refresh_from_db()
    assert (sam.role, sam.discipline, sam.training_level, sam.supervisor) == (
        "intake_coordinator",
        "chaplain",
        "fellow",
        world.physician,
    )
    events = list(
        AuditEvent.objects.filter(object_id=str(sam.pk), username="ada").values_list(
            "event", flat=True
        )
    )
    assert set(events) == {"staff.role_change", "staff.discipline_change", "staff.training_change"}
    assert all(e in EVENT_PHRASES for e in events)


@pytest.mark.django_db
def test_a_trainee_needs_an_active_clinician_supervisor_of_the_program(world):
    ada = riverside_admin(world)
    sam = world.social_worker
    for supervisor in (None, world.hillside_nurse, world.privacy, sam):
        with pytest.raises(ValidationError):
            staff_set_training(actor=ada, user=sam, training_level="student", supervisor=supervisor)
    with pytest.raises(ValidationError):
        staff_set_training(actor=ada, user=sam, training_level="", supervisor=world.physician)
    with pytest.raises(ValidationError):
        staff_set_training(actor=ada, user=sam, training_level="intern", supervisor=None)
    sam.refresh_from_db()
    assert sam.training_level == "" and sam.supervisor is None


@pytest.mark.django_db
def test_unknown_role_or_discipline_is_refused(world):
    ada = riverside_admin(world)
    with pytest.raises(ValidationError):
        staff_change_role(actor=ada, user=world.navigator, role="superuser")
    with pytest.raises(ValidationError):
        staff_change_discipline(actor=ada, user=world.navigator, discipline="wizard")


@pytest.mark.django_db
def test_deactivation_ends_api_tokens_and_cannot_be_done_to_oneself(world):
    ada = riverside_admin(world)
    _, secret = api_token_create(actor=world.navigator, name="script")
    assert api_token_authenticate(secret) == world.navigator
    staff_deactivate(actor=ada, user=world.navigator)
    assert api_token_authenticate(secret) is None
    assert not ApiToken.objects.filter(user=world.navigator, revoked_at__isnull=True).exists()
    with pytest.raises(ValidationError):
        staff_deactivate(actor=ada, user=ada)
    assert User.objects.get(pk=ada.pk).is_active


@pytest.mark.django_db
def test_the_command_line_still_changes_roles(world):
    from django.core.management import call_command

    call_command("staff", "role", "sam", "medical_director")
    world.social_worker.refresh_from_db()
    assert world.social_worker.role == "medical_director"
