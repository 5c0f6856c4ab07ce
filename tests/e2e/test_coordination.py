"""Coordination of services in the browser: an oxygen concentrator ordered from the
directory and followed to delivered (a step out of order refused in plain words), and a
support group found in the directory by the town it serves and referred to, at desk and
phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pallio.coordination.models import CoordinationOrder
from pallio.coordination.tests.helpers import directory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def _orders_page(page, patient):
    page.goto(f"/patients/{patient.pk}/")
    card = page.get_by_test_id("chart-coordination")
    expect(card).to_contain_text("Nothing on order.")
    card.get_by_role("link", name="Equipment, services and referrals out").click()
    expect(
        page.get_by_role("heading", name="Equipment, services and referrals out")
    ).to_be_visible()


def _step(page, order, status):
    order.get_by_text("Update the status").click()
    order.get_by_label("What happened").select_option(label=status)
    order.get_by_role("button", name="Save status").click()


def test_an_oxygen_concentrator_followed_to_delivered(world, browsing, sign_in):
    directory(world)
    nina = sign_in(world.navigator)
    nina.set_viewport_size(DESK)
    _orders_page(nina, world.alice)
    nina.get_by_text("Order or refer").click()
    nina.get_by_label(re.compile("^What is ordered or referred to")).select_option(
        label="Oxygen concentrator"
    )
    nina.get_by_label(re.compile("^Agency or vendor")).select_option(
        label="Bay Oxygen (oxygen supplier)"
    )
    nina.get_by_label("Notes").fill("Two litres a minute at night; the son O'Neil lets them in.")
    nina.get_by_role("button", name="Request").click()
    expect(nina.get_by_text("Oxygen concentrator requested from Bay Oxygen.")).to_be_visible()
    order = nina.get_by_test_id("order")
    expect(order.get_by_test_id("order-status")).to_have_text("Requested")

    # Delivered before it was ordered: refused in plain words, nothing changes.
    _step(nina, order, "Delivered or started")
    expect(
        nina.get_by_text(
            "This order is only requested: record that it was ordered from Bay Oxygen before "
            "marking it delivered."
        )
    ).to_be_visible()
    browsing.shot(nina, "bad-step-1280")
    assert CoordinationOrder.objects.get().status == "requested"

    nina.goto(f"/coordination/patients/{world.alice.pk}/")
    order = nina.get_by_test_id("order")
    _step(nina, order, "Ordered")
    expect(nina.get_by_text("Oxygen concentrator: ordered is recorded.")).to_be_visible()
    _step(nina, nina.get_by_test_id("order"), "Delivered or started")
    expect(nina.get_by_text("Oxygen concentrator: delivered is recorded.")).to_be_visible()
    order = nina.get_by_test_id("order")
    expect(order.get_by_test_id("order-status")).to_have_text("Delivered")
    order.get_by_text("History").click()
    expect(order.get_by_test_id("order-history").locator("li")).to_have_count(3)
    browsing.shot(nina, "delivered-1280")
    browsing.axe_check(nina, "orders page")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "delivered-390")

    nina.goto(f"/patients/{world.alice.pk}/")
    expect(nina.get_by_test_id("chart-coordination")).to_contain_text(
        "Oxygen concentrator · Bay Oxygen · delivered"
    )
    assert CoordinationOrder.objects.get().status == "done"


def test_a_support_group_found_by_area_and_referred_to(world, browsing, sign_in):
    directory(world)
    nina = sign_in(world.navigator)
    nina.set_viewport_size(DESK)
    browsing.nav(nina, "Directory of agencies")
    nina.get_by_label("Kind").select_option(label="Support group")
    nina.get_by_label("Town or postal code served").fill("02139")
    nina.get_by_role("button", name="Search").click()
    expect(nina.get_by_test_id("directory-count")).to_have_text("1 agency found.")
    rows = nina.get_by_test_id("agency")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Cambridge Caregivers Circle")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "directory-390")
    browsing.axe_check(nina, "directory")

    _orders_page(nina, world.alice)
    nina.get_by_text("Order or refer").click()
    nina.get_by_label(re.compile("^What is ordered or referred to")).select_option(
        label="Support group"
    )
    nina.get_by_label(re.compile("^Agency or vendor")).select_option(
        label="Cambridge Caregivers Circle (support group)"
    )
    nina.get_by_role("button", name="Request").click()
    expect(
        nina.get_by_text("Support group requested from Cambridge Caregivers Circle.")
    ).to_be_visible()
    browsing.shot(nina, "referral-390")

    nina.set_viewport_size(DESK)
    browsing.nav(nina, "Open orders")
    row = nina.get_by_test_id("open-order")
    expect(row).to_contain_text("Alice Anders")
    expect(row).to_contain_text("Cambridge Caregivers Circle")
    browsing.shot(nina, "worklist-1280")
    browsing.axe_check(nina, "open orders")
    nina.set_viewport_size(PHONE)
    browsing.shot(nina, "worklist-390")
