"""Clinician conveniences in the browser: 0-10 items tapped on a scale (by pointer and by
keyboard), the caseload's code status, alerts, phase and next task, the accept form's team
picker grouped by discipline with a filter, and the trend chart's dates and severe series."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pallio.assessments.models import SymptomReport
from pallio.core import clock

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _instruments_and_rules(world: Any) -> None:
    """Each browser test ends with a flush, which empties what the migrations loaded."""
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()


def scale(page: Any, label: str) -> Any:
    return page.get_by_role("group", name=re.compile(rf"^{re.escape(label)}\b"))


@pytest.mark.parametrize("width", [390, 1280])
def test_esas_items_are_answered_by_tapping_and_by_keyboard(world, browsing, sign_in, width):
    nina = sign_in(world.navigator)
    nina.set_viewport_size({"width": width, "height": 900})
    nina.goto(f"/assessments/patients/{world.alice.pk}/report/")
    pain = scale(nina, "Pain")
    expect(pain.get_by_role("radio")).to_have_count(11)
    expect(nina.locator("input[type=radio]:checked")).to_have_count(0)
    # Every number is a tap target of at least 44 by 44 px, and the page does not scroll sideways.
    for box in (pain.locator("label.scale-option").nth(n).bounding_box() for n in (0, 10)):
        assert box is not None and box["width"] >= 44 and box["height"] >= 44
    assert nina.evaluate("() => document.documentElement.scrollWidth") <= width

    # By pointer: tap the number.
    pain.locator("label.scale-option").get_by_text("8", exact=True).click()
    expect(pain.get_by_role("radio", name="8", exact=True)).to_be_checked()
    scale(nina, "Tiredness").locator("label.scale-option").get_by_text("5", exact=True).click()
    # A mistaken tap can be taken back: the item is unanswered again.
    scale(nina, "Drowsiness").locator("label.scale-option").get_by_text("1", exact=True).click()
    scale(nina, "Drowsiness").get_by_role("button", name=re.compile(r"^Clear")).click()
    expect(scale(nina, "Drowsiness").locator("input:checked")).to_have_count(0)

    # By keyboard: Tab into the scale, Space picks 0, the arrow keys move along it.
    scale(nina, "Nausea").get_by_role("radio", name="0", exact=True).focus()
    nina.keyboard.press("Space")
    for _ in range(3):
        nina.keyboard.press("ArrowRight")
    expect(scale(nina, "Nausea").get_by_role("radio", name="3", exact=True)).to_be_checked()
    nina.keyboard.press("ArrowLeft")
    expect(scale(nina, "Nausea").get_by_role("radio", name="2", exact=True)).to_be_checked()

    nina.get_by_label("Phase of care at this contact").select_option(label="Stable")
    browsing.shot(nina, f"scale-form-{width}")
    browsing.axe_check(nina, f"symptom report form at {width}")
    nina.get_by_role("button", name="Save report").click()
    expect(nina.get_by_text(re.compile(r"saved in part"))).to_be_visible()
    report = SymptomReport.objects.get(patient=world.alice)
    assert report.answers["pain"] == 8
    assert report.answers["tiredness"] == 5
    assert report.answers["nausea"] == 2
    assert "drowsiness" not in report.answers


def test_caseload_shows_code_status_phase_alerts_and_next_task_in_words(world, browsing, sign_in):
    from pallio.acp.services import code_status_change
    from pallio.assessments.services import phase_record

    code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr",
        effective_date=clock.today_in("America/New_York"),
        expected_current_id=None,
    )
    phase_record(actor=world.navigator, patient=world.alice, phase="unstable", contact="call")
    nina = sign_in(world.navigator)
    browsing.nav(nina, "Caseload")
    row = nina.get_by_test_id("caseload-row").filter(has_text="Anders")
    expect(row.get_by_test_id("caseload-code-status")).to_have_text("DNR")
    expect(row.get_by_test_id("caseload-phase")).to_have_text("Unstable")
    expect(row.get_by_test_id("caseload-alerts")).to_have_text("None open")
    expect(row.get_by_test_id("caseload-next")).to_contain_text("Task due")
    browsing.shot(nina, "caseload-1280")
    browsing.axe_check(nina, "caseload")
    # On a phone the table scrolls inside its own box, never the page.
    nina.set_viewport_size({"width": 390, "height": 844})
    assert nina.evaluate("() => document.documentElement.scrollWidth") <= 390
    browsing.shot(nina, "caseload-390")


def test_team_picker_groups_by_discipline_filters_and_lists_no_administrator(
    world, browsing, sign_in
):
    from tests.support.personas import make_staff
    from tests.test_query_counts import add_referrals

    from pallio.accounts.models import Role
    from pallio.referrals.models import Referral

    make_staff(world.riverside, "ada", Role.PROGRAM_ADMIN, "physician", "Ada", "Admin")
    add_referrals(world.riverside, 1)
    referral = Referral.objects.get(program=world.riverside)
    cora = sign_in(world.coordinator)
    cora.goto(f"/referrals/{referral.pk}/")
    accept = cora.locator("section", has=cora.get_by_role("heading", name="Accept and enroll"))
    expect(accept.get_by_role("group", name="Nurse navigator")).to_be_visible()
    for name in ("Ada Admin", world.privacy.display_name, world.coordinator.display_name):
        expect(accept.get_by_text(name)).to_have_count(0)
    # A chosen person stays listed whatever the filter: unchoose the suggested navigator.
    accept.get_by_label(re.compile(r"^Nina Navigator")).uncheck()
    accept.get_by_label("Filter staff by name or discipline").fill("social")
    expect(accept.get_by_role("group", name="Nurse navigator")).to_be_hidden()
    expect(accept.get_by_role("group", name="Social worker / counselor")).to_be_visible()
    browsing.shot(cora, "team-picker-filtered")
    browsing.axe_check(cora, "referral with the team picker")


def test_trend_chart_dates_match_the_table_and_a_severe_symptom_is_drawn(world, browsing, sign_in):
    from pallio.assessments.services import ReportInput, report_submit
    from pallio.assessments.tests.helpers import esas

    yesterday = clock.today_in("America/New_York") - timedelta(days=1)
    late = datetime.combine(yesterday, time(23, 30), tzinfo=ZoneInfo("America/New_York"))
    report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput("esas-r", esas(anxiety=9), "patient", "call", answered_at=late),
    )
    nina = sign_in(world.navigator)
    nina.goto(f"/assessments/patients/{world.alice.pk}/")
    nina.wait_for_function("() => window.Chart && Chart.getChart('esas-chart')")
    labels = nina.evaluate("() => Chart.getChart('esas-chart').data.labels")
    assert labels == [f"{yesterday.day} {yesterday:%b %Y}"]
    expect(nina.get_by_test_id("report-row").first).to_contain_text(labels[0] + " 23:30")
    shown = nina.evaluate(
        "() => Chart.getChart('esas-chart').data.datasets.filter(d => !d.hidden).map(d => d.label)"
    )
    assert "Anxiety (feeling nervous)" in shown
    expect(nina.get_by_test_id("severe-series")).to_contain_text("Anxiety")
    browsing.shot(nina, "trends-severe")
    browsing.axe_check(nina, "trends with a severe symptom")
