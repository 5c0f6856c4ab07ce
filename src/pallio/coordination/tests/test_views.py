"""Coordination pages and API: the directory searched and kept by those allowed, a patient's
orders added and moved on (a bad step refused in plain words), the chart card, the worklist,
and another program's patient a 404. Every read of a patient's orders and every write is
audited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.accounts.services import api_token_create
from pallio.accounts.tests.admins import riverside_admin
from pallio.audit.models import AuditEvent
from pallio.coordination.models import Agency, CoordinationOrder
from pallio.coordination.tests.helpers import NOON, TODAY, directory, oxygen_order
from pallio.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies(world):
    with clock.frozen(NOON):
        return directory(world)


def orders_url(world: Any) -> str:
    return reverse("coordination:patient", kwargs={"patient_id": world.alice.pk})


def test_the_directory_is_searched_by_kind_and_area(world, agencies):
    client = login(Client(), world.navigator)
    page = client.get(
        reverse("coordination:directory"), {"kind": "support_group", "area": "02139"}
    ).content.decode()
    assert "Cambridge Caregivers Circle" in page
    assert "Boston Grief Group" not in page and "Bay Oxygen" not in page
    assert "1 agency found" in page
    bad = client.get(reverse("coordination:directory"), {"kind": "plumber"})
    assert bad.status_code == 400


def test_who_may_add_an_agency(world, agencies):
    data = {"kind": "meals", "name": "Meals on Wheels", "areas": "Cambridge", "active": "on"}
    url = reverse("coordination:agency_add")
    refused = login(Client(), world.physician).post(url, data)
    assert refused.status_code == 403
    assert "Only a care coordinator, nurse navigator" in refused.content.decode()
    assert login(Client(), world.privacy).get(url).status_code == 403
    admin = riverside_admin(world)
    assert login(Client(), admin).post(url, data).status_code == 302
    agency = Agency.objects.get(name="Meals on Wheels")
    assert agency.area_list == ["Cambridge"] and agency.program == world.riverside
    assert AuditEvent.objects.filter(event="directory.agency_create", user_id=admin.pk).exists()
    # The social worker changes it; a stale edit is a conflict.
    edit = reverse("coordination:agency_edit", kwargs={"agency_id": agency.pk})
    sam = login(Client(), world.social_worker)
    assert sam.post(edit, {**data, "version": 1, "phone": "617-555-0190"}).status_code == 302
    stale = sam.post(edit, {**data, "version": 1, "phone": "617-555-0191"})
    assert stale.status_code == 409
    # Another program's agency is not found.
    hill = login(Client(), world.hillside_coordinator)
    assert hill.get(edit).status_code == 404


def test_an_order_is_added_and_moved_on_from_the_patients_page(world, agencies):
    client = login(Client(), world.navigator)
    with clock.frozen(NOON):
        response = client.post(
            reverse("coordination:order_add", kwargs={"patient_id": world.alice.pk}),
            {
                "item": "equipment:oxygen_concentrator",
                "agency": str(agencies["oxygen"].pk),
                "requested_on": TODAY.isoformat(),
                "needed_by": (TODAY + timedelta(days=1)).isoformat(),
            },
        )
        assert response.status_code == 302
        order = CoordinationOrder.objects.get()
        prefix = f"o{order.pk.hex[:8]}"
        status_url = reverse(
            "coordination:order_status",
            kwargs={"patient_id": world.alice.pk, "order_id": order.pk},
        )
        refused = client.post(
            status_url,
            {
                f"{prefix}-version": order.version,
                f"{prefix}-status": "done",
                f"{prefix}-occurred_on": TODAY.isoformat(),
            },
        )
        assert refused.status_code == 400
        assert (
            "This order is only requested: record that it was ordered from Bay Oxygen before "
            "marking it delivered." in refused.content.decode()
        )
        for status in ("ordered", "done"):
            order.refresh_from_db()
            moved = client.post(
                status_url,
                {
                    f"{prefix}-version": order.version,
                    f"{prefix}-status": status,
                    f"{prefix}-occurred_on": TODAY.isoformat(),
                },
            )
            assert moved.status_code == 302, moved.content.decode()[:2000]
        page = client.get(orders_url(world)).content.decode()
    order.refresh_from_db()
    assert order.status == "done"
    assert "Oxygen concentrator" in page and "Delivered" in page
    assert AuditEvent.objects.filter(event="coordination.view", patient_id=world.alice.pk).exists()


def test_the_agency_must_match_what_is_ordered_on_the_page(world, agencies):
    client = login(Client(), world.navigator)
    with clock.frozen(NOON):
        response = client.post(
            reverse("coordination:order_add", kwargs={"patient_id": world.alice.pk}),
            {
                "item": "referral:support_group",
                "agency": str(agencies["oxygen"].pk),
                "requested_on": TODAY.isoformat(),
            },
        )
    assert response.status_code == 400
    assert (
        "Bay Oxygen is an oxygen supplier: support group comes from a support group."
        in response.content.decode()
    )
    assert not CoordinationOrder.objects.exists()


def test_other_programs_and_other_teams_get_404_and_anonymous_signs_in(world, agencies):
    with clock.frozen(NOON):
        order = oxygen_order(world, agencies)
    url = orders_url(world)
    assert login(Client(), world.hillside_coordinator).get(url).status_code == 404
    assert login(Client(), world.social_worker).get(url).status_code == 404  # not on the team
    assert Client().get(url).status_code == 302
    status_url = reverse(
        "coordination:order_status", kwargs={"patient_id": world.bob.pk, "order_id": order.pk}
    )
    # Bob's page does not hold Alice's order.
    assert login(Client(), world.coordinator).post(status_url, {}).status_code == 404


def test_the_chart_card_and_the_worklist(world, agencies):
    with clock.frozen(NOON - timedelta(days=5)):
        oxygen_order(world, agencies, on=TODAY - timedelta(days=5))
    client = login(Client(), world.navigator)
    with clock.frozen(NOON):
        chart = client.get(reverse("patients:chart", kwargs={"patient_id": world.alice.pk}))
        worklist = client.get(reverse("coordination:worklist")).content.decode()
    card = chart.content.decode()
    assert 'data-testid="chart-coordination"' in card
    assert "Oxygen concentrator · Bay Oxygen · requested" in card
    assert "not confirmed in time" in card
    assert reverse("coordination:worklist") in card  # the menu link
    assert "Alice Anders" in worklist and "overdue" in worklist
    assert AuditEvent.objects.filter(event="coordination.worklist").exists()


# --- the API ---------------------------------------------------------------------------------


def token_client(user: Any) -> Client:
    _, secret = api_token_create(actor=user, name="tests", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_api_searches_orders_and_refuses_a_bad_step(world, agencies):
    client = token_client(world.navigator)
    found = client.get(
        "/api/v1/coordination/directory", {"kind": "support_group", "area": "Cambridge"}
    )
    assert [a["name"] for a in found.json()] == ["Cambridge Caregivers Circle"]
    # A search no database could run is refused in words (PostgreSQL text holds no NUL).
    for field in ("kind", "area", "name"):
        refused = client.get("/api/v1/coordination/directory", {field: "Cam\x00bridge"})
        assert refused.status_code == 422, field
        assert "null character" in refused.content.decode(), field
    base = f"/api/v1/coordination/patients/{world.alice.pk}/orders"
    with clock.frozen(NOON):
        made = post(
            client,
            base,
            {
                "kind": "referral",
                "item": "support_group",
                "agency_id": str(agencies["group"].pk),
                "requested_on": TODAY.isoformat(),
            },
        )
        assert made.status_code == 201, made.content
        order = made.json()
        assert order["status_label"] == "Requested"
        bad = post(
            client,
            f"{base}/{order['id']}/status",
            {"status": "done", "occurred_on": TODAY.isoformat(), "version": order["version"]},
        )
        assert bad.status_code == 422
        assert "only requested" in json.dumps(bad.json())
        ok = post(
            client,
            f"{base}/{order['id']}/status",
            {"status": "ordered", "occurred_on": TODAY.isoformat(), "version": order["version"]},
        )
        assert ok.status_code == 200 and ok.json()["status"] == "ordered"
        listed = client.get(base).json()
    assert [h["status"] for h in listed[0]["history"]] == ["requested", "ordered"]
    hill = token_client(world.hillside_nurse)
    assert hill.get(base).status_code == 404
    assert (
        post(
            hill,
            base,
            {
                "kind": "referral",
                "item": "support_group",
                "agency_id": str(agencies["group"].pk),
                "requested_on": TODAY.isoformat(),
            },
        ).status_code
        == 404
    )
