"""Finding possible duplicates of a person among a program's patients.

Candidates are found by blocking (same birth date or a transposition of it, same phone,
same name sound) and then scored with Jaro-Winkler similarity (rapidfuzz), nickname
equivalence (the `nicknames` package) and phonetic codes (jellyfish). Nothing is merged:
the coordinator decides. Precision and recall on a synthetic set of tricky pairs are
measured by bench/bench_matching.py and recorded in docs/performance.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import JaroWinkler

MATCH_THRESHOLD = 0.80


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    birth_date: date | None
    phone: str = ""


@dataclass
class MatchResult:
    score: float
    reasons: list[str] = field(default_factory=list)


def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^\w]", "", text)


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits[-10:] if len(digits) >= 10 else digits


@cache
def _namer() -> NickNamer:
    return NickNamer()


@cache
def _name_forms(name: str) -> frozenset[str]:
    forms = {name}
    namer = _namer()
    forms |= {normalize_name(n) for n in namer.nicknames_of(name)}
    forms |= {normalize_name(n) for n in namer.canonicals_of(name)}
    return frozenset(forms)


def given_name_similarity(a: str, b: str) -> float:
    a, b = normalize_name(a), normalize_name(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if b in _name_forms(a) or a in _name_forms(b):
        return 0.95
    score = JaroWinkler.similarity(a, b)
    if jellyfish.metaphone(a) == jellyfish.metaphone(b):
        score = max(score, 0.9)
    return score


def family_name_similarity(a: str, b: str) -> float:
    a, b = normalize_name(a), normalize_name(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    # Hyphenated or double family names: either part matching counts.
    if a in b or b in a:
        return 0.92
    score = JaroWinkler.similarity(a, b)
    if jellyfish.metaphone(a) == jellyfish.metaphone(b):
        score = max(score, 0.9)
    return score


def birth_date_similarity(a: date | None, b: date | None) -> tuple[float, str]:
    if a is None or b is None:
        return 0.0, ""
    if a == b:
        return 1.0, "same date of birth"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 0.85, "day and month swapped"
    if a.month == b.month and a.day == b.day:
        ya, yb = f"{a.year:04d}", f"{b.year:04d}"
        if sorted(ya) == sorted(yb) or abs(a.year - b.year) == 1:
            return 0.8, "birth year transposed or off by one"
        return 0.0, ""
    if a.year == b.year and (a.month == b.month or a.day == b.day):
        sa, sb = f"{a.month:02d}{a.day:02d}", f"{b.month:02d}{b.day:02d}"
        if sum(x != y for x, y in zip(sa, sb, strict=True)) == 1:
            return 0.75, "one digit of the date of birth differs"
        if sorted(sa) == sorted(sb):
            return 0.75, "digits of the date of birth transposed"
    return 0.0, ""


def match(a: Person, b: Person) -> MatchResult:
    """How likely `a` and `b` are the same person, 0 to 1, with the reasons."""
    reasons: list[str] = []
    given = given_name_similarity(a.given_name, b.given_name)
    family = family_name_similarity(a.family_name, b.family_name)
    swapped = (
        given_name_similarity(a.given_name, b.family_name)
        + family_name_similarity(a.family_name, b.given_name)
    ) / 2
    name = (given + family) / 2
    if swapped > name and swapped >= 0.9:
        name = swapped * 0.97
        reasons.append("first and last names swapped")
    elif given >= 0.95 and given < 1.0:
        reasons.append("first name is a variant or nickname")
    dob, dob_reason = birth_date_similarity(a.birth_date, b.birth_date)
    if dob_reason:
        reasons.append(dob_reason)
    same_phone = bool(normalize_phone(a.phone)) and (
        normalize_phone(a.phone) == normalize_phone(b.phone)
    )
    if same_phone:
        reasons.append("same phone number")
    score = 0.6 * name + 0.4 * dob
    if same_phone:
        score = max(score, 0.5 + 0.5 * max(name, dob))
    if family >= 0.9 and given >= 0.9 and dob == 0.0 and not same_phone:
        # Same name, unrelated birth date: likely a different person of the same name.
        score = min(score, 0.6)
    if name >= 0.97 and dob == 1.0:
        reasons.insert(0, "same name and date of birth")
    return MatchResult(score=round(min(score, 1.0), 3), reasons=reasons)


def blocking_birth_dates(birth_date: date) -> set[date]:
    """Dates a transposed or mistyped date of birth might have been entered as."""
    dates = {birth_date}
    candidates = [
        (birth_date.year, birth_date.day, birth_date.month),
        (birth_date.year + 1, birth_date.month, birth_date.day),
        (birth_date.year - 1, birth_date.month, birth_date.day),
    ]
    year = f"{birth_date.year:04d}"
    candidates.append((int(year[:2] + year[3] + year[2]), birth_date.month, birth_date.day))
    mmdd = f"{birth_date.month:02d}{birth_date.day:02d}"
    for i in range(3):
        swapped = mmdd[:i] + mmdd[i + 1] + mmdd[i] + mmdd[i + 2 :]
        candidates.append((birth_date.year, int(swapped[:2]), int(swapped[2:])))
    for y, m, d in candidates:
        try:
            dates.add(date(y, m, d))
        except ValueError:
            continue
    return dates
