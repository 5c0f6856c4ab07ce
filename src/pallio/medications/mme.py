"""Morphine milligram equivalents (MME) per day: CDC 2022 factors, for the one route each is
cited for (CLINICAL.md section 6).

A factor is applied only where it is cited: oral use, and the fentanyl transdermal patch. An
opioid on any other route, typed in rather than chosen from the catalogue, or buprenorphine
(which CDC 2022 does not convert) makes the total incomplete, with the reason in plain words;
it is never converted with another route's factor. Scheduled and as-needed totals are kept
apart; as-needed at the most allowed per day. MME is for totals and flags, never for
computing a dose: nothing here proposes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pallio.medications import catalog

ROUTE_NOT_CONVERTED = "route"
ROUTE_NOT_RECORDED = "route-missing"
UNLISTED_OPIOID = "unlisted"
NOT_INCLUDED = "buprenorphine"
NO_DOSE = "dose"
NO_FREQUENCY = "frequency"

REASONS = {
    ROUTE_NOT_CONVERTED: "route not converted (CDC 2022 gives no factor for this route)",
    ROUTE_NOT_RECORDED: "route not recorded",
    UNLISTED_OPIOID: "opioid not on the medication list, so not converted",
    NOT_INCLUDED: "buprenorphine is not included in MME (CDC 2022)",
    NO_DOSE: "no dose recorded",
    NO_FREQUENCY: "doses per day not recorded",
}


@dataclass(frozen=True)
class StatementMme:
    """One opioid statement's daily MME, or why there is none."""

    statement: Any
    value: Decimal | None
    reason: str = ""

    @property
    def counted(self) -> bool:
        return self.value is not None

    @property
    def reason_text(self) -> str:
        return REASONS.get(self.reason, "")

    @property
    def route_text(self) -> str:
        return catalog.route_display(self.statement.route) if self.statement.route else ""


@dataclass
class MmeSummary:
    scheduled: Decimal = Decimal("0")
    as_needed: Decimal = Decimal("0")
    lines: list[StatementMme] = field(default_factory=list)

    @property
    def incomplete(self) -> list[StatementMme]:
        return [line for line in self.lines if not line.counted]

    @property
    def has_as_needed(self) -> bool:
        return any(line.statement.as_needed for line in self.lines)

    @property
    def has_scheduled(self) -> bool:
        return any(not line.statement.as_needed for line in self.lines)


def statement_mme(statement: Any) -> StatementMme | None:
    """The daily MME of one opioid statement, or None when it is not an opioid."""
    if not statement.is_opioid:
        return None
    item = catalog.entry(statement.catalog_key) if statement.catalog_key else None
    ingredient = catalog.opioid_ingredients().get(getattr(statement, "ingredient", "") or "")
    if (item and item.mme_excluded) or (ingredient and ingredient.mme_excluded):
        return StatementMme(statement, None, NOT_INCLUDED)
    if item is None or item.mme_factor is None:
        return StatementMme(statement, None, UNLISTED_OPIOID)
    route = statement.route or item.default_route
    if not route:
        return StatementMme(statement, None, ROUTE_NOT_RECORDED)
    if route != item.mme_route:
        return StatementMme(statement, None, ROUTE_NOT_CONVERTED)
    if statement.dose_amount is None:
        return StatementMme(statement, None, NO_DOSE)
    factor = Decimal(str(item.mme_factor))
    if item.continuous:
        return StatementMme(statement, (statement.dose_amount * factor).quantize(Decimal("0.1")))
    if statement.doses_per_day is None:
        return StatementMme(statement, None, NO_FREQUENCY)
    value = statement.dose_amount * statement.doses_per_day * factor
    return StatementMme(statement, value.quantize(Decimal("0.1")))


def daily_mme(statement: Any) -> Decimal | None:
    line = statement_mme(statement)
    return line.value if line else None


def mme_summary(statements: Iterable[Any]) -> MmeSummary:
    """Scheduled and as-needed totals over the active opioid statements, and the lines that
    make either incomplete."""
    summary = MmeSummary()
    for statement in statements:
        if statement.status != "active":
            continue
        line = statement_mme(statement)
        if line is None:
            continue
        summary.lines.append(line)
        if line.value is None:
            continue
        if statement.as_needed:
            summary.as_needed += line.value
        else:
            summary.scheduled += line.value
    return summary
