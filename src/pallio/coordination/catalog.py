"""The coded lists of coordination (data/catalog.json): the kinds of agencies in a program's
directory, and what the team orders or refers to, with the kinds of agency that provide each
and the days the agency has to confirm it before the care coordinator is asked to follow up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "catalog.json"


@dataclass(frozen=True)
class Item:
    kind: str
    code: str
    label: str
    agencies: tuple[str, ...]
    follow_up_days: int


@dataclass(frozen=True)
class OrderKind:
    code: str
    label: str
    done: str  # what "delivered or started" is called for this kind
    items: dict[str, Item]


@cache
def _data() -> dict[str, object]:
    data: dict[str, object] = json.loads(DATA_FILE.read_text("utf-8"))
    return data


@cache
def agency_kinds() -> dict[str, str]:
    return dict(_data()["agency_kinds"])  # type: ignore[call-overload]


@cache
def order_kinds() -> dict[str, OrderKind]:
    raw: dict[str, dict[str, object]] = _data()["order_kinds"]  # type: ignore[assignment]
    kinds: dict[str, OrderKind] = {}
    for code, entry in raw.items():
        items_raw: dict[str, dict[str, object]] = entry["items"]  # type: ignore[assignment]
        items = {
            item_code: Item(
                kind=code,
                code=item_code,
                label=str(item["label"]),
                agencies=tuple(item["agencies"]),  # type: ignore[arg-type]
                follow_up_days=int(item["follow_up_days"]),  # type: ignore[call-overload]
            )
            for item_code, item in items_raw.items()
        }
        kinds[code] = OrderKind(code, str(entry["label"]), str(entry["done"]), items)
    return kinds


def item_of(kind: str, code: str) -> Item | None:
    entry = order_kinds().get(kind)
    return entry.items.get(code) if entry else None


def agency_kind_choices() -> list[tuple[str, str]]:
    return list(agency_kinds().items())


def order_kind_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in order_kinds().values()]


def item_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped by kind, for a select with option groups; values are "kind:item"."""
    return [
        (k.label, [(f"{k.code}:{i.code}", i.label) for i in k.items.values()])
        for k in order_kinds().values()
    ]
