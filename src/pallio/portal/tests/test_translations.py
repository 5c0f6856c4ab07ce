"""Every portal string has a Spanish translation, and the Spanish pages show no English.

The messages are found by place (catalogue_helpers): every portal template, the templates
they include or extend, and every portal Python module, so a string added anywhere in the
portal fails here until the catalogue translates it (regenerate with `make messages`,
translate, `make catalogues`).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse
from tests.support.personas import login

from pallio.core.catalogues import catalogues
from pallio.portal.tests.catalogue_helpers import (
    PORTAL_APP,
    SOURCE_ROOT,
    portal_messages,
    portal_modules,
    portal_templates,
)
from pallio.portal.tests.factories import caregiver_account, patient_account
from pallio.portal.tests.home_factories import full_home

PORTAL_CATALOGUE = PORTAL_APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def spanish_entries() -> dict[tuple[str, str], polib.POEntry]:
    """The Spanish entries of every catalogue (portal and staff layout), by (context, msgid)."""
    entries: dict[tuple[str, str], polib.POEntry] = {}
    for path in catalogues():
        if path.parts[-3] != "es":
            continue
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                entries.setdefault((entry.msgctxt or "", entry.msgid), entry)
    return entries


def translated(entry: polib.POEntry) -> bool:
    if entry.fuzzy:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(v.strip() for v in entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


def test_the_search_finds_the_portal_sources():
    templates = {str(p.relative_to(SOURCE_ROOT)) for p in portal_templates()}
    assert "portal/templates/portal/base.html" in templates
    assert "portal/templates/portal/_team_section.html" in templates
    # Shared templates the portal includes are the portal's too.
    assert "templates/_language_chooser.html" in templates
    modules = {str(p.relative_to(SOURCE_ROOT)) for p in portal_modules()}
    assert "portal/home_selectors.py" in modules
    assert not any("/tests/" in m or "/migrations/" in m for m in modules)
    messages = {m.msgid for m in portal_messages()}
    assert {"Your team", "Nurse who guides your care", "%(times)s time a day"} <= messages


def test_every_portal_string_has_a_spanish_translation():
    entries = spanish_entries()
    missing = sorted(
        {
            f"{m.source}: {m.msgid!r}" + (f" (context {m.context!r})" if m.context else "")
            for m in portal_messages()
            if not (entry := entries.get((m.context, m.msgid))) or not translated(entry)
        }
    )
    assert not missing, (
        "These portal strings have no Spanish translation (run `make messages`, translate "
        "them in the .po, then `make catalogues`):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: str(Path(p).relative_to(SOURCE_ROOT)))
def test_no_catalogue_keeps_a_fuzzy_or_empty_entry(path):
    catalogue = polib.pofile(str(path))
    loose = [e.msgid for e in catalogue if not e.obsolete and not translated(e)]
    assert not loose, f"{path.name}: untranslated or fuzzy: {loose}"
    assert catalogue.metadata.get("Language") == path.parts[-3]


class _Text(HTMLParser):
    """What a reader sees or hears: text, and the labels of landmarks and controls."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1
        for name, value in attrs:
            if name in {"aria-label", "title", "alt"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def shown_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_phrases() -> list[str]:
    """The portal's English phrases of two words or more that Spanish says differently."""
    catalogue = polib.pofile(str(PORTAL_CATALOGUE))
    return [
        e.msgid
        for e in catalogue
        if not e.msgid_plural
        and "%(" not in e.msgid
        and len(e.msgid.split()) >= 2
        and e.msgstr
        and e.msgstr != e.msgid
    ]


@pytest.mark.django_db
def test_the_spanish_portal_shows_no_english_phrase(world):
    full_home(world)
    patient = patient_account(world.alice)
    patient.language = "es"
    patient.save(update_fields=["language"])
    cousin = caregiver_account(world.alice, "cousin", scopes=[])
    caregiver_account(world.bob, "cousin2", scopes=[])
    pages = []
    client = login(Client(), patient)
    pages.append(client.get(reverse("portal:patient_home", args=[world.alice.pk])))
    cousin.language = "es"
    cousin.save(update_fields=["language"])
    other = login(Client(), cousin)
    pages.append(other.get(reverse("portal:patient_home", args=[world.alice.pk])))
    phrases = english_phrases()
    for response in pages:
        assert response.status_code == 200
        assert response["Content-Language"] == "es"
        text = shown_text(response.content.decode())
        left = [p for p in phrases if p in text]
        assert not left, f"English on a Spanish page: {left}"
