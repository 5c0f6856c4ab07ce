"""The program administrator invites a nurse by email; she opens the link, chooses a username
and password, sets up her authenticator and signs in; the administrator deactivates her and
she is refused. A taken username and an expired link get a clear message. The administrator
starts a new program, whose first administrator is invited by email."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from pallio.accounts.models import Invitation, User
from pallio.accounts.tests.admins import riverside_admin
from pallio.programs.models import Program

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lantern meadow copper tide"
# The first of the two password fields (the second is "Password again").
FIRST_PASSWORD = re.compile(r"^Password\b(?!\s+again)")


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
    nora.get_by_label("First name").fill("Nora")
    nora.get_by_label("Last name").fill("Nurse")
    nora.get_by_label("Username").fill("nina")
    nora.get_by_label(FIRST_PASSWORD).fill(NEW_PASSWORD)
    nora.get_by_label("Password again").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Create my account").click()
    expect(nora.get_by_text("That username is taken. Choose another one.")).to_be_visible()
    browsing.shot(nora, "username-taken")
    nora.get_by_label("Username").fill("nora")
    nora.get_by_label(FIRST_PASSWORD).fill(NEW_PASSWORD)
    nora.get_by_label("Password again").fill(NEW_PASSWORD)
    nora.get_by_role("button", name="Create my account").click()

    # Her second factor: the secret shown on the set-up page, a code from it.
    secret_box = nora.locator("#authenticator_secret")
    secret_box.wait_for()
    browsing.axe_check(nora, "setting up the authenticator")
    # The check opened the page again, and each opening draws a new key: read the latest.
    nora.reload()
    secret_box.wait_for()
    totp = pyotp.TOTP(secret_box.input_value())
    nora.get_by_label("Six-digit code from the app").fill(totp.now())
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


def test_admin_starts_a_program_whose_first_administrator_is_invited(
    world, browsing, sign_in, mail_server
):
    mail_server.start()
    ada = sign_in(riverside_admin(world))
    browsing.nav(ada, "Staff")
    ada.get_by_role("link", name="Start a new program").click()
    ada.get_by_label("Program name").fill("Hilltown Supportive Care")
    ada.get_by_label("Short name for addresses").fill("hilltown")
    ada.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    ada.get_by_label("Administrator's first name").fill("Hana")
    ada.get_by_label("Administrator's last name").fill("Hill")
    ada.get_by_label("Administrator's email address").fill("hana@example.org")
    ada.get_by_role("button", name="Create the program and send the invitation").click()
    # A time zone that does not exist: a clear message, and no program, no email.
    expect(ada.get_by_text("There is no time zone called")).to_be_visible()
    browsing.axe_check(ada, "a new program with a wrong time zone")
    assert not Program.objects.filter(slug="hilltown").exists()
    assert mail_server.inbox.messages == []

    ada.get_by_label("Time zone").fill("America/Chicago")
    ada.get_by_role("button", name="Create the program and send the invitation").click()
    ada.wait_for_load_state("load")
    browsing.shot(ada, "program-started")
    hilltown = Program.objects.get(slug="hilltown")
    assert hilltown.timezone == "America/Chicago" and hilltown.name == "Hilltown Supportive Care"

    link = re.search(r"https?://\S+/invitation/\S+/", mail_server.inbox.messages[-1].get_content())
    assert link
    hana = browsing.new_page()
    hana.goto(link.group(0))
    expect(hana.get_by_role("heading", name="Join Hilltown Supportive Care")).to_be_visible()
    expect(hana.get_by_text("program administrator")).to_be_visible()
