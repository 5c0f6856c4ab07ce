"""The program administrator invites a nurse by email; she opens the link, chooses a username
and password, sets up her authenticator and signs in; the administrator deactivates her and
she is refused. A taken username and an expired link get a clear message."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from pallio.accounts.models import Invitation, User
from pallio.accounts.tests.admins import riverside_admin

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lantern meadow copper tide"


def test_admin_invites_a_nurse_who_signs_in_then_is_deactivated(
    world, browsing, sign_in, mail_server
):
    mail_server.start()
    ada = sign_in(riverside_admin(world))
    browsing.nav(ada, "Staff")
    expect(ada.get_by_role("heading", name="Staff of Riverside Palliative Care")).to_be_visible()
    browsing.shot(ada, "staff")
    browsing.axe_check(ada, "the staff page")

    ada.get_by_role("link", name="Invite someone by email").click()
    ada.get_by_label("First name").fill("Nora")
    ada.get_by_label("Last name").fill("Nurse")
    ada.get_by_label("Email address").fill("nora@example.org")
    ada.get_by_label("Discipline").select_option(label="Palliative nurse")
    browsing.axe_check(ada, "the invitation form")
    ada.get_by_role("button", name="Send the invitation").click()
    expect(ada.get_by_text("An invitation was emailed to nora@example.org")).to_be_visible()

    message = mail_server.inbox.messages[-1]
    body = message.get_content()
    link = re.search(r"https?://\S+/invitation/\S+/", body)
    assert link, body

    nora = browsing.new_page()
    nora.goto(link.group(0))
    expect(nora.get_by_role("heading", name="Join Riverside Palliative Care")).to_be_visible()
    browsing.axe_check(nora, "the invitation link")
    # A taken username: a clear message, and the link still works.
    nora.get_by_label("Username").fill("nina")
    nora.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    nora.get_by_label("Password again").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Create my account").click()
    expect(nora.get_by_text("That username is taken. Choose another one.")).to_be_visible()
    browsing.shot(nora, "username-taken")
    nora.get_by_label("Username").fill("nora")
    nora.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    nora.get_by_label("Password again").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Create my account").click()

    # Her second factor: the secret shown on the set-up page, a code from it.
    secret_box = nora.locator("#authenticator_secret")
    secret_box.wait_for()
    totp = pyotp.TOTP(secret_box.input_value())
    nora.get_by_label(re.compile("Authenticator code", re.I)).fill(totp.now())
    nora.get_by_role("button", name=re.compile("Activate", re.I)).click()
    nora.wait_for_load_state("load")
    browsing.shot(nora, "factor-set-up")

    # She signs in with her password and a fresh code.
    nora.context.clear_cookies()
    nora.goto("/accounts/login/")
    nora.get_by_label("Username").fill("nora")
    nora.get_by_label("Password").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Sign in").click()
    nora.get_by_role("heading", name="Enter your authenticator code").wait_for()
    nora.get_by_label("Six-digit code").fill(totp.at(time.time() + 30))
    nora.get_by_role("button", name="Continue").click()
    nora.get_by_role("button", name="Sign out").wait_for()
    assert User.objects.get(username="nora").program == world.riverside

    # The administrator deactivates her: her open session ends at once.
    browsing.nav(ada, "Staff")
    ada.get_by_role("link", name="Nora Nurse").click()
    browsing.axe_check(ada, "a staff member's page")
    ada.get_by_role("button", name="Deactivate Nora Nurse").click()
    expect(ada.get_by_text("Nora Nurse is deactivated")).to_be_visible()
    nora.goto("/caseload/")
    expect(nora.get_by_role("heading", name="Sign in to Pallio")).to_be_visible()
    nora.get_by_label("Username").fill("nora")
    nora.get_by_label("Password").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Sign in").click()
    expect(nora.get_by_role("button", name="Sign out")).to_have_count(0)


def test_an_expired_invitation_gets_a_clear_page(world, browsing, sign_in, mail_server):
    mail_server.start()
    ada = sign_in(riverside_admin(world))
    ada.goto("/staff/invite/")
    ada.get_by_label("First name").fill("Nora")
    ada.get_by_label("Last name").fill("Nurse")
    ada.get_by_label("Email address").fill("nora@example.org")
    ada.get_by_role("button", name="Send the invitation").click()
    expect(ada.get_by_text("An invitation was emailed")).to_be_visible()
    link = re.search(r"https?://\S+/invitation/\S+/", mail_server.inbox.messages[-1].get_content())
    assert link
    invitation = Invitation.objects.get()
    invitation.expires_at = invitation.created_at - timedelta(minutes=1)
    invitation.save(update_fields=["expires_at"])
    visitor = browsing.new_page()
    visitor.goto(link.group(0))
    expect(visitor.get_by_test_id("invitation-refused")).to_contain_text("has expired")
    browsing.shot(visitor, "expired")
    browsing.axe_check(visitor, "an expired invitation")
    assert not User.objects.filter(username="nora").exists()
