"""The pages a throttled person sees say why and when to come back, at phone and desk widths,
and pass axe (SECURITY.md 10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect
from tests.e2e.conftest import AXE_SOURCE, BLOCKING_IMPACTS
from tests.support.personas import PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)


def open_page(browser: Any, base_url: str, width: int, *, for_axe: bool) -> Any:
    """A window at `width`. The axe window ignores Content-Security-Policy so that axe can be
    injected; these throttled pages answer a POST, so axe runs on the page the POST showed."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": 900},
        locale="en-US",
        bypass_csp=for_axe,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def axe_here(page: Any) -> None:
    page.add_script_tag(path=str(AXE_SOURCE))
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help}));
        }"""
    )
    blocking = [v for v in results if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, json.dumps(blocking, indent=2)


def fits(page: Any) -> None:
    """Nothing wider than the window: no sideways scrolling at 390 px."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow


def each_width(
    browser: Any, browsing: Any, step: Callable[[Any], Any], check: Callable[[Any], None]
) -> None:
    for width in WIDTHS:
        for for_axe in (False, True):
            page = open_page(browser, browsing.base_url, width, for_axe=for_axe)
            try:
                step(page)
                check(page)
                fits(page)
                if for_axe:
                    axe_here(page)
                else:
                    browsing.shot(page, f"{width}")
            finally:
                page.context.close()


def sign_in_password(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_locked_sign_in_says_why_and_when(world, browser, browsing):
    username = world.coordinator.username

    def step(page: Any) -> None:
        for _ in range(6):
            sign_in_password(page, username, "not the password 123")

    def check(page: Any) -> None:
        expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
        expect(page.get_by_text("Try again in 15 minutes")).to_be_visible()
        expect(page.get_by_text("this username from another address, can still")).to_be_visible()

    each_width(browser, browsing, step, check)


def test_too_many_wrong_codes_say_why_and_when(world, browser, browsing):
    secret = pyotp.random_base32()
    TOTP.activate(world.coordinator, secret)

    def step(page: Any) -> None:
        sign_in_password(page, world.coordinator.username, PASSWORD)
        for _ in range(6):
            page.get_by_label("Six-digit code").fill("000000")
            page.get_by_role("button", name="Continue").click()
            if page.get_by_role("heading", name="Too many wrong authenticator codes").count():
                return

    def check(page: Any) -> None:
        expect(
            page.get_by_role("heading", name="Too many wrong authenticator codes")
        ).to_be_visible()
        expect(page.get_by_text("Try again in 5 minutes")).to_be_visible()

    each_width(browser, browsing, step, check)


def test_a_rate_limited_public_form_says_why_and_when(world, browser, browsing, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 0

    def step(page: Any) -> None:
        page.goto("/p/riverside/refer/")
        page.get_by_role("button", name="Send referral").click()

    def check(page: Any) -> None:
        expect(
            page.get_by_role("heading", name="Too many referrals sent through this form")
        ).to_be_visible()
        expect(page.get_by_text("this referral was not saved")).to_be_visible()

    each_width(browser, browsing, step, check)
