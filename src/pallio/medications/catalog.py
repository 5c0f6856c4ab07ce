"""The medication catalog, the routes, the opioid ingredients and the dose limits, all data
(data/*.json), and the daily MME of a statement (CDC 2022 factors, CLINICAL.md section 6).

MME is a total and a flag, never a way to compute a dose: nothing here proposes one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PALLIO_MEDICATION = "https://pallio.org/fhir/CodeSystem/medication"
DATA_DIR = Path(__file__).parent / "data"
DATA_FILE = DATA_DIR / "medications.json"
INGREDIENTS_FILE = DATA_DIR / "opioid_ingredients.json"
LIMITS_FILE = DATA_DIR / "dose_limits.json"


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    display: str
    rxnorm: str = ""
    rxnorm_verify: bool = False
    opioid: bool = False
    mme_factor: float | None = None
    # The one route the factor is cited for; any other route is not converted.
    mme_route: str = ""
    # Buprenorphine: CDC 2022 gives no factor; flagged "not included in MME".
    mme_excluded: bool = False
    default_route: str = ""
    dose_unit: str = "mg"
    continuous: bool = False
    specialist: bool = False
    bowel_regimen: bool = False

    @property
    def coding(self) -> tuple[str, str, str]:
        if self.rxnorm:
            return RXNORM, self.rxnorm, self.display
        return PALLIO_MEDICATION, self.key, self.display


@dataclass(frozen=True)
class Route:
    key: str
    display: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpioidIngredient:
    key: str
    name: str
    rxnorm: str = ""
    rxnorm_verify: bool = False
    mme_excluded: bool = False
    synonyms: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class DoseLimits:
    plausible_max_dose: Decimal
    ceiling_dose: Decimal
    plausible_max_day: Decimal | None = None
    ceiling_day: Decimal | None = None


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text("utf-8"))
    return data


@cache
def catalog() -> dict[str, CatalogEntry]:
    return {row["key"]: CatalogEntry(**row) for row in _data()["medications"]}


def entry(key: str) -> CatalogEntry | None:
    return catalog().get(key)


@cache
def routes() -> dict[str, Route]:
    return {
        row["key"]: Route(row["key"], row["display"], tuple(row.get("synonyms", ())))
        for row in _data()["routes"]
    }


@cache
def _route_spellings() -> dict[str, str]:
    spellings: dict[str, str] = {}
    for route in routes().values():
        for spelling in (route.key, route.display, *route.synonyms):
            spellings[_spelling(spelling)] = route.key
    return spellings


def _spelling(text: str) -> str:
    return " ".join(text.casefold().replace(".", "").split())


def route_key(text: str) -> str:
    """The route's key when Pallio knows the spelling ("PO", "by mouth" -> "oral"); otherwise
    the text as typed, trimmed, which no factor is ever cited for."""
    cleaned = " ".join(text.split())
    return _route_spellings().get(_spelling(cleaned), cleaned)


def route_display(key: str) -> str:
    route = routes().get(key)
    return route.display if route else key


# Names are matched as whole words: letters and digits, so "Tylenol 3" is not "Tylenol 500".
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


@cache
def opioid_ingredients() -> dict[str, OpioidIngredient]:
    data = json.loads(INGREDIENTS_FILE.read_text("utf-8"))
    return {
        row["key"]: OpioidIngredient(
            key=row["key"],
            name=row["name"],
            rxnorm=row.get("rxnorm", ""),
            rxnorm_verify=row.get("rxnorm_verify", False),
            mme_excluded=row.get("mme_excluded", False),
            synonyms=tuple(row.get("synonyms", ())),
        )
        for row in data["ingredients"]
    }


@cache
def _ingredient_names() -> tuple[tuple[tuple[str, ...], str], ...]:
    names = []
    for ingredient in opioid_ingredients().values():
        for name in (ingredient.name, *ingredient.synonyms):
            names.append((_words(name), ingredient.key))
    # Longer names first, so that "tylenol with codeine" wins over a shorter one at the same place.
    return tuple(sorted(names, key=lambda n: -len(n[0])))


def opioid_in(text: str) -> OpioidIngredient | None:
    """The opioid ingredient a typed medication name names, by whole words, case-insensitive:
    the first one in the text ("Oxycodone/APAP 5/325" -> oxycodone), or None."""
    words = _words(text)
    best: tuple[int, str] | None = None
    for name, key in _ingredient_names():
        size = len(name)
        for start in range(len(words) - size + 1):
            if words[start : start + size] == name:
                if best is None or start < best[0]:
                    best = (start, key)
                break
    return opioid_ingredients()[best[1]] if best else None


def catalog_entry_in(text: str) -> CatalogEntry | None:
    """A non-opioid catalogue entry a typed name names by its whole display or key words
    ("Senna 8.6 mg" -> senna), or None."""
    words = _words(text)
    for item in catalog().values():
        if item.opioid:
            continue
        for name in {_words(item.display.split("(")[0]), _words(item.key.replace("-", " "))}:
            size = len(name)
            if size and any(words[i : i + size] == name for i in range(len(words) - size + 1)):
                return item
    return None


@cache
def _limits_data() -> dict[str, dict[str, Any]]:
    limits: dict[str, dict[str, Any]] = json.loads(LIMITS_FILE.read_text("utf-8"))["limits"]
    return limits


def dose_limits(key: str, program_settings: dict[str, Any] | None = None) -> DoseLimits | None:
    """The safety limits for recording a dose of a catalogue entry: the shipped defaults, or
    the program's own under its "dose_limits" setting. None when the entry has none."""
    row = dict(_limits_data().get(key, {}))
    override = ((program_settings or {}).get("dose_limits") or {}).get(key)
    if isinstance(override, dict):
        row.update(override)
    if "plausible_max_dose" not in row or "ceiling_dose" not in row:
        return None

    def number(name: str) -> Decimal | None:
        value = row.get(name)
        return None if value is None else Decimal(str(value))

    return DoseLimits(
        plausible_max_dose=Decimal(str(row["plausible_max_dose"])),
        ceiling_dose=Decimal(str(row["ceiling_dose"])),
        plausible_max_day=number("plausible_max_day"),
        ceiling_day=number("ceiling_day"),
    )
