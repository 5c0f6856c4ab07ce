"""Clinical privileges in the browser: a volunteer on alice's care team reads her chart but
sees no code-status or medication controls, and a crafted POST with a valid CSRF token is
refused with a plain message and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import AXE_SOURCE, BLOCKING_IMPACTS
from tests.support.personas import add_to_team

from pallio.acp import services as acp
from pallio.acp.models import CodeStatus
from pallio.core import clock
from pallio.medications import services as medications
from pallio.medications.models import MedicationStatement

pytestmark = pytest.mark.browser


def axe_check_shown(page: Any, step: str) -> None:
    """axe-core on the page as shown: the answer to a POST cannot be fetched again, so its
    markup is copied into a window of the same site that ignores Content-Security-Policy."""
    html = page.content()
    origin = "/".join(page.url.split("/")[:3])
    context = page.context.browser.new_context(
        bypass_csp=True, viewport=page.viewport_size, locale="en-US"
    )
    try:
        copy = context.new_page()
        copy.goto(f"{origin}/accounts/login/")
        copy.set_content(html)
        copy.add_script_tag(path=str(AXE_SOURCE))
        results = copy.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact, help: v.help}))"""
        )
    finally:
        context.close()
    blocking = [v for v in results if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {step}: {blocking}"


def _csrf_token(page: Any) -> str:
    # Every signed-in page carries the sign-out form and its token.
    return page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")


def test_volunteer_sees_no_clinical_controls_and_a_crafted_post_is_refused(
    world, browsing, sign_in
):
    vera = add_to_team(world, "vera", "volunteer", "Vera", "Volunteer")
    code_status = acp.code_status_change(
        actor=world.physician,
        patient=world.alice,
        status="dnr_dni",
        effective_date=clock.today_in(world.riverside.timezone),
        expected_current_id=None,
    )
    medications.medication_add(
        actor=world.physician,
        patient=world.alice,
        data=medications.MedicationInput(catalog_key="senna", dose_amount="8.6"),
    )

    page = sign_in(vera)
    page.goto(f"/patients/{world.alice.pk}/")
    expect(page.get_by_test_id("code-status")).to_contain_text("DNR/DNI")
    expect(page.get_by_role("link", name="New symptom report")).to_have_count(0)
    browsing.axe_check(page, "chart as a volunteer")

    page.get_by_role("link", name="Open goals of care and advance care planning").click()
    expect(
        page.get_by_role("heading", name="Goals of care and advance care planning")
    ).to_be_visible()
    expect(page.get_by_test_id("code-status")).to_contain_text("DNR/DNI")
    expect(page.get_by_text("Change code status")).to_have_count(0)
    expect(page.get_by_text("Mark as entered in error")).to_have_count(0)
    expect(page.get_by_text("Record a new version")).to_have_count(0)
    browsing.shot(page, "acp-as-volunteer")
    browsing.axe_check(page, "acp page as a volunteer")

    page.goto(f"/medications/patients/{world.alice.pk}/")
    expect(page.get_by_test_id("medication-row")).to_contain_text("Senna")
    expect(page.get_by_role("heading", name="Add a medication")).to_have_count(0)
    expect(page.get_by_role("button", name="Stop Senna (sennosides)")).to_have_count(0)
    browsing.shot(page, "medications-as-volunteer")
    browsing.axe_check(page, "medications as a volunteer")

    # Crafted requests with a valid session and CSRF token, as a script could send them.
    token = _csrf_token(page)
    void = page.request.post(
        f"/acp/{world.alice.pk}/entered-in-error/",
        form={
            "csrfmiddlewaretoken": token,
            "kind": "code-status",
            "record_id": str(code_status.pk),
            "reason": "Not what the family said",
        },
    )
    assert void.status == 403
    assert "A volunteer may not mark a code status entered in error." in void.text()
    morphine = page.request.post(
        f"/medications/patients/{world.alice.pk}/",
        form={"csrfmiddlewaretoken": token, "catalog_key": "morphine", "dose_amount": "5"},
    )
    assert morphine.status == 403
    assert "A volunteer may not add a medication. Ask a physician" in morphine.text()
    esas = page.request.post(
        f"/api/v1/assessments/patients/{world.alice.pk}/symptom-reports",
        data={"instrument": "esas-r", "answers": {"pain": 8}, "respondent": "patient"},
        headers={"X-CSRFToken": token},
    )
    assert esas.status == 403
    assert esas.json()["detail"].startswith("A volunteer may not record a symptom report.")

    # The same refusal as a page: a form submitted from the browser shows the plain message.
    page.goto(f"/acp/{world.alice.pk}/")
    page.evaluate(
        """([token, id]) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = location.pathname + 'entered-in-error/';
            for (const [name, value] of Object.entries({
                csrfmiddlewaretoken: token, kind: 'code-status', record_id: id, reason: 'wrong'
            })) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [token, str(code_status.pk)],
    )
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_test_id("refusal")).to_have_text(
        "A volunteer may not mark a code status entered in error. Ask a physician, "
        "nurse practitioner, nurse or nurse navigator."
    )
    browsing.shot(page, "refused")
    axe_check_shown(page, "refusal page")
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.shot(page, "refused-narrow")
    axe_check_shown(page, "refusal page at 390 px")

    # Nothing changed: the header still shows the physician's code status.
    page.goto(f"/patients/{world.alice.pk}/")
    expect(page.get_by_test_id("code-status")).to_contain_text("DNR/DNI")
    assert not CodeStatus.objects.filter(entered_in_error=True).exists()
    assert list(MedicationStatement.objects.values_list("catalog_key", flat=True)) == ["senna"]


def test_physician_on_the_same_page_sees_the_controls(world, browsing, sign_in):
    phil = sign_in(world.physician)
    phil.goto(f"/acp/{world.alice.pk}/")
    expect(phil.get_by_text("Change code status")).to_be_visible()
    phil.goto(f"/medications/patients/{world.alice.pk}/")
    expect(phil.get_by_role("heading", name="Add a medication")).to_be_visible()
