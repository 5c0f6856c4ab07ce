"""Cadence in the browser: the nurse navigator sets Alice's physician visits to weekly, finds
her on the list of visits overdue, enters her oncology infusion at the cancer center, and
follows the same-day suggestion to a booking form already filled in, then books it. At
1280 px and 390 px, axe-clean."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.test_scheduling import both_widths, local

from pallio.core import clock
from pallio.visits.cadence_models import VisitCadence
from pallio.visits.models import ScheduledVisit
from pallio.visits.tests.cadence_helpers import cancer_center

pytestmark = pytest.mark.browser


def test_set_a_cadence_see_it_overdue_enter_an_infusion_and_book_the_same_day_visit(
    world: Any, browsing: Any, sign_in: Any
) -> None:
    cancer_center(world)
    nina = sign_in(world.navigator)
    nina.goto(f"/visits/patients/{world.alice.pk}/")
    expect(nina.get_by_role("heading", name="Visit cadence")).to_be_visible()
    nina.get_by_role("link", name="Set the visit cadence").click()
    nina.get_by_label(re.compile(r"^Discipline")).select_option(label="Palliative physician")
    nina.get_by_label(re.compile(r"^How often")).select_option(label="Weekly")
    both_widths(browsing, nina, "cadence-form")
    nina.get_by_role("button", name="Save the cadence").click()
    expect(nina.get_by_text("Visit cadence saved.")).to_be_visible()
    expect(nina.get_by_test_id("cadence")).to_contain_text("Palliative physician: weekly")

    # As if the cadence had been set nine days ago, with no visit since: overdue.
    today = clock.today_in(world.riverside.timezone)
    VisitCadence.objects.update(since=today - timedelta(days=9))
    nina.goto("/visits/overdue/")
    expect(nina.get_by_test_id("overdue-patient")).to_contain_text("Alice Anders")
    expect(nina.get_by_test_id("overdue-patient")).to_contain_text("Palliative physician (weekly)")

    # Her infusion at the cancer center in two days.
    nina.goto(f"/visits/patients/{world.alice.pk}/")
    nina.get_by_role("link", name="Add an appointment elsewhere").click()
    nina.get_by_label(re.compile(r"^Kind of appointment")).select_option(label="Oncology infusion")
    nina.get_by_label(re.compile(r"^Site")).select_option(
        label="Cancer Center Infusion Suite (cancer center)"
    )
    nina.get_by_label(re.compile(r"^Starts")).fill(local(world, 2, 11))
    nina.get_by_label(re.compile(r"^Ends")).fill(local(world, 2, 10))
    nina.get_by_role("button", name="Add the appointment").click()
    expect(nina.get_by_text("The appointment must end after it starts.")).to_be_visible()
    both_widths(browsing, nina, "appointment-form-error")
    nina.get_by_label(re.compile(r"^Ends")).fill(local(world, 2, 15))
    nina.get_by_label(re.compile(r"^What it is")).fill("Cycle 3")
    nina.get_by_role("button", name="Add the appointment").click()
    expect(nina.get_by_text("Appointment added")).to_be_visible()
    expect(nina.get_by_test_id("appointments")).to_contain_text("Oncology infusion")
    expect(nina.get_by_test_id("suggestion")).to_contain_text("same day as the oncology infusion")
    both_widths(browsing, nina, "patient-schedule")

    nina.goto("/visits/overdue/")
    expect(nina.get_by_test_id("suggestion")).to_be_visible()
    both_widths(browsing, nina, "overdue-list")
    nina.get_by_role("link", name=re.compile(r"^Book the same-day visit")).click()
    expect(nina.get_by_label(re.compile(r"^Starts"))).to_have_value(local(world, 2, 11, 30))
    expect(nina.get_by_label(re.compile(r"^Note for the team"))).to_have_value(
        re.compile("Same day as the oncology infusion")
    )
    both_widths(browsing, nina, "book-prefilled")
    nina.get_by_role("button", name="Book the visit").click()
    expect(nina.get_by_text("Visit booked.")).to_be_visible()
    visit = ScheduledVisit.objects.get()
    assert visit.setting == "cancer_center" and visit.clinician == world.physician
    nina.goto("/visits/overdue/")
    expect(nina.get_by_text("No visits overdue.")).to_be_visible()
