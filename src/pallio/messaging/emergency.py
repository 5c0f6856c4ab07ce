"""Emergency wording in portal messages: the rules are data (data/emergency_rules.json).

`emergency_findings(text)` names the families of wording a message matches (severe pain,
trouble breathing, bleeding, a fall, thoughts of self-harm), in English and Spanish. A match
is a reason to show the sender the 24/7 number and 911 at once and to alert the team; it is
never a reason to wait for one. What the rules do not catch (see the tests): misspellings
beyond the listed forms ("bleading"), wording with no listed word ("there is red
everywhere"), numbers in words other than nine and ten, and other languages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).parent / "data" / "emergency_rules.json"


@dataclass(frozen=True)
class Family:
    key: str
    label: str
    negatable: bool
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Rules:
    families: tuple[Family, ...]
    negations: frozenset[str]
    window: int


def rules_parse(data: dict[str, Any]) -> Rules:
    """The rules from their JSON form; ValueError names a pattern that does not compile."""
    families = []
    for entry in data["families"]:
        compiled = []
        for pattern in entry["patterns"]:
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise ValueError(f"{entry['key']}: {pattern!r} does not compile ({exc})") from exc
        families.append(
            Family(
                key=str(entry["key"]),
                label=str(entry["label"]),
                negatable=bool(entry.get("negatable", False)),
                patterns=tuple(compiled),
            )
        )
    return Rules(
        families=tuple(families),
        negations=frozenset(data.get("negation_words", ())),
        window=int(data.get("negation_window_words", 3)),
    )


@cache
def rules() -> Rules:
    return rules_parse(json.loads(RULES_FILE.read_text("utf-8")))


def normalise(text: str) -> str:
    """Lowercase, accents and curly apostrophes removed, so 'Me caí' reads as 'me cai'."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD = re.compile(r"[a-z']+")


def _negated(text: str, start: int, negations: frozenset[str], window: int) -> bool:
    before = [w.replace("'", "") for w in _WORD.findall(text[:start])][-window:]
    return any(word in negations for word in before)


def emergency_findings(text: str, ruleset: Rules | None = None) -> list[str]:
    """The keys of the families the text matches, in the rules' order (empty: none)."""
    ruleset = ruleset or rules()
    plain = normalise(text)
    found = []
    for family in ruleset.families:
        for pattern in family.patterns:
            if any(
                not (
                    family.negatable
                    and _negated(plain, m.start(), ruleset.negations, ruleset.window)
                )
                for m in pattern.finditer(plain)
            ):
                found.append(family.key)
                break
    return found


def family_labels(keys: list[str]) -> list[str]:
    labels = {f.key: f.label for f in rules().families}
    return [labels.get(k, k) for k in keys]
