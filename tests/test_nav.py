"""The main menu is rendered once for each distinct menu and kept (core/templatetags/pallio.py,
`nav_groups`): each reader still sees their own links, in their own language, and the menu's
template reads nothing that the kept copy is not keyed on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from pallio.core.templatetags import pallio as tags

TEMPLATE = Path(tags.__file__).resolve().parents[2] / "templates" / tags.NAV_TEMPLATE
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def menu_of(client) -> str:
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    html = CSRF.sub("", response.content.decode())
    found = re.search(
        r'<ul class="navbar-nav nav-groups">.*?</ul>\s*<div class="nav-user">', html, re.S
    )
    assert found, "no menu on the page"
    return found.group(0)


def test_the_menu_reads_nothing_its_kept_copy_is_not_keyed_on():
    source = TEMPLATE.read_text()
    assert "{{" not in source  # no value printed: only links, shown or not
    tags_used = {tag.split()[0] for tag in re.findall(r"{%\s*(.*?)\s*%}", source)}
    assert tags_used <= {"load", "if", "elif", "else", "endif", "url", "translate"}, tags_used
    allowed = re.compile(r'^(or|and|not|can\.[a-z_]+|user\|can:"[a-z_.]+"|on_call_now)$')
    for condition in re.findall(r"{%\s*(?:el)?if\s+(.*?)\s*%}", source):
        for word in condition.split():
            assert allowed.match(word), f"the menu tests {word!r}: key the kept copy on it"
    for name in re.findall(r"{%\s*url\s+'([^']+)'\s*%}", source):
        assert reverse(name)  # each link is an address without arguments


@pytest.mark.django_db
def test_each_reader_sees_their_own_menu_in_their_language(world, as_user):
    staff = [*world.riverside_staff, world.hillside_coordinator, world.hillside_nurse]
    # Each reader's menu rendered afresh, with nothing kept...
    fresh = {}
    for user in staff:
        tags._nav_cache.clear()
        fresh[user.username] = menu_of(as_user(user))
    assert "Audit trail" in fresh[world.privacy.username]
    assert "Audit trail" not in fresh[world.navigator.username]
    assert "Caseload" in fresh[world.navigator.username]
    assert len(set(fresh.values())) >= 4  # the readers' menus differ
    # ...is the menu each one gets when everyone's menus are kept, in any order.
    tags._nav_cache.clear()
    for user in [*staff, *reversed(staff)]:
        assert menu_of(as_user(user)) == fresh[user.username], user.username
    # In Spanish, the navigator's menu is in Spanish; back in English, in English.
    world.navigator.language = "es"
    world.navigator.save(update_fields=["language"])
    spanish = menu_of(as_user(world.navigator))
    assert "Pacientes" in spanish and "Patients" not in spanish
    world.navigator.language = "en"
    world.navigator.save(update_fields=["language"])
    assert menu_of(as_user(world.navigator)) == fresh[world.navigator.username]
