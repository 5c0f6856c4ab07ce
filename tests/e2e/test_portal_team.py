"""The team's portal page for a patient, in the browser at 390 px and 1280 px with axe-core:
the nurse navigator opens it from the chart, invites the healthcare agent with the diary only
(a bad address refused in plain words, nothing sent), withdraws the invitation, suspends a
caregiver's access with a reason (none given is refused) and lifts the suspension; the team's
chaplain, who may not manage portal access, sees the page without its forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect
from tests.support.personas import add_to_team

from pallio.portal.models import PortalAccess, PortalInvitation, PortalRelation, PortalScope
from pallio.portal.tests.factories import portal_access, portal_user
from pallio.portal.tests.helpers import family_member

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
SIZES = pytest.mark.parametrize("size", [PHONE, DESK], ids=["390", "1280"])


def check(browsing: Any, page: Any, step: str, size: dict[str, int]) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{step}: the page is {overflow} px wider than {size['width']} px"
    browsing.shot(page, f"{step}-{size['width']}")
    browsing.axe_check(page, f"{step} at {size['width']} px")


def open_portal_page(page: Any, patient: Any) -> None:
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("portal-access-link").click()
    expect(
        page.get_by_role("heading", name="Portal access for Alice Anders", level=1)
    ).to_be_visible()


@SIZES
def test_the_navigator_invites_withdraws_suspends_and_lifts(world, browsing, sign_in, size):
    agent = family_member(world.alice, "Andrew Anders")
    carol = portal_user("carol", first="Carol", last="Anders")
    access = portal_access(
        world.alice,
        carol,
        relation=PortalRelation.CAREGIVER,
        scopes=[PortalScope.DIARY, PortalScope.VISITS],
        person=family_member(world.alice, "Carol Anders", rank=1),
    )
    nina = sign_in(world.navigator)
    nina.set_viewport_size(size)
    open_portal_page(nina, world.alice)
    account = nina.get_by_test_id("portal-account-carol")
    expect(account).to_contain_text("Sees: symptom diary, visits")
    expect(nina.get_by_text("No invitation is waiting.")).to_be_visible()
    check(browsing, nina, "portal-team", size)

    # A bad address: refused in plain words, nothing sent, nothing saved.
    nina.get_by_label("Who is invited").select_option(label="Andrew Anders (child)")
    nina.get_by_label("Their email address").fill("andrew at example")
    nina.get_by_label("Symptom diary").check()
    nina.get_by_role("button", name="Send the invitation").click()
    expect(nina.get_by_text("Enter a valid email address.").first).to_be_visible()
    assert not PortalInvitation.objects.exists()
    assert mail.outbox == []
    # (A page answering a POST cannot be loaded again for axe-core: a screenshot only.)
    browsing.shot(nina, f"portal-team-error-{size['width']}")

    nina.get_by_label("Their email address").fill("andrew@example.org")
    nina.get_by_role("button", name="Send the invitation").click()
    expect(
        nina.get_by_text("An invitation was emailed to andrew@example.org. The link works once")
    ).to_be_visible()
    waiting = nina.get_by_test_id("portal-invitations")
    expect(waiting).to_contain_text("andrew@example.org — Andrew Anders")
    invitation = PortalInvitation.objects.get()
    assert (invitation.person, invitation.scopes) == (agent, ["diary"])
    assert [m.to for m in mail.outbox] == [["andrew@example.org"]]

    waiting.get_by_role("button", name="Withdraw").click()
    expect(nina.get_by_text("The invitation to andrew@example.org is withdrawn.")).to_be_visible()
    expect(nina.get_by_text("No invitation is waiting.")).to_be_visible()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None

    # Suspending without a reason is refused; with one, the caregiver is suspended.
    account = nina.get_by_test_id("portal-account-carol")
    account.get_by_role("button", name="Suspend access").click()
    account = nina.get_by_test_id("portal-account-carol")
    expect(account.locator(".invalid-feedback")).to_have_text(
        "Give the reason for suspending this access."
    )
    access.refresh_from_db()
    assert access.suspended_at is None
    account.get_by_label("Reason for suspending Carol Anders").fill(
        "Asked by the patient while the family sorts out a disagreement."
    )
    account.get_by_role("button", name="Suspend access").click()
    expect(nina.get_by_text("Carol Anders's portal access is suspended.")).to_be_visible()
    account = nina.get_by_test_id("portal-account-carol")
    expect(account).to_contain_text("Suspended")
    expect(account).to_contain_text("while the family sorts out a disagreement")
    check(browsing, nina, "portal-team-suspended", size)

    account.get_by_role("button", name="Lift the suspension").click()
    expect(nina.get_by_text("Carol Anders's portal access is restored.")).to_be_visible()
    access.refresh_from_db()
    assert access.suspended_at is None
    assert PortalAccess.objects.get(pk=access.pk).suspended_reason == ""


def test_the_chaplain_sees_the_page_without_its_forms(world, browsing, sign_in):
    chaplain = add_to_team(world, "chris", "chaplain", "Chris", "Chaplain")
    carol = portal_user("carol", first="Carol", last="Anders")
    portal_access(world.alice, carol, relation=PortalRelation.CAREGIVER, scopes=["diary"])
    chris = sign_in(chaplain)
    chris.set_viewport_size(PHONE)
    open_portal_page(chris, world.alice)
    expect(chris.get_by_test_id("portal-account-carol")).to_be_visible()
    expect(chris.get_by_role("button", name="Suspend access")).to_have_count(0)
    expect(chris.get_by_role("button", name="Send the invitation")).to_have_count(0)
    check(browsing, chris, "portal-team-read-only", PHONE)
