"""The common palliative problems offered when a problem is added (data/problems.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pallio.careplans.models import PROBLEM_SYSTEM, PlanDomain
from pallio.core.codes import SNOMED

DATA_FILE = Path(__file__).parent / "data" / "problems.json"
SYSTEMS = {"snomed": SNOMED, "pallio": PROBLEM_SYSTEM}
# The catalog's own code for a problem the list does not hold, described in words.
OTHER_CODE = "OTHER"


@dataclass(frozen=True)
class CatalogProblem:
    key: str  # "<system>|<code>", what a form posts
    domain: str
    system: str
    code: str
    display: str
    source: str


@cache
def problem_catalog() -> tuple[CatalogProblem, ...]:
    data = json.loads(DATA_FILE.read_text("utf-8"))
    problems = []
    for entry in data["problems"]:
        system = SYSTEMS[entry["system"]]
        problems.append(
            CatalogProblem(
                key=f"{system}|{entry['code']}",
                domain=entry["domain"],
                system=system,
                code=entry["code"],
                display=entry["display"],
                source=data["sources"][entry["source"]],
            )
        )
    return tuple(problems)


def catalog_entry(key: str) -> CatalogProblem | None:
    return next((p for p in problem_catalog() if p.key == key), None)


def catalog_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped by domain, for a select: [(domain label, [(key, display), ...]), ...]."""
    groups = []
    for domain, label in PlanDomain.choices:
        entries = [(p.key, p.display) for p in problem_catalog() if p.domain == domain]
        if entries:
            groups.append((str(label), entries))
    return groups
