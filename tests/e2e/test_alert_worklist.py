"""Alerts that cannot be missed, in the browser: a severe symptom report is on top of the
nurse navigator's worklist, with its values, after one cycle of the real background worker;
an alert nobody acknowledged reaches the team lead's worklist once the worker escalates it.
Both at 1280 px and 390 px, with axe-core."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pallio.assessments.models import Alert, AlertEscalation
from pallio.core import clock

pytestmark = pytest.mark.browser


ESAS_LABELS = (
    "Pain",
    "Tiredness",
    "Drowsiness",
    "Nausea",
    "Lack of appetite",
    "Shortness of breath",
    "Depression",
    "Anxiety",
    "Wellbeing",
)


@pytest.fixture(autouse=True)
def _instruments_and_rules(world: Any) -> None:
    """Each browser test ends with a flush, which empties the instruments and alert rules the
    migration loaded: load them again."""
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()


def worker_cycle() -> None:
    """One pass of the real background worker over everything queued."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def report(world: Any, patient: Any, key: str, answers: dict[str, Any], at: Any = None) -> None:
    from pallio.assessments.services import ReportInput, report_submit

    report_submit(
        actor=world.navigator,
        patient=patient,
        data=ReportInput(key, answers, "patient", "portal", answered_at=at),
    )


def check_both_widths(browsing: Any, page: Any, step: str) -> None:
    browsing.shot(page, f"{step}-1280")
    # One check covers both widths: axe runs on the page at 1280 px, then at 390 px.
    browsing.axe_check(page, step)
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, f"{step}-390")
    overflow = page.evaluate(
        "() => document.querySelector('main').scrollWidth - document.querySelector('main')"
        ".clientWidth"
    )
    assert overflow <= 0, f"{step}: the worklist is wider than a 390 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_severe_report_is_on_top_of_the_navigators_worklist_after_one_worker_cycle(
    world, browsing, sign_in
):
    from pallio.assessments.tests.helpers import esas

    # Already on her list: a fall in function, due sooner, but not urgent.
    now = clock.now()
    report(world, world.alice, "pps", {"pps": "70"}, at=now - timedelta(days=10))
    report(world, world.alice, "pps", {"pps": "40"}, at=now - timedelta(days=2))
    report(world, world.alice, "esas-r", esas(pain=5, nausea=2), at=now - timedelta(days=3))
    worker_cycle()
    assert Alert.objects.filter(rule_key="pps-fall").count() == 1

    nina = sign_in(world.navigator)
    nina.goto(f"/assessments/patients/{world.alice.pk}/report/")
    for label in ESAS_LABELS:
        browsing.tap(nina, label, "2")
    browsing.tap(nina, "Pain", "9")
    nina.get_by_label("Who answered").select_option(label="Patient")
    nina.get_by_label("Taken").select_option(label="On a call")
    nina.get_by_label("Phase of care at this contact").select_option(label="Unstable")
    nina.get_by_role("button", name="Save report").click()
    expect(nina.get_by_text(re.compile(r"Alerts are checked in the background"))).to_be_visible()

    worker_cycle()

    browsing.nav(nina, "Alerts")
    expect(nina.get_by_role("heading", name="Alert worklist")).to_be_visible()
    top = nina.get_by_test_id("alert-group").first
    expect(top).to_contain_text("Anders, Alice")
    expect(top.get_by_test_id("report-values")).to_contain_text("Pain 9/10 (was 5)")
    expect(top.get_by_test_id("report-received")).to_contain_text("Report received")
    expect(top.get_by_test_id("alert-row").first).to_contain_text("urgent")
    expect(top.get_by_test_id("alert-row").filter(has_text="Severe symptom")).to_have_count(1)
    # The header counts what the list shows.
    rows = nina.get_by_test_id("alert-row")
    expect(nina.get_by_test_id("alert-counts")).to_contain_text(f"{rows.count()} open")
    expect(nina.get_by_test_id("alert-group").last).to_contain_text("PPS")
    check_both_widths(browsing, nina, "worklist-severe-on-top")


def test_an_unacknowledged_alert_escalates_to_the_team_leads_worklist(world, browsing, sign_in):
    from tests.support.personas import make_patient

    from pallio.assessments.tests.helpers import esas

    carl = make_patient(
        world.riverside,
        "Carl",
        "Cole",
        date(1944, 6, 2),
        team=(world.physician, world.navigator),  # the physician leads his team
    )
    report(world, carl, "esas-r", esas(dyspnea=8))
    worker_cycle()
    alert = Alert.objects.get(patient=carl, rule_key="esas-severe")

    # The navigator does not acknowledge it; the clock passes the due time; the worker runs.
    with clock.frozen(alert.due_at + timedelta(minutes=2)):
        call_command("alerts", "sweep", "--no-missing", verbosity=0)
        worker_cycle()
        [step] = AlertEscalation.objects.filter(alert=alert)
        assert (step.step, step.to_user) == ("lead", world.physician)

        phil = sign_in(world.physician)
        browsing.nav(phil, "Alerts")
        top = phil.get_by_test_id("alert-row").first
        expect(top).to_contain_text("escalated to you")
        expect(top).to_contain_text("Escalated to Phil Physician (team lead)")
        expect(top).to_contain_text("overdue")
        expect(phil.get_by_test_id("alert-group").first).to_contain_text("Cole, Carl")
        expect(phil.get_by_test_id("report-values").first).to_contain_text(
            "Shortness of breath 8/10"
        )
        check_both_widths(browsing, phil, "worklist-escalated-to-lead")

        # The lead acknowledges it: the escalation stops there.
        top.get_by_role("button", name="Acknowledge").click()
        expect(phil.get_by_text(re.compile(r"^Acknowledged: "))).to_be_visible()
    with clock.frozen(alert.due_at + timedelta(hours=3)):
        call_command("alerts", "sweep", "--no-missing", verbosity=0)
        worker_cycle()
    assert AlertEscalation.objects.filter(alert=alert).count() == 1
