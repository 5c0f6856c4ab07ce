"""Who reaches what in the portal, in the browser at 360 px and 1280 px with axe-core on every
page: a caregiver accepts an invitation (the link then says it was used; an expired one says
so); a caregiver with the diary only sees the diary and is refused the papers; the patient
removes that caregiver and the caregiver's next page is refused at once; an adolescent's
private message is hidden from the parent's account; the caregiver check-in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from pallio.core import clock
from pallio.portal.models import PortalAccess, PortalInvitation, PortalScope
from pallio.portal.tests.factories import PORTAL_PASSWORD, caregiver_account, patient_account
from pallio.portal.tests.helpers import family_member, token_in

pytestmark = pytest.mark.browser

PORTAL_PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
SIZES = pytest.mark.parametrize("size", [PORTAL_PHONE, DESKTOP], ids=["360", "1280"])
NEW_PASSWORD = "harbour willow candle 77"
REFUSAL = "This page is not open to your account. If you think it should be, call the care team."


def portal_sign_in(browsing: Any, user: Any, size: dict[str, int]) -> Any:
    page = browsing.new_page()
    page.set_viewport_size(size)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def check(browsing: Any, page: Any, step: str, size: dict[str, int]) -> None:
    """No sideways scrolling, a screenshot, and axe-core at both widths."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{step}: the page is {overflow} px wider than {size['width']} px"
    browsing.shot(page, f"{step}-{size['width']}")
    browsing.axe_check(page, f"{step} at {size['width']} px")


def invite(world: Any, live_server: Any, scopes: list[str]) -> tuple[PortalInvitation, str]:
    from pallio.portal.invitations import portal_invitation_create

    invitation = portal_invitation_create(
        actor=world.navigator,
        patient=world.alice,
        email="andrew@example.org",
        person=family_member(world.alice),
        scopes=scopes,
        link_for=lambda token: f"{live_server.url}/portal/invitation/{token}/",
    )
    return invitation, token_in(mail.outbox[-1])


@SIZES
def test_a_caregiver_accepts_an_invitation_once(world, browsing, live_server, size):
    _invitation, token = invite(world, live_server, [PortalScope.DIARY])
    link = f"/portal/invitation/{token}/"
    page = browsing.new_page()
    page.set_viewport_size(size)
    page.goto(link)
    expect(page.get_by_role("heading", name="Create your account", level=1)).to_be_visible()
    expect(page.get_by_text("invites you to follow Alice's care online")).to_be_visible()
    check(browsing, page, "invitation", size)

    # Two different passwords: a clear message, nothing made.
    page.get_by_label("Username", exact=True).fill("andrew")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill("something else entirely 1")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("The two passwords differ. Type the same one twice.")).to_be_visible()
    assert not PortalAccess.objects.filter(user__username="andrew").exists()
    check(browsing, page, "invitation-error", size)

    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Your account is ready.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    access = PortalAccess.objects.get(user__username="andrew")
    assert (access.patient, access.scopes) == (world.alice, ["diary"])
    check(browsing, page, "invitation-accepted", size)

    # The same link again, in a fresh window: it was used.
    again = browsing.new_page()
    again.set_viewport_size(size)
    response = again.goto(link)
    assert response is not None and response.status == 410
    expect(again.get_by_test_id("invitation-refused")).to_have_text(
        "This invitation link was used already. Sign in with the username you chose."
    )
    check(browsing, again, "invitation-used", size)

    # An expired link says so, and changes nothing.
    expired, old_token = invite(world, live_server, [PortalScope.DIARY])
    PortalInvitation.objects.filter(pk=expired.pk).update(
        expires_at=clock.now() - timedelta(hours=1)
    )
    response = again.goto(f"/portal/invitation/{old_token}/")
    assert response is not None and response.status == 410
    expect(again.get_by_test_id("invitation-refused")).to_have_text(
        "This invitation link has expired. Ask the care team for a new one."
    )
    check(browsing, again, "invitation-expired", size)
    assert PortalAccess.objects.filter(patient=world.alice).count() == 1


@SIZES
def test_a_diary_only_caregiver_sees_the_diary_not_the_papers_until_removed(world, browsing, size):
    from pallio.portal.tests.home_factories import full_home

    home = full_home(world)
    carla = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    page = portal_sign_in(browsing, carla, size)
    page.goto(f"/portal/{world.alice.pk}/")
    expect(page.get_by_role("heading", name="Symptom diary", level=2)).to_be_visible()
    expect(page.get_by_role("link", name="Fill in the diary")).to_be_visible()
    expect(page.get_by_role("heading", name="Papers to download")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Visit summary"))).to_have_count(0)
    check(browsing, page, "caregiver-home", size)

    for address in (
        f"/portal/{world.alice.pk}/summaries/{home.summary.visit_id}/",
        f"/portal/{world.alice.pk}/documents/{home.directive.pk}/",
    ):
        response = page.goto(address)
        assert response is not None and response.status == 403, address
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.get_by_test_id("refusal")).to_have_text(REFUSAL)
        expect(page.get_by_text("Nothing was changed.")).to_be_visible()
    check(browsing, page, "caregiver-refused-papers", size)

    # The patient removes Carla on "Who can see my care".
    alice = portal_sign_in(browsing, patient_account(world.alice), size)
    alice.goto(f"/portal/{world.alice.pk}/people/")
    expect(alice.get_by_role("heading", name="Who can see my care", level=1)).to_be_visible()
    card = alice.get_by_test_id("caregiver-carla.family")
    expect(card.get_by_role("checkbox", name=re.compile("diary", re.I))).to_be_checked()
    check(browsing, alice, "people", size)
    card.get_by_role("button", name=re.compile("^Remove access for ")).click()
    expect(alice.get_by_text(re.compile("no longer has access"))).to_be_visible()
    expect(alice.get_by_test_id("caregiver-carla.family")).to_have_count(0)
    check(browsing, alice, "people-removed", size)

    # Carla, still signed in in her own window, is refused at once.
    response = page.goto(f"/portal/{world.alice.pk}/")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("refusal")).to_have_text(REFUSAL)
    expect(page.get_by_role("link", name="Fill in the diary")).to_have_count(0)
    response = page.goto(f"/portal/{world.alice.pk}/diary/")
    assert response is not None and response.status == 403
    check(browsing, page, "caregiver-after-removal", size)


@SIZES
def test_an_adolescents_private_message_is_hidden_from_the_parent(world, browsing, size):
    from pallio.messaging.models import Thread

    today = clock.today_in(world.riverside.timezone)
    type(world.alice).objects.filter(pk=world.alice.pk).update(
        birth_date=today.replace(year=today.year - 15) - timedelta(days=40)
    )
    teen = portal_sign_in(browsing, patient_account(world.alice), size)
    teen.goto(f"/portal/{world.alice.pk}/messages/new/")
    teen.get_by_label("What is it about?").fill("Just for the team")
    teen.get_by_label("Your message").fill("Please do not tell my parents about this.")
    teen.get_by_label(re.compile("^Keep this private")).check()
    check(browsing, teen, "teen-new-private-message", size)
    teen.get_by_role("button", name="Send").click()
    expect(teen.get_by_role("heading", name="Just for the team")).to_be_visible()
    thread = Thread.objects.get(patient=world.alice)
    assert thread.confidential

    parent = caregiver_account(world.alice, "pat.parent", [PortalScope.MESSAGES])
    page = portal_sign_in(browsing, parent, size)
    page.goto(f"/portal/{world.alice.pk}/messages/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Just for the team")).to_have_count(0)
    check(browsing, page, "parent-messages", size)
    response = page.goto(f"/portal/{world.alice.pk}/messages/{thread.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_text("Please do not tell my parents")).to_have_count(0)
    check(browsing, page, "parent-refused-thread", size)


@SIZES
def test_a_caregiver_check_in_with_many_needs_shows_support(world, browsing, size):
    from pallio.assessments.services import instruments_sync_shipped
    from pallio.careplans.models import Task
    from pallio.coordination.models import Agency
    from pallio.episodes.services import care_team_add

    instruments_sync_shipped()
    care_team_add(
        actor=None, episode=world.alice.episodes.get(status="active"), user=world.social_worker
    )
    Agency.objects.create(program=world.riverside, kind="support_group", name="Caregivers Circle")
    carla = caregiver_account(world.alice, "carla.family", [PortalScope.DIARY])
    page = portal_sign_in(browsing, carla, size)
    page.goto(f"/portal/{world.alice.pk}/")
    page.get_by_role("link", name="How are you doing? A check-in for caregivers").click()
    expect(page.get_by_role("heading", name="How are you doing?", level=1)).to_be_visible()
    expect(page.get_by_text("Caregivers Circle")).to_be_visible()
    check(browsing, page, "checkin", size)

    for fieldset in page.locator("fieldset.diary-item").all()[:4]:
        fieldset.get_by_text("Yes", exact=True).click()
    page.get_by_label(re.compile("^Anything else the team should know")).fill("Tired.")
    page.get_by_role("button", name="Send my check-in").click()
    expect(page.get_by_text(re.compile("social worker will call you"))).to_be_visible()
    expect(page.get_by_text("Caregivers Circle")).to_be_visible()
    check(browsing, page, "checkin-sent", size)
    assert Task.objects.filter(patient=world.alice, discipline="social_worker").count() == 1
