"""The symptom diary in the portal, in the browser at 360 px and 1280 px with axe-core: the
patient answers with a pain of 9, sees the 24/7 number at once, and after one cycle of the real
background worker the nurse navigator finds the alert on her worklist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from pallio.assessments.models import Alert, SymptomReport
from pallio.portal.tests.factories import PORTAL_PASSWORD, patient_account

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _instruments_and_rules(world: Any) -> None:
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped()
    alert_rules_sync_defaults()


def portal_page(browsing: Any, user: Any) -> Any:
    """A browser window signed in to the portal as `user`, through the sign-in page."""
    page = browsing.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def tap_number(page: Any, question: str, value: str) -> None:
    group = page.get_by_role("group", name=re.compile(rf"^{re.escape(question)}"))
    group.get_by_text(value, exact=True).click()


def check_widths(browsing: Any, page: Any, step: str) -> None:
    for width, height in ((360, 780), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        browsing.shot(page, f"{step}-{width}")
        browsing.axe_check(page, f"{step} at {width} px")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{step}: the page is wider than {width} px"


def test_a_patient_diary_with_pain_9_reaches_the_navigators_worklist(world, browsing, sign_in):
    type(world.riverside).objects.filter(pk=world.riverside.pk).update(phone="+1 617 555 0100")
    page = portal_page(browsing, patient_account(world.alice))
    page.goto(f"/portal/{world.alice.pk}/")
    page.get_by_role("link", name="Fill in the diary").click()
    expect(page.get_by_role("heading", name="Symptom diary", level=1)).to_be_visible()
    check_widths(browsing, page, "diary")

    page.set_viewport_size({"width": 360, "height": 780})
    tap_number(page, "Pain", "9")
    tap_number(page, "Tiredness", "3")
    tap_number(page, "Nausea", "1")
    page.get_by_role("button", name="Send my diary to the team").click()
    expect(
        page.get_by_role("heading", name="Thank you. Your diary was sent to the team.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Call +1 617 555 0100")).to_be_visible()
    check_widths(browsing, page, "diary-sent")
    report = SymptomReport.objects.get(patient=world.alice)
    assert (report.channel, report.respondent, report.partial) == ("portal", "patient", True)

    # A value out of range, crafted past the page: a clear message, nothing saved.
    page.goto(f"/portal/{world.alice.pk}/diary/")
    page.evaluate(
        "() => { const r = document.getElementById('q-pain-10');"
        " r.value = '11'; r.checked = true; }"
    )
    page.get_by_role("button", name="Send my diary to the team").click()
    expect(page.get_by_text("Your diary was not sent. Nothing was saved.")).to_be_visible()
    assert SymptomReport.objects.filter(patient=world.alice).count() == 1
    expect(page.get_by_text("answered by the patient")).to_be_visible()

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert Alert.objects.filter(patient=world.alice, rule_key="esas-severe").exists()

    nina = sign_in(world.navigator)
    browsing.nav(nina, "Alerts")
    expect(nina.get_by_role("heading", name="Alert worklist")).to_be_visible()
    top = nina.get_by_test_id("alert-group").first
    expect(top).to_contain_text("Anders, Alice")
    expect(top.get_by_test_id("report-values")).to_contain_text("Pain 9/10")
