"""Coordination services: the directory searched by kind and area, orders moving only along
the allowed steps with their history, and the follow-up task made exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from tests.support.personas import add_to_team

from pallio.audit.models import AuditEvent
from pallio.careplans.models import Task
from pallio.coordination import selectors, services
from pallio.coordination.models import CoordinationOrder, OrderEvent
from pallio.coordination.services import AgencyInput
from pallio.coordination.tests.helpers import NOON, TODAY, directory, oxygen_order, step
from pallio.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies(world):
    with clock.frozen(NOON):
        return directory(world)


def names(rows):
    return [a.name for a in rows]


def test_directory_search_by_kind_area_and_name(world, agencies):
    user = world.coordinator
    assert names(selectors.agencies_search(user, kind="support_group")) == [
        "Boston Grief Group",
        "Cambridge Caregivers Circle",
    ]
    assert names(selectors.agencies_search(user, kind="support_group", area="cambridge")) == [
        "Cambridge Caregivers Circle"
    ]
    # A postal code matches exactly, never a part of another (0213 is not 02139).
    assert names(selectors.agencies_search(user, area="02139")) == [
        "Bay Oxygen",
        "Cambridge Caregivers Circle",
    ]
    assert names(selectors.agencies_search(user, area="0213")) == []
    assert names(selectors.agencies_search(user, name="oxy")) == ["Bay Oxygen"]
    # Inactive entries only when asked; another program's never.
    assert "Old Van Co" not in names(selectors.agencies_search(user, area="Cambridge"))
    assert "Old Van Co" in names(
        selectors.agencies_search(user, area="Cambridge", include_inactive=True)
    )
    assert "Hill Oxygen" not in names(selectors.agencies_search(user, include_inactive=True))


def test_directory_entries_are_checked_audited_and_kept_by_the_allowed(world, agencies):
    with pytest.raises(ValidationError) as exc:
        services.agency_create(
            actor=world.coordinator,
            data=AgencyInput(kind="oxygen_supplier", name="bay oxygen", email="not-an-address"),
        )
    assert set(exc.value.message_dict) == {"name", "email"}
    with pytest.raises(PermissionDenied, match="Only a care coordinator, nurse navigator"):
        services.agency_create(
            actor=world.physician, data=AgencyInput(kind="meals", name="Meals on Wheels")
        )
    agency = agencies["group"]
    services.agency_update(
        actor=world.social_worker,
        agency=agency,
        data=AgencyInput(kind="support_group", name=agency.name, areas="Cambridge, Arlington"),
        expected_version=agency.version,
    )
    assert names(selectors.agencies_search(world.coordinator, area="arlington")) == [agency.name]
    assert AuditEvent.objects.filter(event="directory.agency_update").count() == 1
    assert AuditEvent.objects.filter(event="directory.agency_create").count() == 6


def test_an_oxygen_order_is_followed_to_delivered_with_its_history(world, agencies):
    with clock.frozen(NOON):
        order = oxygen_order(world, agencies)
        assert order.status == "requested"
        assert order.confirm_by == TODAY + timedelta(days=2)
        step(world, order, "ordered")
        step(world, order, "done", on=TODAY)
    order.refresh_from_db()
    assert (order.status, order.ordered_on, order.done_on) == ("done", TODAY, TODAY)
    assert order.status_label == "Delivered"
    history = list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True))
    assert history == ["requested", "ordered", "done"]
    events = AuditEvent.objects.filter(patient_id=world.alice.pk, event__startswith="coordination")
    assert sorted(events.values_list("event", flat=True)) == [
        "coordination.done",
        "coordination.ordered",
        "coordination.request",
    ]


@pytest.mark.parametrize(
    ("path", "bad", "message"),
    [
        ([], "done", "only requested: record that it was ordered from Bay Oxygen"),
        (["ordered", "done"], "cancelled", "already delivered: it cannot be marked cancelled"),
        (["ordered", "done"], "ordered", "already delivered: it cannot be marked ordered"),
    ],
)
def test_a_bad_transition_is_refused_with_a_clear_message(world, agencies, path, bad, message):
    with clock.frozen(NOON):
        order = oxygen_order(world, agencies)
        for status in path:
            step(world, order, status)
        before = (order.status, order.version)
        with pytest.raises(ValidationError) as exc:
            step(world, order, bad, reason="Family changed their mind")
    assert message in " ".join(exc.value.messages)
    order.refresh_from_db()
    assert (order.status, order.version) == before


def test_declined_and_cancelled_need_the_reason_kept_in_the_history(world, agencies):
    with clock.frozen(NOON):
        order = oxygen_order(world, agencies)
        with pytest.raises(ValidationError) as exc:
            step(world, order, "declined")
        assert "Say why the order was declined." in exc.value.message_dict["reason"]
        step(world, order, "declined", reason="Not covered by the patient's insurance")
    event = OrderEvent.objects.get(order=order, to_status="declined")
    assert (event.reason, event.recorded_by) == (
        "Not covered by the patient's insurance",
        world.coordinator,
    )


def test_the_agency_must_provide_what_is_ordered(world, agencies):
    with clock.frozen(NOON), pytest.raises(ValidationError) as exc:
        services.order_create(
            actor=world.coordinator,
            patient=world.alice,
            kind="referral",
            item="support_group",
            agency=agencies["oxygen"],
            requested_on=TODAY,
        )
    assert "support group comes from a support group" in exc.value.message_dict["agency"][0]
    for agency, words in ((agencies["old_van"], "no longer used"), (agencies["hillside"], "")):
        with clock.frozen(NOON), pytest.raises(ValidationError) as exc:
            services.order_create(
                actor=world.coordinator,
                patient=world.alice,
                kind="transport",
                item="appointment_ride",
                agency=agency,
                requested_on=TODAY,
            )
        assert words in exc.value.message_dict["agency"][0]
    with clock.frozen(NOON), pytest.raises(ValidationError) as exc:
        services.order_create(
            actor=world.coordinator,
            patient=world.alice,
            kind="equipment",
            item="jetpack",
            agency=agencies["dme"],
            requested_on=TODAY + timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"item", "requested_on"}
    assert not CoordinationOrder.objects.exists()


def test_a_follow_up_task_is_made_exactly_once_for_the_care_coordinator(world, agencies):
    carla = add_to_team(world, "carla", "care_coordinator", "Carla", "Coordinator")
    with clock.frozen(NOON):
        late = oxygen_order(world, agencies)
        on_time = services.order_create(
            actor=carla,
            patient=world.alice,
            kind="referral",
            item="support_group",
            agency=agencies["group"],
            requested_on=TODAY,
        )
    # On the confirm-by day nothing is late yet.
    with clock.frozen(NOON + timedelta(days=2)):
        assert services.follow_ups_create(program=world.riverside) == []
    with clock.frozen(NOON + timedelta(days=3)):
        made = services.follow_ups_create(program=world.riverside)
        assert services.follow_ups_create(program=world.riverside) == []
        call_command("coordination", "sweep")
    assert len(made) == 1
    task = Task.objects.get(pk=made[0].pk)
    assert task.assigned_to == carla
    assert task.kind == "follow_up"
    assert task.title == "Follow up: Oxygen concentrator from Bay Oxygen"
    assert "has not confirmed it (delivered) by 12 Mar 2026" in task.detail
    assert Task.objects.filter(patient=world.alice, title__startswith="Follow up").count() == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.follow_up_task_id == task.pk and on_time.follow_up_task_id is None
    assert AuditEvent.objects.filter(event="coordination.follow_up").count() == 1
    # Delivered: the follow-up closes as done.
    with clock.frozen(NOON + timedelta(days=3)):
        step(world, late, "ordered", on=TODAY + timedelta(days=3))
        step(world, late, "done", on=TODAY + timedelta(days=3))
    task.refresh_from_db()
    assert task.status == "done"


def test_without_a_care_coordinator_on_the_team_the_task_goes_to_the_discipline(world, agencies):
    with clock.frozen(NOON):
        oxygen_order(world, agencies)
    with clock.frozen(NOON + timedelta(days=5)):
        (task,) = services.follow_ups_create(program=world.riverside)
    assert (task.assigned_to, task.discipline) == (None, "care_coordinator")


def test_the_worklist_puts_overdue_orders_first_and_only_reachable_patients(world, agencies):
    with clock.frozen(NOON):
        fresh = oxygen_order(world, agencies)
    with clock.frozen(NOON - timedelta(days=6)):
        old = services.order_create(
            actor=world.coordinator,
            patient=world.bob,
            kind="equipment",
            item="wheelchair",
            agency=agencies["dme"],
            requested_on=TODAY - timedelta(days=6),
        )
    with clock.frozen(NOON):
        page = selectors.worklist_for(world.coordinator, 1)
        rows = list(page.object_list)
        assert [o.pk for o in rows] == [old.pk, fresh.pk]
        assert [o.overdue for o in rows] == [True, False]
        # The navigator is on Alice's team, not Bob's.
        assert [o.pk for o in selectors.worklist_for(world.navigator, 1)] == [fresh.pk]
