"""The care team changed from the chart in the browser: a member added, the lead changed, the
former lead ended only with a successor named, a refusal said in plain words with nothing
changed, and the history; at desk and phone widths, axe-core clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pallio.episodes.models import CareTeamLeadChange, CareTeamMember

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def _rows(world):
    members = sorted(
        (str(m.user_id), m.active, m.is_lead)
        for m in CareTeamMember.objects.filter(patient=world.alice)
    )
    return (members, CareTeamLeadChange.objects.count())


def test_change_the_care_team_from_the_chart(world, browsing, sign_in):
    alice = world.alice
    cora = sign_in(world.coordinator)
    cora.goto(f"/patients/{alice.pk}/")
    cora.get_by_test_id("care-team-link").click()
    expect(cora.get_by_role("heading", name="Care team", exact=True)).to_be_visible()
    members = cora.get_by_test_id("care-team-members")
    expect(members).to_contain_text("Nina Navigator")
    expect(members).to_contain_text("lead")
    browsing.shot(cora, "care-team-1280")
    browsing.axe_check(cora, "care team page")
    cora.set_viewport_size(PHONE)
    browsing.shot(cora, "care-team-390")
    cora.set_viewport_size(DESK)

    # Ending the lead without naming a new one is refused, and nothing changes.
    before = _rows(world)
    cora.get_by_role("button", name="End Nina's membership").click()
    refused = cora.get_by_test_id("care-team-refused")
    expect(refused).to_contain_text("Nothing was changed.")
    expect(refused).to_contain_text(
        "Nina Navigator leads the team: name the new lead before ending their membership."
    )
    assert _rows(world) == before
    browsing.shot(cora, "care-team-refused-1280")
    browsing.axe_check(cora, "care team refusal")
    cora.set_viewport_size(PHONE)
    browsing.shot(cora, "care-team-refused-390")
    cora.set_viewport_size(DESK)

    # Add Sam, the social worker, as the lead: he reaches the chart at once.
    cora.get_by_label("Staff member to add").select_option(
        label="Sam Social — Social worker / counselor"
    )
    cora.get_by_label("Make them the team's lead").check()
    cora.get_by_role("button", name="Add to the team").click()
    expect(cora.get_by_text("Sam Social joined the care team and leads it.")).to_be_visible()
    expect(cora.get_by_test_id("member-sam")).to_contain_text("lead")
    assert CareTeamMember.objects.get(user=world.social_worker, active=True).is_lead

    # Nina, no longer the lead, leaves the team; the history tells it all.
    cora.get_by_role("button", name="End Nina's membership").click()
    expect(cora.get_by_text("Nina Navigator has left the care team.")).to_be_visible()
    expect(cora.get_by_test_id("member-nina")).to_have_count(0)
    history = cora.get_by_test_id("care-team-history")
    expect(history).to_contain_text("Nina Navigator left the team")
    expect(history).to_contain_text("Lead changed from Nina Navigator to Sam Social")
    expect(history).to_contain_text("Sam Social joined the team")
    expect(history).to_contain_text("by Cora Coordinator")
    browsing.shot(cora, "care-team-changed-1280")
    browsing.axe_check(cora, "care team after changes")
    cora.set_viewport_size(PHONE)
    browsing.shot(cora, "care-team-changed-390")

    # The chart shows the new team.
    cora.set_viewport_size(DESK)
    cora.goto(f"/patients/{alice.pk}/")
    expect(cora.locator("#team-h + ul")).to_contain_text("Sam Social")
    expect(cora.locator("#team-h + ul")).not_to_contain_text("Nina Navigator")
