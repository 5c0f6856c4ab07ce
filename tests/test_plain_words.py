"""Plain words everywhere: no page shows an internal code where a person reads.

Every page of the URL walk (tests/security/test_url_access.py) is rendered as a user who may
open it, over a world with the data a real program has: medications with RxNorm codes and
decimal doses, phone numbers, symptom reports on the shipped instruments, a care plan, an
advance care plan, calls, stays, audit events. The text a person sees (not scripts, styles,
attribute values or hidden inputs; the text of a PDF) must not hold:

- a key from the project's catalogues: instrument keys, alert rule keys, medication catalogue
  keys, audit event keys, and every choice value that is a code rather than a word (roles,
  disciplines, statuses, ...). The lists are read from the code, so they grow with it;
- an RxNorm id or a care-plan problem code (the name is what a person reads);
- a decimal quantity with trailing zeros ("10.000 mg");
- an ISO date ("2026-12-03") in running text; dates read as "3 Dec 2026";
- a phone number in E.164 ("+16175551234"); it reads as "(617) 555-1234".
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import models
from django.test import Client
from pypdf import PdfReader

from pallio.accounts.tests.admins import riverside_admin
from tests.security.helpers import body_of, riverside_referral
from tests.security.test_url_access import SAMPLES, Route, Setup, build_url
from tests.support.personas import login

# Keys that are also the words a person writes, so finding them in text proves nothing.
# Single words without a separator ("physician", "active", "pain") are such words, and so is a
# value its own label spells out ("comfort-focused", labelled "Comfort-focused"); they are never
# looked for. Any other key that is an ordinary word goes here, with the reason.
ORDINARY_WORDS: set[str] = set()
# Pages whose text is a code by design, by URL name.
EXEMPT_PAGES: set[str] = set()


# --- the catalogues ---------------------------------------------------------------------------


def _all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def _is_code(value: str) -> bool:
    """A value a person would not write: it joins words with a separator."""
    return bool(re.fullmatch(r"[a-z0-9]+(?:[._-][a-z0-9]+)+", value)) and not re.fullmatch(
        r"[0-9._-]+", value
    )


def internal_keys() -> dict[str, str]:
    """Each internal key with where it comes from, read from the code and the database."""
    from django.apps import apps

    from pallio.assessments import instruments
    from pallio.assessments.models import AlertRule, Instrument
    from pallio.audit.events import EVENT_PHRASES
    from pallio.medications import catalog

    keys: dict[str, str] = {}
    # Importing every model module defines every TextChoices class (nested ones included).
    assert apps.ready
    for choices in _all_subclasses(models.TextChoices):
        if not choices.__module__.startswith("pallio."):
            continue
        for value, label in choices.choices:
            if _is_code(str(value)) and str(value).lower() not in str(label).lower():
                keys.setdefault(str(value), f"{choices.__module__}.{choices.__qualname__}")
    for _, text in instruments.shipped_questionnaires():
        keys[instruments.spec_from_questionnaire(json.loads(text)).key] = "instrument key"
    for terms in instruments.LICENCE_TERMS:
        if _is_code(terms):
            keys[terms] = "instrument licence terms"
    for key in Instrument.objects.values_list("key", flat=True):
        keys[key] = "instrument key"
    for key in AlertRule.objects.values_list("key", flat=True):
        if _is_code(key):
            keys[key] = "alert rule key"
    for key in catalog.catalog():
        if _is_code(key):
            keys[key] = "medication catalogue key"
    for key in EVENT_PHRASES:
        keys[key] = "audit event key"
    return {k: v for k, v in keys.items() if k not in ORDINARY_WORDS}


def codes_of_names() -> set[str]:
    """Codes that stand for a name a person reads instead: RxNorm ids of drugs, and the codes
    of the care-plan problem catalogue (SNOMED CT and Pallio's own)."""
    from pallio.careplans import catalog as problems
    from pallio.medications import catalog

    ids = {e.rxnorm for e in catalog.catalog().values() if e.rxnorm}
    ids |= {i.rxnorm for i in catalog.opioid_ingredients().values() if i.rxnorm}
    ids |= {p.code for p in problems.problem_catalog()}
    return ids


# --- visible text -----------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a person sees: element content outside scripts, styles and templates. A text
    area's content is the value being edited, like an input's value attribute (the triage
    protocols are edited as JSON), so it is left out as well."""

    SKIP = {"script", "style", "template", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.depth += 1
        elif tag in ("br", "p", "div", "li", "td", "th", "tr", "option", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.depth:
            self.depth -= 1
        else:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return re.sub(r"[ \t\r\f\v]+", " ", "".join(parser.parts))


def page_text(response: Any) -> str | None:
    """What a person reads on an HTML page or a PDF; None for data (JSON, CSV, files)."""
    kind = response.get("Content-Type", "")
    if kind.startswith("text/html"):
        return VisibleText.of(body_of(response))
    if kind.startswith("application/pdf"):
        data = b"".join(response.streaming_content) if response.streaming else response.content
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return None


# --- what must not be seen --------------------------------------------------------------------

ISO_DATE = re.compile(r"(?<![\w-])\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![\w-])")
E164 = re.compile(r"(?<![\w+])\+\d{10,15}(?!\d)")
UNITS = r"(?:mg|mcg|µg|g|mL|ml|L|units?|MME|mcg/hr|mg/hr|tablets?|capsules?|drops?|puffs?|%)"
TRAILING_ZEROS = re.compile(rf"(?<![\w.])\d+\.\d*0(?![\d.])\s*{UNITS}(?![\w])")


def _key_pattern(keys: dict[str, str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    # Not part of a longer word, code, address or file name.
    return re.compile(rf"(?<![\w.@/-])(?:{alternatives})(?![\w@/-]|\.\w)")


def problems_in(text: str, keys: dict[str, str], key_re: re.Pattern[str], ids: set[str]) -> list:
    found: list[str] = []
    for match in key_re.finditer(text):
        found.append(f"internal key {match.group()!r} ({keys[match.group()]})")
    for match in ISO_DATE.finditer(text):
        found.append(f"ISO date {match.group()!r} in text")
    for match in E164.finditer(text):
        found.append(f"E.164 phone number {match.group()!r}")
    for match in TRAILING_ZEROS.finditer(text):
        found.append(f"quantity with trailing zeros {match.group()!r}")
    for rxnorm in ids:
        for match in re.finditer(rf"(?<![\w.:/-]){rxnorm}(?![\w.:/-])", text):
            found.append(f"code {match.group()!r} in place of a name")
    return found


def _context(text: str, needle: str) -> str:
    plain = needle.split("'")[1] if "'" in needle else ""
    at = text.find(plain) if plain else -1
    return text[max(0, at - 50) : at + len(plain) + 50].replace("\n", " ") if at >= 0 else ""


# --- the data a program has -------------------------------------------------------------------


def realistic_data(world: Any, setup: Setup) -> None:
    """Alice's medications (RxNorm-coded, decimal doses), and every sample object of the walk."""
    from pallio.core import clock
    from pallio.medications.services import MedicationInput, medication_add

    today = clock.today_in(world.riverside.timezone)
    for key, dose, per_day, route, prn in (
        ("oxycodone", Decimal("10"), Decimal("6"), "oral", True),
        ("morphine", Decimal("2.5"), Decimal("4"), "oral", False),
        ("senna", Decimal("8.6"), Decimal("2"), "oral", False),
        ("fentanyl-transdermal", Decimal("25"), None, "transdermal", False),
    ):
        medication_add(
            actor=world.physician,
            patient=world.alice,
            data=MedicationInput(
                catalog_key=key,
                dose_amount=dose,
                doses_per_day=per_day,
                as_needed=prn,
                route=route,
                started_on=today,
            ),
        )
    medication_add(
        actor=world.physician,
        patient=world.alice,
        data=MedicationInput(free_text="Ondansetron 4 mg", dose_amount=Decimal("4.0")),
    )
    for make in SAMPLES.values():
        make(setup)
    # A cadence overdue and an infusion this week: the cadence, the appointment and the
    # same-day suggestion on the patient's visits page and the list of visits overdue.
    from pallio.visits.tests.cadence_helpers import infusion, set_cadence, since

    since(set_cadence(world, "weekly"), 9)
    infusion(world, days=2)


def _candidates(route: Route, world: Any) -> list[Any]:
    if route.view.access_rule == "public":
        return [None]
    if route.view.access_rule == "staff:audit.view":
        return [world.privacy]
    return [
        world.director,
        world.navigator,
        world.coordinator,
        world.oncall,
        world.physician,
        world.privacy,
        world.program_admin,
    ]


def _get_routes() -> list[Route]:
    from tests.security.test_fuzz_get import get_routes

    # The audit pages last, so that they list the events the other pages recorded.
    return sorted(get_routes(), key=lambda r: r.name.startswith("audit:"))


@pytest.mark.django_db
def test_no_page_shows_an_internal_code(world, settings):
    settings.PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = 100_000
    referral = riverside_referral(world)
    setup = Setup(world, referral, referral.attachments.get())
    realistic_data(world, setup)
    # The program administrator's pages (settings, staff, the referral poster).
    world.program_admin = riverside_admin(world)
    keys = internal_keys()
    key_re = _key_pattern(keys)
    ids = codes_of_names()
    problems: list[str] = []
    rendered = 0
    rendered_names: set[str] = set()
    for route in _get_routes():
        if route.name in EXEMPT_PAGES:
            continue
        url = build_url(route, setup)
        for user in _candidates(route, world):
            client = Client()
            if user is not None:
                login(client, user)
            response = client.get(url)
            if response.status_code != 200:
                continue
            text = page_text(response)
            if text is None:
                break
            rendered += 1
            rendered_names.add(route.name)
            for found in problems_in(text, keys, key_re, ids):
                who = user.username if user else "anonymous"
                problems.append(
                    f"{url} ({route.name}, as {who}): {found} … {_context(text, found)}"
                )
            break
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))
    assert rendered > 60, f"only {rendered} pages rendered"
    assert {"programs:settings", "staff:list", "staff:detail"} <= rendered_names, rendered_names
    # Scheduling (visits app): booking, a booked visit, a home, the calendars.
    assert {
        "visits:book",
        "visits:place_new",
        "visits:scheduled",
        "visits:my_schedule",
        "visits:team_schedule",
        "visits:clinician_schedule",
        "visits:calendar_feed",
    } <= rendered_names, rendered_names


def test_the_checks_catch_what_they_look_for():
    keys = {"esas-r": "instrument key", "nurse_navigator": "discipline", "patient.chart": "event"}
    key_re = _key_pattern(keys)
    bad = (
        "Scored esas-r today. Lead: nurse_navigator. Event patient.chart. Oxycodone 7804, "
        "10.000 mg every 4 h. Seen 2026-12-03 at home. Call +16175551234."
    )
    found = problems_in(bad, keys, key_re, {"7804"})
    assert len(found) == 7, found
    good = (
        "Scored ESAS-r today. Lead: Nurse navigator. Opened the chart. Oxycodone 10 mg every "
        "4 h, 2.5 mg. Seen 3 Dec 2026 at home. Call (617) 555-1234. nina@example.org. "
        "/patients/esas-r/ chart.html"
    )
    assert problems_in(good, keys, key_re, {"7804"}) == []
    assert (
        VisibleText.of(
            '<p title="esas-r">A<script>var k="esas-r"</script><input type="hidden" value="x">B</p>'
        ).strip()
        == "AB"
    )


@pytest.mark.django_db
def test_the_key_lists_are_read_from_the_catalogues():
    keys = internal_keys()
    for key in ("esas-r", "phq-4", "nurse_navigator", "intake_coordinator", "patient.chart"):
        assert key in keys, key
    assert "physician" not in keys and "comfort-focused" not in keys  # words, not codes
    assert {"7804", "22253000"} <= codes_of_names()
