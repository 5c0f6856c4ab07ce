"""Reading a medication line as a referrer wrote it ("Oxycodone 10 mg PO q4h PRN") into the
fields of the medication form, for a clinician to check and confirm.

Only what is plainly written is read; anything unclear is left blank for the clinician. The
result prefills a form and is never saved by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pallio.medications import catalog

# Route words as referrers write them, to the route keys the medication list uses.
ROUTE_WORDS = {
    "po": "oral",
    "p.o.": "oral",
    "oral": "oral",
    "orally": "oral",
    "by mouth": "oral",
    "sl": "sublingual",
    "sublingual": "sublingual",
    "buccal": "buccal",
    "patch": "transdermal",
    "transdermal": "transdermal",
    "td": "transdermal",
    "sc": "subcutaneous",
    "sq": "subcutaneous",
    "subcut": "subcutaneous",
    "subq": "subcutaneous",
    "subcutaneous": "subcutaneous",
    "iv": "intravenous",
    "intravenous": "intravenous",
    "im": "intramuscular",
    "pr": "rectal",
    "rectal": "rectal",
}

# Fixed frequencies, as doses per day.
FREQUENCY_WORDS = {
    "once daily": Decimal(1),
    "daily": Decimal(1),
    "qd": Decimal(1),
    "od": Decimal(1),
    "nightly": Decimal(1),
    "at bedtime": Decimal(1),
    "qhs": Decimal(1),
    "qam": Decimal(1),
    "bid": Decimal(2),
    "twice daily": Decimal(2),
    "twice a day": Decimal(2),
    "tid": Decimal(3),
    "three times daily": Decimal(3),
    "three times a day": Decimal(3),
    "qid": Decimal(4),
    "four times daily": Decimal(4),
    "four times a day": Decimal(4),
}

DOSE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(mcg/hr|mcg/h|mcg|mg|ml|g)\b", re.I)
EVERY_HOURS = re.compile(r"\b(?:q|every\s+)(\d{1,2})\s*(?:h|hr|hrs|hours?)\b", re.I)
AS_NEEDED = re.compile(r"\b(?:prn|as needed)\b", re.I)
UNITS = {"mcg/h": "mcg/hr"}


@dataclass(frozen=True)
class ParsedMedication:
    catalog_key: str = ""
    free_text: str = ""
    dose_amount: Decimal | None = None
    dose_unit: str = ""
    doses_per_day: Decimal | None = None
    as_needed: bool = False
    route: str = ""

    def initial(self) -> dict[str, object]:
        """The medication form's initial values."""
        return {
            "catalog_key": self.catalog_key,
            "free_text": self.free_text,
            "dose_amount": self.dose_amount,
            "doses_per_day": self.doses_per_day,
            "as_needed": self.as_needed,
            "route": self.route,
        }


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9./]+", " ", text.casefold()) + " "


def _catalog_match(text: str) -> catalog.CatalogEntry | None:
    """The catalog entry whose name (or its first word) appears in the line, longest first,
    so that "fentanyl patch" finds the patch and "senna" finds sennosides."""
    words = _words(text)
    names: list[tuple[str, catalog.CatalogEntry]] = []
    for item in catalog.catalog().values():
        names.append((item.key.replace("-", " "), item))
        names.append((item.display.casefold().split(" (")[0], item))
        names.append((item.display.casefold().split()[0], item))
    for name, item in sorted(names, key=lambda pair: -len(pair[0])):
        if f" {name} " in words:
            return item
    return None


T = TypeVar("T")


def _phrase_value(words: str, table: dict[str, T]) -> T | None:
    for phrase in sorted(table, key=len, reverse=True):
        if f" {phrase} " in words:
            return table[phrase]
    return None


def parse_medication_line(text: str) -> ParsedMedication:
    line = " ".join(text.split())[:200]
    words = _words(line)
    item = _catalog_match(line)
    dose_amount: Decimal | None = None
    dose_unit = ""
    match = DOSE.search(line)
    if match:
        try:
            dose_amount = Decimal(match.group(1))
        except InvalidOperation:
            dose_amount = None
        unit = match.group(2).casefold()
        dose_unit = UNITS.get(unit, unit.replace("ml", "mL"))
        # A dose in another unit than the catalog's is left for the clinician to convert.
        if item is not None and dose_unit != item.dose_unit:
            dose_amount = None
    per_day: Decimal | None = None
    every = EVERY_HOURS.search(line)
    if every and 0 < int(every.group(1)) <= 24 and 24 % int(every.group(1)) == 0:
        per_day = Decimal(24 // int(every.group(1)))
    else:
        per_day = _phrase_value(words, FREQUENCY_WORDS)
    route = _phrase_value(words, ROUTE_WORDS)
    if not route and item is not None and item.key == "fentanyl-transdermal":
        route = "transdermal"
    return ParsedMedication(
        catalog_key=item.key if item else "",
        free_text="" if item else line,
        dose_amount=dose_amount,
        dose_unit=dose_unit,
        doses_per_day=per_day,
        as_needed=bool(AS_NEEDED.search(line)),
        route=route or "",
    )
