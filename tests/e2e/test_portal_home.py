"""The portal's home page in the browser, at 360 px and 1280 px, axe-core clean: the patient
sees every section; the portal in Spanish (chosen on the page, kept on the account); a visit
summary downloaded as a PDF."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from pallio.portal.tests.factories import PORTAL_PASSWORD, patient_account
from pallio.portal.tests.home_factories import PATIENTS_WORDS, full_home

pytestmark = pytest.mark.browser

PORTAL_PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def portal_sign_in(browsing: Any, user: Any, size: dict[str, int]) -> Any:
    from allauth.mfa.totp.internal.auth import TOTP

    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    page = browsing.new_page()
    page.set_viewport_size(size)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name=re.compile("Sign out|Cerrar sesión")).wait_for()
    return page


def assert_fits_and_taps(page: Any, width: int) -> None:
    """No sideways scrolling; every control of the page at least 44 px tall."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    small = page.evaluate(
        """() => [...document.querySelectorAll('main a, main button, header a, header button')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim(), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)"""
    )
    assert not small, f"tap targets under 44 px: {small}"


def assert_landmarks(page: Any) -> None:
    for role in ("banner", "navigation", "main", "contentinfo"):
        expect(page.get_by_role(role).first).to_be_visible()


@pytest.mark.parametrize("size", [PORTAL_PHONE, DESKTOP], ids=["360", "1280"])
def test_the_patient_sees_every_section(world, browsing, size):
    home = full_home(world)
    page = portal_sign_in(browsing, patient_account(world.alice), size)
    expect(page.get_by_role("heading", name="Your care", level=1)).to_be_visible()
    for heading in (
        "Call us any time",
        "Your next visits",
        "Your team",
        "What matters most",
        "Your medicines",
        "Papers to download",
    ):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    expect(page.get_by_text("Nina Navigator")).to_be_visible()
    expect(page.get_by_text(PATIENTS_WORDS)).to_be_visible()
    join = page.get_by_role("link", name=re.compile("^Join the video visit"))
    expect(join).to_have_attribute("href", home.video.join_url)
    assert_landmarks(page)
    assert_fits_and_taps(page, size["width"])
    browsing.shot(page, f"home-{size['width']}")
    browsing.axe_check(page, "portal home")


@pytest.mark.parametrize("size", [PORTAL_PHONE, DESKTOP], ids=["360", "1280"])
def test_the_portal_in_spanish(world, browsing, size):
    full_home(world)
    user = patient_account(world.alice)
    page = portal_sign_in(browsing, user, size)
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Su cuidado", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    for heading in ("Llámenos a cualquier hora", "Sus próximas visitas", "Su equipo"):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    # A date in Spanish: "miércoles, 2 de diciembre de 2026".
    visits = page.get_by_test_id("portal-visits")
    expect(visits).to_contain_text(re.compile(r"\d{1,2} de [a-z]+ de \d{4}"))
    expect(visits.locator("strong").first).to_have_text(
        re.compile(r"^(lunes|martes|miércoles|jueves|viernes|sábado|domingo), ")
    )
    expect(page.get_by_role("button", name="English")).to_be_visible()
    user.refresh_from_db()
    assert user.language == "es"
    assert_fits_and_taps(page, size["width"])
    browsing.shot(page, f"spanish-{size['width']}")
    browsing.axe_check(page, "portal home in Spanish")


def test_a_visit_summary_downloads(world, browsing):
    full_home(world)
    page = portal_sign_in(browsing, patient_account(world.alice), PORTAL_PHONE)
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^Visit summary, ")).click()
    download = info.value
    assert download.suggested_filename.startswith("visit-summary-")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
