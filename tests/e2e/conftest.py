"""Browser tests: the distribution's Chromium driven by Playwright against the live server.

Each test file signs in through the real login and authenticator pages (`sign_in`); every test
saves a full-page screenshot of each page it visits (test-results/screenshots/) and runs axe-core
on them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

PROJECT_DIR = Path(__file__).resolve().parents[2]
AXE_SOURCE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_DIR / "test-results" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Every impact axe-core reports fails a test, the minor and moderate ones too.
BLOCKING_IMPACTS = {"minor", "moderate", "serious", "critical", None}
PHONE = {"width": 390, "height": 844}
# Assertions wait as long as actions do: on a loaded two-core machine a page after a POST can
# take longer than Playwright's default five seconds to arrive.
EXPECT_TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 900}


expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: `make browser` installs the distribution's package")
    # Playwright's synchronous API keeps an event loop alive in this thread between calls,
    # which Django's ORM guard takes for async code. The tests themselves are synchronous, so
    # the guard is lifted while the browser is open, and restored after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module", autouse=True)
def _audit_trail_deletable(audit_trail_deletable: None) -> None:
    """Browser tests commit their data: see the root conftest."""


@pytest.fixture
def world(transactional_db: None, live_server: Any) -> Any:
    """The personas, committed so the live server's thread sees them."""
    from tests.support.personas import build_world

    # The cache holds rate-limit counters and used one-time codes; start each test afresh.
    cache.clear()
    return build_world()


class Browsing:
    """One test's browser windows: a context per person, screenshots named after the test."""

    def __init__(self, browser: Any, base_url: str, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.contexts: list[Any] = []
        self.problems: dict[Any, list[str]] = {}
        self.checker = AxeChecker()

    def new_page(self) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            timezone_id="America/New_York",
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(EXPECT_TIMEOUT_MS)
        problems: list[str] = []
        self.problems[page] = problems

        def on_console(message: Any) -> None:
            # A Content-Security-Policy violation means part of the page silently broke.
            if message.type == "error" and "Content Security Policy" in message.text:
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        return page

    def shot(self, page: Any, step: str) -> Path:
        """Save a full-page screenshot and fail on any CSP violation or script error so far."""
        page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        problems = self.problems.get(page, [])
        assert not problems, f"{step}: the page reported problems: {problems}"
        return path

    def axe_check(self, page: Any, step: str = "") -> None:
        axe_check(page, step=step, checker=self.checker)

    def nav(self, page: Any, name: str) -> None:
        """Follow the main menu's link `name`, opening the menu and its group as a person would."""
        follow_nav(page, name)

    def without_csp(self, page: Any) -> Any:
        return without_csp(page)

    def tap(self, page: Any, label: str, value: str) -> None:
        """Answer a 0-10 item by tapping its number on the scale, as a clinician would."""
        tap(page, label, value)

    def close(self) -> None:
        self.checker.close()
        for context in self.contexts:
            context.close()


def tap(page: Any, label: str, value: str) -> None:
    """Answer a 0-10 item by tapping its number on the scale labelled `label`."""
    group = page.get_by_role("group", name=re.compile(rf"^{re.escape(label)}\b"))
    group.locator("label.scale-option").get_by_text(value, exact=True).click()


def open_nav(page: Any, name: str) -> Any:
    """Show the main menu's link `name`: open the phone menu, then the link's group; return it."""
    menu = page.get_by_role("navigation", name="Main")
    # After a change of window size the menu script opens or closes the menu when the browser
    # next renders: let it, so that what is checked below is what the person would see.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    link = menu.get_by_role("link", name=name, exact=True)
    toggle = menu.locator("summary.nav-menu-toggle")
    if toggle.is_visible() and not menu.locator("details.nav-menu[open]").count():
        toggle.click()
    if not link.is_visible():
        # The link is hidden while its group is closed: find the group by the link's text.
        entry = page.locator("a.nav-link").get_by_text(name, exact=True)
        menu.locator("details.nav-group", has=entry).locator("summary").click()
    link.wait_for()
    return link


def follow_nav(page: Any, name: str) -> None:
    open_nav(page, name).click()


@contextmanager
def without_csp(page: Any) -> Iterator[Any]:
    """The page `page` shows, loaded again in a window that ignores Content-Security-Policy.

    The window carries the same cookies. Only the checks below use it: the pages the tests
    click through are served and run under the application's real policy.
    """
    context = page.context.browser.new_context(
        bypass_csp=True,
        storage_state=page.context.storage_state(),
        viewport=page.viewport_size,
        locale="en-US",
    )
    try:
        unprotected = context.new_page()
        response = unprotected.goto(page.url)
        assert response is not None
        yield unprotected
    finally:
        context.close()


# axe-core is fetched by the checking window from this address, answered from node_modules
# with a long cache lifetime: the window keeps it in its cache rather than being sent its
# 650 kB again on every check.
AXE_URL = "https://axe.invalid/axe.min.js"


class AxeChecker:
    """One window per person that ignores Content-Security-Policy, kept for a test's checks.

    Each check gives it the person's cookies as they are now and loads the page's address
    again, as `without_csp` does; keeping the window keeps its cache of the site's styles
    and scripts and of axe-core, which a new window would fetch and compile every time.
    """

    def __init__(self) -> None:
        self.windows: dict[Any, Any] = {}

    def window(self, page: Any) -> Any:
        context = page.context
        if context not in self.windows:
            unprotected = context.browser.new_context(
                bypass_csp=True,
                viewport=page.viewport_size,
                locale="en-US",
            )
            unprotected.route(
                AXE_URL,
                lambda route: route.fulfill(
                    path=str(AXE_SOURCE),
                    headers={
                        "Content-Type": "text/javascript",
                        "Cache-Control": "public, max-age=86400",
                    },
                ),
            )
            self.windows[context] = unprotected.new_page()
        window = self.windows[context]
        window.context.clear_cookies()
        window.context.add_cookies(context.cookies())
        return window

    def close(self) -> None:
        for window in self.windows.values():
            window.context.close()
        self.windows.clear()


def axe_check(page: Any, step: str = "", checker: AxeChecker | None = None) -> None:
    """Run axe-core on the page shown in `page` at 1280 px and at 390 px; fail on any violation.

    The application's Content-Security-Policy (script-src 'self') rightly refuses an injected
    script, so axe is injected into a copy of the page opened in a window that ignores the
    policy (Playwright's bypass_csp=True); that window is used for these checks only. The copy
    is checked at the window's width first, then at the other of the two widths every page
    must work at.
    """
    shown = page.viewport_size or DESKTOP
    other = DESKTOP if shown["width"] <= PHONE["width"] else PHONE
    found: list[dict[str, Any]] = []
    own = checker is None
    checker = checker or AxeChecker()
    try:
        checked = checker.window(page)
        checked.set_viewport_size(shown)
        response = checked.goto(page.url)
        if response is None:
            # The window was on the same page and only the #fragment differs: no request was
            # made, so load the page afresh as `without_csp` does.
            response = checked.reload()
        assert response is not None
        checked.add_script_tag(url=AXE_URL)
        for size in (shown, other):
            checked.set_viewport_size(size)
            results = checked.evaluate(
                """async () => {
                    const r = await axe.run(document, {resultTypes: ['violations']});
                    return r.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                    }));
                }"""
            )
            found += [
                {"width": size["width"], **v} for v in results if v["impact"] in BLOCKING_IMPACTS
            ]
        # Nothing a page shows may run, even without the policy's protection.
        assert checked.evaluate("() => window.__xss") is None, "markup from the data ran"
    finally:
        if own:
            checker.close()
    assert not found, f"axe on {step or page.url}:\n" + json.dumps(found, indent=2)


@pytest.fixture
def browsing(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Browsing]:
    session = Browsing(browser, live_server.url, request.node.name)
    yield session
    session.close()


@pytest.fixture
def page(browsing: Browsing) -> Any:
    return browsing.new_page()


def sign_in_through_pages(page: Any, user: Any, secret: str) -> None:
    """Sign `user` in on `page` through the login and authenticator pages, with the code of
    their authenticator `secret`, and wait for the signed-in page."""
    from tests.support.personas import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Enter your authenticator code").wait_for()
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Sign out").wait_for()


# The test files whose first sign-in went through the login and authenticator pages.
_SIGNED_IN_THROUGH_PAGES: set[str] = set()


@pytest.fixture
def sign_in(browsing: Browsing, request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Open a new browser window with `user` signed in; return its page.

    The first sign-in of each test file goes through the login and authenticator pages, as a
    person does (the tests of the sign-in pages themselves go through them every time). The
    others start from a session made on the server, as the pages would have made it (the
    password and the authenticator code recorded), and open the home page: the pages were
    seen working in that file, and 1.3-1.5 s a sign-in, a hundred times, is minutes of the
    suite's time.
    """
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.shortcuts import resolve_url
    from django.test import Client
    from tests.support.personas import login

    module = request.node.nodeid.split("::", 1)[0]

    def sign_in_as(user: Any) -> Any:
        secret = pyotp.random_base32()
        TOTP.activate(user, secret)
        page = browsing.new_page()
        if module not in _SIGNED_IN_THROUGH_PAGES:
            sign_in_through_pages(page, user, secret)
            _SIGNED_IN_THROUGH_PAGES.add(module)
            return page
        session = login(Client(), user).cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.value,
                    "url": browsing.base_url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
        page.goto(resolve_url(settings.LOGIN_REDIRECT_URL))
        page.get_by_role("button", name="Sign out").wait_for()
        return page

    return sign_in_as
