"""Finding possible duplicates of a person among a program's patients.

Candidates are found by blocking (the birth date or any date it could have been mistyped
as, or the same phone) and then scored from three comparisons:

- first names: exact, nickname equivalence (the `nicknames` package), a middle name on one
  record only or used as the first name, else Jaro-Winkler similarity (rapidfuzz) raised
  when the metaphone codes (jellyfish) agree;
- family names: the same, with hyphenated, double and prefixed names compared part by part
  and generational suffixes (Jr, Sr, II) kept apart;
- dates of birth: the same, or one of the usual mistakes (day and month swapped, year digits
  transposed, one digit wrong, one day off).

A pair is a candidate only when the first names agree (or the names are swapped), the family
names agree, and the dates of birth are the same or one mistake apart; a shared phone adds
weight but never makes relatives sharing a household look like one person. Every reason is
worded for the coordinator, who decides: nothing is ever merged automatically.
Precision and recall on a synthetic set of tricky pairs are measured by
bench/bench_matching.py and recorded in docs/matching.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import JaroWinkler

MATCH_THRESHOLD = 0.80

# Below this, two first (or family) names are different names, not a variant or a typo.
NAME_AGREES = 0.80
# Score given to pairs ruled out (different names, unrelated dates of birth...).
RULED_OUT = 0.6

# Letters that Unicode decomposition leaves alone.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)
_SUFFIXES = frozenset({"jr", "sr", "junior", "senior", "ii", "iii", "iv", "2nd", "3rd"})
_SEXES = frozenset({"female", "male"})


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    birth_date: date | None
    phone: str = ""
    middle_name: str = ""
    sex: str = ""


@dataclass
class MatchResult:
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NameComparison:
    score: float
    reason: str = ""
    # "same", "middle name", "nickname", "goes by middle name", "initial", "spelling" or "".
    kind: str = ""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_LETTERS)


def normalize_name(name: str) -> str:
    """Lower case, without accents, spaces or punctuation: "O'Brien-Núñez" -> "obriennunez"."""
    return re.sub(r"[\W_]", "", _fold(name))


def name_tokens(name: str) -> list[str]:
    """The words of a name, folded; apostrophes join ("O'Brien" is one word)."""
    folded = re.sub("['`\u2019]", "", _fold(name))
    return [
        t
        for t in (re.sub(r"[\W_]", "", w) for w in re.split("[\\s\\-\u2010\u2013.,/]+", folded))
        if t
    ]


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits[-10:] if len(digits) >= 10 else digits


@cache
def _namer() -> NickNamer:
    return NickNamer()


@cache
def _nicknames(name: str) -> frozenset[str]:
    namer = _namer()
    return frozenset(namer.nicknames_of(name) | namer.canonicals_of(name))


@cache
def _canonicals(name: str) -> frozenset[str]:
    return frozenset(_namer().canonicals_of(name))


def _phonetic(a: str, b: str) -> bool:
    """Same metaphone code; only meaningful for names written in Latin letters."""
    if not (a.isascii() and b.isascii()):
        return False
    code = jellyfish.metaphone(a)
    return bool(code) and code == jellyfish.metaphone(b)


def _spelling_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    score = JaroWinkler.similarity(a, b)
    if _phonetic(a, b):
        score = max(score, 0.9)
    return score


def _first_name_similarity(a: str, b: str) -> tuple[float, str]:
    """Two single first names (folded words)."""
    if a == b:
        return 1.0, ""
    if b in _nicknames(a) or a in _nicknames(b):
        return 0.95, "nickname"
    if _canonicals(a) & _canonicals(b):
        return 0.92, "nickname"
    if len(a) == 1 or len(b) == 1:
        return (0.8, "initial") if a[0] == b[0] else (0.0, "")
    return _spelling_similarity(a, b), "spelling"


def given_name_comparison(a: str, b: str, middle_a: str = "", middle_b: str = "") -> NameComparison:
    """First names, allowing for nicknames and for middle names recorded or not."""
    words_a, words_b = name_tokens(a), name_tokens(b)
    if not words_a or not words_b:
        return NameComparison(0.0)
    if words_a == words_b:
        return NameComparison(1.0, kind="same")
    shown_a, shown_b = " ".join(a.split()), " ".join(b.split())
    score, how = _first_name_similarity(words_a[0], words_b[0])
    best = NameComparison(0.0)
    if how == "nickname":
        best = NameComparison(score, f"first name {shown_a} / {shown_b}: a nickname", how)
    elif score == 1.0:
        best = NameComparison(0.97, "middle name on one record only or different", "middle name")
    elif how == "initial":
        best = NameComparison(score, f"first name {shown_a} / {shown_b}: an initial", how)
    elif score >= NAME_AGREES:
        reason = f"first name spelt differently ({shown_a} / {shown_b})"
        best = NameComparison(score, reason, how)
    if normalize_name(a) == normalize_name(b):
        best = NameComparison(0.99, "", "same")
    # Known by a middle name: one record's first name is the other's middle name.
    others_a = words_a[1:] + name_tokens(middle_a)
    others_b = words_b[1:] + name_tokens(middle_b)
    for first, others in ((words_a[0], others_b), (words_b[0], others_a)):
        for other in others:
            middle_score = _first_name_similarity(first, other)[0]
            if len(other) > 1 and middle_score >= 0.95 and best.score < 0.9:
                reason = "goes by the middle name on one record"
                best = NameComparison(0.9, reason, "goes by middle name")
    return best


def given_name_similarity(a: str, b: str) -> float:
    return given_name_comparison(a, b).score


def _split_suffix(name: str) -> tuple[list[str], str]:
    words = name_tokens(name)
    kept = [w for w in words if w not in _SUFFIXES]
    if not kept:
        return words, ""
    suffix = " ".join(w for w in words if w in _SUFFIXES)
    return kept, suffix


def family_name_comparison(a: str, b: str) -> NameComparison:
    """Family names, part by part for double, hyphenated and prefixed names."""
    words_a, _ = _split_suffix(a)
    words_b, _ = _split_suffix(b)
    joined_a, joined_b = "".join(words_a), "".join(words_b)
    if not joined_a or not joined_b:
        return NameComparison(0.0)
    if joined_a == joined_b:
        return NameComparison(1.0)
    part = "family name is part of a double or hyphenated name"
    shorter, longer = sorted((words_a, words_b), key=len)
    if set(shorter) <= set(longer) and len(longer) > len(shorter):
        return NameComparison(0.93, part)
    short, long = sorted((joined_a, joined_b), key=len)
    if len(short) >= 4 and (long.startswith(short) or long.endswith(short)):
        return NameComparison(0.93, part)
    score = _spelling_similarity(joined_a, joined_b)
    if len(words_a) > 1 or len(words_b) > 1:
        parts = max(_spelling_similarity(x, y) for x in words_a for y in words_b)
        score = max(score, parts - 0.05)
    if score >= NAME_AGREES:
        shown_a, shown_b = " ".join(a.split()), " ".join(b.split())
        return NameComparison(score, f"family name spelt differently ({shown_a} / {shown_b})")
    return NameComparison(score)


def family_name_similarity(a: str, b: str) -> float:
    return family_name_comparison(a, b).score


def suffixes_conflict(a: str, b: str) -> bool:
    """Jr against Sr, II against III: two generations of one family."""
    suffix_a, suffix_b = _split_suffix(a)[1], _split_suffix(b)[1]
    return bool(suffix_a and suffix_b and suffix_a != suffix_b)


def _digits(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def birth_date_similarity(a: date | None, b: date | None) -> tuple[float, str]:
    """1.0 for the same date, 0.85-0.9 for one usual mistake apart, else 0."""
    if a is None or b is None:
        return 0.0, ""
    if a == b:
        return 1.0, "same date of birth"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 0.9, "day and month of birth swapped"
    if abs((a - b).days) == 1:
        return 0.85, "dates of birth one day apart"
    da, db = _digits(a), _digits(b)
    if (a.month, a.day) == (b.month, b.day):
        if da[:2] == db[:2] and da[2:4] == db[3] + db[2]:
            return 0.85, "birth year digits transposed"
        if abs(a.year - b.year) == 1:
            return 0.85, "birth years one apart"
    diffs = [i for i in range(8) if da[i] != db[i]]
    if len(diffs) == 1 and diffs[0] >= 2:
        return 0.85, "one digit of the date of birth differs"
    if len(diffs) == 2 and diffs[0] >= 4 and diffs[1] == diffs[0] + 1:
        i = diffs[0]
        if da[i] == db[i + 1] and da[i + 1] == db[i]:
            return 0.85, "two digits of the date of birth transposed"
    return 0.0, ""


def blocking_birth_dates(birth_date: date) -> set[date]:
    """Every date a mistyped date of birth might have been entered as.

    Exactly the dates `birth_date_similarity` recognises, so that blocking on them never
    loses a pair the matcher would have scored.
    """
    dates = {birth_date, birth_date - timedelta(days=1), birth_date + timedelta(days=1)}
    digits = _digits(birth_date)
    variants = [
        f"{birth_date.year:04d}{birth_date.day:02d}{birth_date.month:02d}",
        digits[:2] + digits[3] + digits[2] + digits[4:],
        f"{birth_date.year + 1:04d}{digits[4:]}",
        f"{birth_date.year - 1:04d}{digits[4:]}",
    ]
    for i in range(2, 8):
        variants += [digits[:i] + d + digits[i + 1 :] for d in "0123456789" if d != digits[i]]
    for i in range(4, 7):
        variants.append(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    for text in variants:
        try:
            dates.add(date(int(text[:4]), int(text[4:6]), int(text[6:])))
        except ValueError:
            continue
    return dates


def _same_phone(a: str, b: str) -> bool:
    digits = normalize_phone(a)
    return len(digits) >= 7 and digits == normalize_phone(b)


def _sexes_differ(a: str, b: str) -> bool:
    return a in _SEXES and b in _SEXES and a != b


def match(a: Person, b: Person) -> MatchResult:
    """How likely `a` and `b` are the same person, 0 to 1, with the reasons."""
    given = given_name_comparison(a.given_name, b.given_name, a.middle_name, b.middle_name)
    family = family_name_comparison(a.family_name, b.family_name)
    name = (given.score + family.score) / 2
    name_reasons = [r for r in (given.reason, family.reason) if r]
    # Swapped names, compared both ways round so that the score is symmetric.
    swapped_given, swapped_family = max(
        (
            (
                given_name_comparison(x.given_name, y.family_name),
                family_name_comparison(x.family_name, y.given_name),
            )
            for x, y in ((a, b), (b, a))
        ),
        key=lambda pair: (pair[0].score + pair[1].score, min(pair[0].score, pair[1].score)),
    )
    swapped = (swapped_given.score + swapped_family.score) / 2
    names_agree = given.score >= NAME_AGREES and family.score >= NAME_AGREES
    if (
        swapped > name
        and swapped_given.score >= NAME_AGREES
        and swapped_family.score >= NAME_AGREES
        and swapped >= 0.9
    ):
        name, names_agree = swapped * 0.97, True
        name_reasons = ["first and last names swapped"]
    dob, dob_reason = birth_date_similarity(a.birth_date, b.birth_date)
    same_phone = _same_phone(a.phone, b.phone)

    score = 0.55 * name + 0.45 * dob + (0.05 if same_phone else 0.0)
    reasons = list(name_reasons)
    if name >= 0.99 and dob == 1.0:
        reasons = ["same name and date of birth"]
    elif dob_reason:
        reasons.append(dob_reason)
    if same_phone:
        reasons.append("same phone number")

    if not names_agree and given.score >= 0.95 and dob == 1.0 and same_phone:
        # A family name changed (marriage): same first name, birth date and phone.
        score = MATCH_THRESHOLD + 0.02
        reasons = [
            "same first name, date of birth and phone; family name differs "
            f"({' '.join(a.family_name.split())} / {' '.join(b.family_name.split())})"
        ]
    elif not names_agree:
        # Twins, siblings, spouses, neighbours in a care home: different people.
        score = min(score, RULED_OUT)
    elif dob == 0.0:
        generations = _split_suffix(a.family_name)[1] or _split_suffix(b.family_name)[1]
        if name >= 0.97 and same_phone and not generations and not _sexes_differ(a.sex, b.sex):
            # Same name and phone: the date of birth may be wrong on one record.
            score = MATCH_THRESHOLD
            reasons = [*name_reasons, "same name and phone, dates of birth differ"]
        else:
            score = min(score, RULED_OUT)
    if suffixes_conflict(a.family_name, b.family_name) or suffixes_conflict(
        a.given_name, b.given_name
    ):
        score = min(score, RULED_OUT)
    if _sexes_differ(a.sex, b.sex) and given.kind not in ("same", "middle name"):
        # Daniel / Daniela, Andrew / Andrea: close first names, different sexes.
        score = min(score, RULED_OUT)
    return MatchResult(score=round(min(score, 1.0), 3), reasons=reasons)
