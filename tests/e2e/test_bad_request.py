"""A refused address shows what was wrong on the site's layout, at phone and desk widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_a_bad_date_on_the_audit_trail_and_a_bad_sort_on_the_queue_are_explained(
    world, browsing, sign_in, width
):
    privacy = sign_in(world.privacy)
    privacy.set_viewport_size({"width": width, "height": 900})
    response = privacy.goto("/audit/?end=9999-12-31")
    assert response is not None and response.status == 400
    expect(privacy.get_by_role("alert")).to_contain_text(
        "To: Enter a date between 1 January 1900 and 31 December 2999."
    )
    expect(privacy.get_by_label("To")).to_be_visible()
    browsing.shot(privacy, f"audit-{width}")
    browsing.axe_check(privacy, f"audit-{width}")

    cora = sign_in(world.coordinator)
    cora.set_viewport_size({"width": width, "height": 900})
    response = cora.goto("/referrals/?sort=received_at;DROP TABLE x")
    assert response is not None and response.status == 400
    expect(cora.get_by_test_id("bad-request")).to_contain_text("Sort: Choose one of:")
    browsing.shot(cora, f"queue-{width}")
    browsing.axe_check(cora, f"queue-{width}")
    cora.get_by_role("link", name="Open the page without these values").click()
    expect(cora).to_have_url(f"{browsing.base_url}/referrals/")
    expect(cora.get_by_role("heading", level=1)).to_be_visible()
