"""The refusal (403) and missing-page (404) pages on the site's layout, at phone and desk
widths, each with a way back that works."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_a_missing_page_and_a_refusal_lead_back(world, browsing, sign_in, width):
    # A clinician follows a link to a record that is not there (or not theirs).
    nina = sign_in(world.navigator)
    nina.set_viewport_size({"width": width, "height": 900})
    nina.goto("/caseload/")
    caseload = nina.url
    nina.evaluate(
        """() => {
            const a = document.createElement('a');
            a.href = '/patients/00000000-0000-0000-0000-000000000000/';
            a.id = 'stale-link';
            a.textContent = 'An old link';
            document.querySelector('main').appendChild(a);
        }"""
    )
    with nina.expect_navigation() as missing:
        nina.click("#stale-link")
    assert missing.value is not None and missing.value.status == 404
    expect(nina.get_by_role("heading", level=1)).to_have_text("Page not found")
    # Inside the site's layout: its menu (one Menu button on a phone) with sign-out.
    if width < 992:
        expect(nina.get_by_role("navigation", name="Main").get_by_text("Menu")).to_be_visible()
    else:
        expect(nina.get_by_role("button", name="Sign out")).to_be_visible()
    browsing.shot(nina, f"not-found-{width}")
    browsing.axe_check(nina, f"not-found-{width}")
    nina.get_by_role("link", name="Back to the previous page").click()
    expect(nina).to_have_url(caseload)

    # The privacy officer opens the caseload, which her role does not reach.
    priya = sign_in(world.privacy)
    priya.set_viewport_size({"width": width, "height": 900})
    response = priya.goto("/caseload/")
    assert response is not None and response.status == 403
    expect(priya.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(priya.get_by_text("Nothing was changed.")).to_be_visible()
    browsing.shot(priya, f"refused-{width}")
    browsing.axe_check(priya, f"refused-{width}")
    priya.get_by_role("link", name="Go to your start page").click()
    expect(priya).to_have_url(f"{browsing.base_url}/audit/")
