"""The main menu and the wide worklists at 1280 px and on a phone (390 px).

At 1280 px the menu is one line: a few entries whose links open below them. At 390 px the
whole menu sits behind one "Menu" button. Every control of the menu is at least 44 px high,
and the wide tables scroll inside their own box, never the page.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import DESKTOP, PHONE, open_nav

pytestmark = pytest.mark.browser

# Every link of the main menu, in the group it sits in ("" for the bar itself).
GROUPS = {
    "Find a patient": "",
    "Caseload": "Patients",
    "Referrals": "Patients",
    "Phone referral": "Patients",
    "Hospital messages": "Patients",
    "My schedule": "Care",
    "Team schedule": "Care",
    "Visits overdue": "Care",
    "Tasks": "Care",
    "Alerts": "Care",
    "Messages": "Care",
    "Notes to sign": "Care",
    "Team meetings": "Care",
    "Care reviews": "Care",
    "Medication review": "Care",
    "Advance care planning": "Care",
    "Hospice": "Care",
    "Bereavement": "Care",
    "Open orders": "Care",
    "Directory of agencies": "Program",
    "24/7 line": "Program",
    "On-call roster": "Program",
    "Audit trail": "Program",
}


def menu_links(page: Any) -> list[str]:
    """The names of the main menu's links this person has, shown or inside a closed group."""
    links = page.get_by_role("navigation", name="Main").locator("a.nav-link")
    return links.evaluate_all("links => links.map(a => a.textContent.trim())")


def short_controls(page: Any) -> list[str]:
    """The main menu's shown links and buttons less than 44 px high."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
                'nav[aria-label="Main"] :is(a, summary, button)'))
            .filter(e => e.checkVisibility())
            .map(e => [e.textContent.trim(), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)
            .map(([t, h]) => `${t}: ${h}px`)"""
    )


def fits(page: Any) -> None:
    """Nothing reaches past the window's right edge: the page never scrolls sideways."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .filter(e => e.checkVisibility() && !e.closest('.table-responsive'))
            .slice(0, 5).map(e => e.outerHTML.slice(0, 120))"""
    )
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the window: {wide}"


def test_the_menu_is_one_line_at_1280_px_and_every_link_opens(
    world: Any, sign_in: Any, browsing: Any
) -> None:
    seen: set[str] = set()
    for person in world.riverside_staff:
        page = sign_in(person)
        bar = page.get_by_role("navigation", name="Main")
        # One line: the bar is no taller than one row of 44 px controls and its padding.
        height = bar.evaluate("nav => nav.getBoundingClientRect().height")
        assert height <= 64, f"{person.username}: the menu is {height} px high"
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        names = menu_links(page)
        assert names, person.username
        for name in names:
            link = open_nav(page, name)
            expect(link).to_be_visible()
            group = GROUPS[name]
            if group:
                # The group's button says whether it is open.
                summary = bar.locator("details.nav-group[open] > summary")
                expect(summary).to_have_text(group)
            assert not short_controls(page), short_controls(page)
        seen.update(names)
        browsing.shot(page, f"menu-{person.username}")
    # Between them the program's people use every link of the menu.
    assert seen == set(GROUPS), set(GROUPS) - seen


def test_the_menu_works_from_the_keyboard(world: Any, sign_in: Any, browsing: Any) -> None:
    nina = sign_in(world.navigator)
    bar = nina.get_by_role("navigation", name="Main")
    care = bar.locator("summary", has_text="Care")
    care.focus()
    nina.keyboard.press("Enter")
    expect(bar.get_by_role("link", name="Tasks", exact=True)).to_be_visible()
    browsing.shot(nina, "care-open")
    browsing.axe_check(nina, "menu with a group open")
    # Escape closes the group and leaves the focus on its button.
    nina.keyboard.press("Escape")
    expect(bar.get_by_role("link", name="Tasks", exact=True)).to_be_hidden()
    expect(care).to_be_focused()
    # One group open at a time.
    nina.keyboard.press("Enter")
    bar.locator("summary", has_text="Patients").click()
    expect(bar.get_by_role("link", name="Caseload", exact=True)).to_be_visible()
    expect(bar.get_by_role("link", name="Tasks", exact=True)).to_be_hidden()
    nina.keyboard.press("Tab")
    expect(bar.get_by_role("link", name="Caseload", exact=True)).to_be_focused()
    nina.keyboard.press("Enter")
    expect(nina.get_by_role("heading", name="My caseload")).to_be_visible()


def test_on_a_phone_the_menu_is_one_button(world: Any, sign_in: Any, browsing: Any) -> None:
    owen = sign_in(world.oncall)
    owen.set_viewport_size(PHONE)
    bar = owen.get_by_role("navigation", name="Main")
    menu = bar.locator("summary", has_text="Menu")
    expect(menu).to_be_visible()
    expect(owen.get_by_role("button", name="Sign out")).to_be_hidden()
    # Who is on call stays in view on every page, outside the menu.
    expect(owen.get_by_test_id("on-call-now")).to_be_visible()
    fits(owen)
    assert not short_controls(owen), short_controls(owen)
    browsing.shot(owen, "phone-closed")
    menu.click()
    expect(owen.get_by_role("button", name="Sign out")).to_be_visible()
    bar.locator("summary", has_text="Program").click()
    expect(bar.get_by_role("link", name="On-call roster")).to_be_visible()
    assert not short_controls(owen), short_controls(owen)
    fits(owen)
    browsing.shot(owen, "phone-open")
    browsing.axe_check(owen, "phone menu open")
    # Escape closes the group, then the menu.
    owen.keyboard.press("Escape")
    owen.keyboard.press("Escape")
    expect(owen.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(menu).to_be_focused()
    # A wide window shows the menu again, whatever it was on the phone.
    owen.set_viewport_size(DESKTOP)
    expect(owen.get_by_role("button", name="Sign out")).to_be_visible()
    owen.set_viewport_size(PHONE)
    menu.click()
    owen.get_by_role("button", name="Sign out").click()
    expect(owen.get_by_role("button", name="Sign out")).to_have_count(0)


@pytest.mark.parametrize(
    ("persona", "link", "heading"),
    [
        ("coordinator", "Referrals", "Referral queue"),
        ("navigator", "Caseload", "My caseload"),
        ("navigator", "Alerts", "Alert worklist"),
        ("navigator", "Advance care planning", "Advance care planning worklists"),
        ("privacy", "Audit trail", "Audit trail"),
    ],
)
def test_the_worklists_fit_a_phone(
    world: Any, sign_in: Any, browsing: Any, persona: str, link: str, heading: str
) -> None:
    from pallio.referrals.tests.factories import enrolled_referral

    # A referral waiting in the queue, and on the chart of a patient of the navigator.
    enrolled_referral(world, accept=False)
    page = sign_in(getattr(world, persona))
    page.set_viewport_size(PHONE)
    browsing.nav(page, link)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    browsing.shot(page, "phone")
    fits(page)
    assert not short_controls(page), short_controls(page)
    table = page.locator("main table")
    if table.count():
        # The table scrolls inside its own named box, which the keyboard can reach.
        box = page.locator("main .table-responsive[role=region][tabindex='0']")
        expect(box).to_have_count(1)
        assert box.evaluate("b => b.getBoundingClientRect().right") <= PHONE["width"]
    browsing.axe_check(page, f"{heading} at 390 px")
    page.set_viewport_size(DESKTOP)
    fits(page)
    browsing.shot(page, "desktop")
