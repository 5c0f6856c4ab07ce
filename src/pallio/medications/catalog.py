"""The medication catalog and MME factors (data/medications.json, CDC 2022 factors).

MME is a total and a flag, never a way to compute a dose: nothing here proposes one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PALLIO_MEDICATION = "https://pallio.org/fhir/CodeSystem/medication"
DATA_FILE = Path(__file__).parent / "data" / "medications.json"


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    display: str
    rxnorm: str = ""
    opioid: bool = False
    mme_factor: float | None = None
    dose_unit: str = "mg"
    continuous: bool = False
    specialist: bool = False
    bowel_regimen: bool = False

    @property
    def coding(self) -> tuple[str, str, str]:
        if self.rxnorm:
            return RXNORM, self.rxnorm, self.display
        return PALLIO_MEDICATION, self.key, self.display


@cache
def catalog() -> dict[str, CatalogEntry]:
    data = json.loads(DATA_FILE.read_text("utf-8"))
    return {row["key"]: CatalogEntry(**row) for row in data["medications"]}


def entry(key: str) -> CatalogEntry | None:
    return catalog().get(key)


def daily_mme(statement: Any) -> Decimal | None:
    """Morphine milligram equivalents per day of one active statement, or None when it is
    not an opioid or its dose is not recorded. Fentanyl patches: mcg/hr x factor."""
    item = entry(statement.catalog_key)
    if item is None or not item.opioid or item.mme_factor is None:
        return None
    if statement.dose_amount is None:
        return None
    factor = Decimal(str(item.mme_factor))
    if item.continuous:
        return (statement.dose_amount * factor).quantize(Decimal("0.1"))
    if statement.doses_per_day is None:
        return None
    return (statement.dose_amount * statement.doses_per_day * factor).quantize(Decimal("0.1"))


def total_daily_mme(statements: list[Any]) -> tuple[Decimal, list[Any]]:
    """The total over active opioid statements, and the opioid statements whose dose is not
    recorded (so the total is known to be incomplete)."""
    total = Decimal("0")
    unknown = []
    for s in statements:
        if not s.is_opioid or s.status != "active":
            continue
        value = daily_mme(s)
        if value is None:
            unknown.append(s)
        else:
            total += value
    return total, unknown
