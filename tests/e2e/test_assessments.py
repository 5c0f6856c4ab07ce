"""Whole-person assessment and symptom monitoring in the browser: the comprehensive
assessment written by two disciplines and signed, a severe symptom report, the background
worker raising the alert, the nurse navigator acknowledging and resolving it on the worklist,
the trend charts, and the caseload's symptom-burden sparkline."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pallio.assessments.models import Alert
from pallio.core import clock

pytestmark = pytest.mark.browser

ESAS_LABELS = {
    "pain": "Pain",
    "tiredness": "Tiredness",
    "drowsiness": "Drowsiness",
    "nausea": "Nausea",
    "appetite": "Lack of appetite",
    "dyspnea": "Shortness of breath",
    "depression": "Depression",
    "anxiety": "Anxiety",
    "wellbeing": "Wellbeing",
}


@pytest.fixture(autouse=True)
def _instruments_and_rules(world: Any) -> None:
    """Each browser test ends with a flush, which empties the instruments and alert rules the
    migration loaded: load them again."""
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()


def history(world: Any) -> None:
    """Twelve weeks of ESAS-r and monthly PPS for alice, so the charts have something to draw."""
    from pallio.assessments.services import ReportInput, report_evaluate, report_submit
    from pallio.assessments.tests.helpers import esas

    now = clock.now()
    for week in range(12, 0, -1):
        report, _ = report_submit(
            actor=world.navigator,
            patient=world.alice,
            data=ReportInput(
                "esas-r",
                esas(pain=max(1, 6 - week // 3), tiredness=4, nausea=week % 3, wellbeing=3),
                "patient",
                "call",
                answered_at=now - timedelta(weeks=week, hours=3),
            ),
        )
        report_evaluate(report_id=report.pk)
    for month, level in ((3, "60"), (2, "60"), (1, "50")):
        report, _ = report_submit(
            actor=world.navigator,
            patient=world.alice,
            data=ReportInput(
                "pps",
                {"pps": level},
                "clinician",
                "visit",
                answered_at=now - timedelta(weeks=4 * month),
            ),
        )
        report_evaluate(report_id=report.pk)


def write_domain(page: Any, domain: str, text: str) -> None:
    section = page.get_by_test_id(f"domain-{domain}")
    section.get_by_label("Narrative").fill(text)
    section.get_by_label("This domain is complete").check()
    section.get_by_role("button", name=re.compile(r"^Save ")).click()
    expect(page.get_by_test_id(f"domain-{domain}")).to_contain_text("complete")


def test_comprehensive_assessment_written_by_two_disciplines_then_signed(world, browsing, sign_in):
    nina = sign_in(world.navigator)
    nina.goto(f"/assessments/patients/{world.alice.pk}/assessment/")
    nina.get_by_role("button", name="Start a comprehensive assessment").click()
    expect(nina.get_by_test_id("assessment-status")).to_contain_text("Draft")
    write_domain(nina, "physical", "Pain 6/10 in the lower back; tired most afternoons.")
    browsing.shot(nina, "assessment-draft")
    browsing.axe_check(nina, "assessment draft")
    # Signing before every domain is complete is refused, and says what is missing.
    nina.get_by_role("button", name="Sign the assessment").click()
    expect(nina.get_by_text(re.compile(r"Complete every domain before signing"))).to_be_visible()

    phil = sign_in(world.physician)
    phil.goto(f"/assessments/patients/{world.alice.pk}/assessment/")
    expect(phil.get_by_test_id("domain-physical")).to_contain_text("last saved by Nina")
    for domain in (
        "psychological",
        "social",
        "spiritual",
        "cultural",
        "caregiver",
        "ethical_legal",
        "end_of_life",
    ):
        write_domain(phil, domain, f"Reviewed with Alice and her son ({domain}).")
    phil.get_by_role("button", name="Sign the assessment").click()
    signed = phil.get_by_test_id("signed-assessment")
    expect(signed).to_contain_text("Signed")
    expect(signed).to_contain_text("Pain 6/10 in the lower back")
    expect(phil.get_by_role("button", name="Sign the assessment")).to_have_count(0)
    browsing.shot(phil, "assessment-signed")
    browsing.axe_check(phil, "signed assessment")


def test_severe_report_raises_an_alert_the_navigator_acknowledges_and_resolves(
    world, browsing, sign_in
):
    history(world)
    nina = sign_in(world.navigator)
    nina.goto(f"/patients/{world.alice.pk}/")
    nina.goto(f"/assessments/patients/{world.alice.pk}/report/")
    values = dict.fromkeys(ESAS_LABELS, "2")
    values["pain"] = "9"
    for item, label in ESAS_LABELS.items():
        browsing.tap(nina, label, values[item])
    nina.get_by_label("Who answered").select_option(label="Family caregiver")
    nina.get_by_label("Name of the person answering (if not the patient)").fill("Andrew O'Neil")
    nina.get_by_label("Taken").select_option(label="On a call")
    nina.get_by_label("Phase of care at this contact").select_option(label="Unstable")
    browsing.shot(nina, "report-form")
    browsing.axe_check(nina, "symptom report form")
    nina.get_by_role("button", name="Save report").click()
    expect(
        nina.get_by_text(re.compile(r"saved\. Alerts are checked in the background"))
    ).to_be_visible()

    # The background worker judges the report.
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert Alert.objects.filter(patient=world.alice, rule_key="esas-severe").count() == 1

    browsing.nav(nina, "Alerts")
    expect(nina.get_by_role("heading", name="Alert worklist")).to_be_visible()
    row = nina.get_by_test_id("alert-row").filter(has_text="Pain 9")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Anders, Alice")
    browsing.shot(nina, "worklist-open")
    browsing.axe_check(nina, "alert worklist")
    row.get_by_role("button", name="Acknowledge").click()
    expect(nina.get_by_text(re.compile(r"^Acknowledged: "))).to_be_visible()
    row = nina.get_by_test_id("alert-row").filter(has_text="Pain 9")
    expect(row).to_contain_text("by Nina")
    row.get_by_label("Action taken").fill(
        "Called Andrew; breakthrough dose advised, visit tomorrow."
    )
    row.get_by_role("button", name="Resolve").click()
    expect(nina.get_by_text(re.compile(r"^Resolved: "))).to_be_visible()
    expect(nina.get_by_test_id("alert-row").filter(has_text="Pain 9")).to_have_count(0)
    nina.get_by_label("Status").select_option("resolved")
    nina.get_by_role("button", name="Show", exact=True).click()
    done = nina.get_by_test_id("alert-row").filter(has_text="Pain 9")
    expect(done).to_contain_text("breakthrough dose advised")
    browsing.shot(nina, "worklist-resolved")
    browsing.axe_check(nina, "resolved alerts")

    # The trend charts draw, with no script error (shot() fails on any).
    nina.goto(f"/assessments/patients/{world.alice.pk}/")
    expect(nina.locator("canvas#esas-chart")).to_be_visible()
    expect(nina.locator("canvas#function-chart")).to_be_visible()
    nina.wait_for_function(
        "() => window.Chart && Chart.getChart('esas-chart') && Chart.getChart('function-chart')"
    )
    drawn = nina.evaluate(
        "() => Chart.getChart('esas-chart').data.datasets.filter(d => d.data.length).length"
    )
    assert drawn >= 9
    expect(nina.get_by_test_id("report-row").first).to_contain_text("Family caregiver")
    browsing.shot(nina, "trends")
    browsing.axe_check(nina, "trends page")

    # The caseload's sparkline, drawn on the server.
    browsing.nav(nina, "Caseload")
    spark = nina.get_by_test_id("caseload-row").filter(has_text="Anders").locator("svg.sparkline")
    expect(spark).to_be_visible()
    expect(spark).to_have_attribute("aria-label", re.compile(r"latest 25, 12 reports"))
    browsing.shot(nina, "caseload-sparkline")
    browsing.axe_check(nina, "caseload")


def test_a_report_answered_in_part_the_cadence_and_the_suicide_screen_offer(
    world, browsing, sign_in
):
    from pallio.assessments.services import ReportInput, report_submit
    from pallio.assessments.tests.helpers import phq
    from pallio.episodes.models import EpisodeOfCare

    nina = sign_in(world.navigator)
    nina.set_viewport_size({"width": 390, "height": 844})
    nina.goto(f"/assessments/patients/{world.alice.pk}/report/")
    # The published end words of each ESAS-r item are shown with it.
    pain = nina.get_by_role("group", name="Pain")
    expect(pain.get_by_text("0 = No pain", exact=True)).to_be_visible()
    expect(pain.get_by_text("10 = Worst possible pain", exact=True)).to_be_visible()
    wellbeing = nina.get_by_role("group", name=re.compile(r"^Wellbeing\b"))
    expect(wellbeing.get_by_text("0 = Best wellbeing", exact=True)).to_be_visible()
    expect(wellbeing.get_by_text("10 = Worst possible wellbeing", exact=True)).to_be_visible()
    for item, label in ESAS_LABELS.items():
        if item != "nausea":  # left blank
            browsing.tap(nina, label, "2")
    browsing.tap(nina, "Pain", "10")
    nina.get_by_label("Phase of care at this contact").select_option(label="Stable")
    nina.get_by_role("button", name="Save report").click()
    expect(
        nina.get_by_text(re.compile(r"saved in part \(1 not answered: Nausea\)"))
    ).to_be_visible()
    expect(nina.get_by_test_id("partial-report")).to_contain_text("answered in part")
    browsing.shot(nina, "partial-report-390")
    browsing.axe_check(nina, "trends with a partial report")
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert Alert.objects.filter(patient=world.alice, rule_key="esas-severe").exists()

    # The team sets how often reports are expected, on the same page.
    nina.set_viewport_size({"width": 1280, "height": 900})
    nina.get_by_label("Symptom reports expected").select_option(label="Every 2 weeks")
    nina.get_by_role("button", name="Save", exact=True).click()
    expect(nina.get_by_test_id("cadence")).to_have_text("Every 2 weeks")
    episode = EpisodeOfCare.objects.get(patient=world.alice, status="active")
    assert episode.reporting_cadence == "fortnightly"
    browsing.axe_check(nina, "trends with the cadence")

    # A positive PHQ-2 makes the psychological domain offer the suicide-risk screen.
    report_submit(
        actor=world.navigator,
        patient=world.alice,
        data=ReportInput("phq-4", phq(2, 1, 0, 0), "patient", "visit"),
    )
    phil = sign_in(world.physician)
    phil.goto(f"/assessments/patients/{world.alice.pk}/assessment/")
    phil.get_by_role("button", name="Start a comprehensive assessment").click()
    offer = phil.get_by_test_id("offer-asq")
    expect(offer).to_contain_text("screen for suicide risk with the ASQ")
    browsing.axe_check(phil, "assessment with the ASQ offer")
    offer.get_by_role("link", name="Start the suicide-risk screen (ASQ)").click()
    expect(
        phil.get_by_label("In the past few weeks, have you wished you were dead?")
    ).to_be_visible()
    browsing.shot(phil, "asq-form")
    browsing.axe_check(phil, "ASQ form")


def test_the_phase_selector_starts_at_the_recorded_phase(world, browsing, sign_in):
    from pallio.assessments.services import phase_record

    phase_record(actor=world.navigator, patient=world.alice, phase="terminal", contact="visit")
    nina = sign_in(world.navigator)
    nina.goto(f"/assessments/patients/{world.alice.pk}/")
    expect(nina.get_by_test_id("current-phase")).to_contain_text("Terminal")
    expect(nina.get_by_role("combobox", name="Phase of care")).to_have_value("terminal")
    browsing.shot(nina, "phase-kept")
    browsing.axe_check(nina, "trends with the recorded phase")
