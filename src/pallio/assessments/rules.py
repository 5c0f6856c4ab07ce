"""Alert rules: the declared defaults and how a rule judges a report.

The rules themselves are data (rules/default_alert_rules.json, loaded into AlertRule on
migrate; a program overrides a rule by adding its own row with the same key). This module
only knows what each *kind* of rule means.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pallio.assessments.instruments import InstrumentSpec
from pallio.assessments.models import RuleKind

DEFAULT_RULES_FILE = Path(__file__).parent / "rules" / "default_alert_rules.json"
REPORT_KINDS = frozenset(
    {
        RuleKind.ITEM_SEVERITY,
        RuleKind.ITEM_SEVERITY_AT_LEAST,
        RuleKind.ITEM_RISE,
        RuleKind.SCALE_AT_LEAST,
        RuleKind.SCALE_FALL,
    }
)
# Band severities from least to most (a 'positive' screen has no order and is matched alone).
SEVERITY_ORDER = ("mild", "moderate", "severe")
RULE_FIELDS = (
    "kind",
    "title",
    "instrument_key",
    "scale",
    "severity",
    "threshold",
    "discipline",
    "due_hours",
    "due_days",
    "unless_rule",
    "priority",
    "citation",
)


@cache
def default_rules() -> tuple[dict[str, Any], ...]:
    data = json.loads(DEFAULT_RULES_FILE.read_text("utf-8"))
    return tuple(data["rules"])


@dataclass(frozen=True)
class Finding:
    """What a rule found in a report, for the alert's detail line."""

    detail: str


def _label(spec: InstrumentSpec, link_id: str) -> str:
    item = spec.item(link_id)
    return item.label if item is not None else link_id


def _fmt(value: float) -> str:
    return f"{value:g}"


def judge_report(
    rule: Any,
    spec: InstrumentSpec,
    scores: dict[str, Any],
    previous: dict[str, Any] | None,
) -> Finding | None:
    """Whether `rule` fires for a report with `scores` (and the patient's previous report of
    the same instrument, `previous`)."""
    kind = rule.kind
    items_now: dict[str, float] = scores.get("item_values", {})
    if kind == RuleKind.ITEM_SEVERITY:
        hits = [
            f"{_label(spec, link)} {_fmt(items_now[link])}"
            for link, severity in scores.get("item_severities", {}).items()
            if severity == rule.severity and link in items_now
        ]
        return Finding(", ".join(hits)) if hits else None
    if kind == RuleKind.ITEM_SEVERITY_AT_LEAST:
        return _severity_at_least(rule, spec, scores)
    if kind == RuleKind.ITEM_RISE:
        if previous is None or rule.threshold is None:
            return None
        before: dict[str, float] = previous.get("item_values", {})
        hits = [
            f"{_label(spec, link)} {_fmt(before[link])} to {_fmt(value)}"
            for link, value in items_now.items()
            if link in before
            and link in spec.banded_items
            and value - before[link] >= rule.threshold
        ]
        return Finding("up since the last report: " + ", ".join(hits)) if hits else None
    if kind == RuleKind.SCALE_AT_LEAST:
        return _scale_at_least(rule, spec, scores)
    if kind == RuleKind.SCALE_FALL:
        if previous is None or rule.threshold is None:
            return None
        now = scores.get("scales", {}).get(rule.scale)
        then = previous.get("scales", {}).get(rule.scale)
        if now is None or then is None or then - now < rule.threshold:
            return None
        scale = spec.scale(rule.scale)
        title = scale.title if scale else rule.scale
        return Finding(f"{title} fell from {_fmt(then)} to {_fmt(now)}")
    return None


def _severity_at_least(rule: Any, spec: InstrumentSpec, scores: dict[str, Any]) -> Finding | None:
    """Every answered item in a band of the rule's severity or worse."""
    if rule.severity not in SEVERITY_ORDER:
        return None
    floor = SEVERITY_ORDER.index(rule.severity)
    items_now: dict[str, float] = scores.get("item_values", {})
    hits = [
        f"{_label(spec, link)} {_fmt(items_now[link])}"
        for link, severity in scores.get("item_severities", {}).items()
        if severity in SEVERITY_ORDER
        and SEVERITY_ORDER.index(severity) >= floor
        and link in items_now
    ]
    return Finding(", ".join(hits)) if hits else None


def _never_negative(spec: InstrumentSpec, scale_name: str) -> bool:
    scale = spec.scale(scale_name)
    if scale is None or scale.method != "sum":
        return False
    for link in scale.items:
        item = spec.item(link)
        if item is None:
            return False
        if item.points_bands:
            lowest = min(b.points for b in item.points_bands)
        elif item.type in {"integer", "decimal"}:
            lowest = item.minimum if item.minimum is not None else -1
        else:
            lowest = min((o.points for o in item.options if o.points is not None), default=-1)
        if lowest < 0:
            return False
    return True


def _scale_at_least(rule: Any, spec: InstrumentSpec, scores: dict[str, Any]) -> Finding | None:
    """A scale at or above the threshold. A report answered in part is judged on what was
    answered: when the answered items of a sum (whose items never score below 0) already
    reach the threshold, the whole scale would too."""
    if rule.threshold is None:
        return None
    scale = spec.scale(rule.scale)
    title = scale.title if scale else rule.scale
    value = scores.get("scales", {}).get(rule.scale)
    if value is not None:
        return Finding(f"{title} {_fmt(value)}") if value >= rule.threshold else None
    answered = scores.get("answered_sums", {}).get(rule.scale)
    if answered is None or answered < rule.threshold or not _never_negative(spec, rule.scale):
        return None
    return Finding(f"{title} at least {_fmt(answered)} (some items not answered)")
