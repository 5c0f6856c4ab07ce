"""Instruments as data: a FHIR Questionnaire carrying its items, scoring rules and licence.

A Questionnaire is read into an ``InstrumentSpec`` once, checked against FHIR R4 (through
fhir.resources) and against Pallio's scoring schema. Scoring and answer checks then use only
the spec, so an instrument a program uploads is scored by exactly the same code as the
shipped ones.

The scoring lives in the Questionnaire itself:

- an item's range: the standard ``minValue`` / ``maxValue`` extensions (integer items);
- an answer's points: the standard ``ordinalValue`` extension on each ``answerOption``;
- a scale: the Pallio extension ``scale`` with sub-extensions ``name``, ``title``,
  ``method`` (``sum`` of its items' points, or ``value`` of its one item), ``item`` (one per
  linkId), ``min``, ``max``, an optional ``code`` (LOINC) and ``band`` entries (``low``,
  ``high`` inclusive, ``label``, optional ``severity``);
- per-item bands (ESAS-r's none/mild/moderate/severe): the Pallio extension ``item-bands``;
- a number item scored by the band its value falls in (PaP's white-cell count): the Pallio
  extension ``points-band`` on the item, one per band, with ``points``, a ``label`` and its
  bounds (``atLeast`` or ``above``; ``atMost`` or ``below``). The bands must cover the item's
  whole range without overlap, so every value scores in exactly one band;
- the words at each end of a 0-10 item (ESAS-r's "No pain" ... "Worst possible pain"): the
  Pallio extension ``anchors`` (``low``, ``high``) on the item;
- the licence: the Pallio extension ``licence`` (``terms``, ``wording-included``, ``note``)
  plus the Questionnaire's own ``copyright``; the source: the Pallio extension ``citation``.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from pallio.assessments.instrument_scoring import clean_answers, item_points, score, unanswered
from pallio.assessments.instrument_spec import (
    EXT_ANCHORS,
    EXT_CITATION,
    EXT_ITEM_BANDS,
    EXT_KEY,
    EXT_LICENCE,
    EXT_MAX,
    EXT_MIN,
    EXT_ORDINAL,
    EXT_POINTS_BAND,
    EXT_SCALE,
    ITEM_TYPES,
    LICENCE_TERMS,
    MAX_ITEMS,
    MAX_QUESTIONNAIRE_BYTES,
    MAX_TEXT_ANSWER,
    PALLIO_SD,
    SCALE_METHODS,
    SEVERITIES,
    Band,
    InstrumentError,
    InstrumentSpec,
    Item,
    Option,
    PointsBand,
    Scale,
    ScoreResult,
)

SHIPPED_DIR = Path(__file__).parent / "instruments"


# --- reading a Questionnaire ---------------------------------------------------------------


def _subs(extension: dict[str, Any]) -> list[dict[str, Any]]:
    subs = extension.get("extension", [])
    return subs if isinstance(subs, list) else []


def _value(extension: dict[str, Any]) -> Any:
    for name, value in extension.items():
        if name.startswith("value"):
            return value
    return None


def _sub_values(extension: dict[str, Any], url: str) -> list[Any]:
    return [_value(s) for s in _subs(extension) if s.get("url") == url]


def _sub_value(extension: dict[str, Any], url: str, default: Any = None) -> Any:
    values = _sub_values(extension, url)
    return values[0] if values else default


def _extensions(node: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in node.get("extension", []) or [] if e.get("url") == url]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


def _bands(extension: dict[str, Any], errors: list[str], where: str) -> tuple[Band, ...]:
    bands = []
    for sub in _subs(extension):
        if sub.get("url") != "band":
            continue
        low = _number(_sub_value(sub, "low"))
        high = _number(_sub_value(sub, "high"))
        label = _sub_value(sub, "label", "")
        severity = _sub_value(sub, "severity", "") or ""
        if low is None or high is None or not isinstance(label, str) or not label:
            errors.append(f"{where}: every band needs a low, a high and a label.")
            continue
        if low > high:
            errors.append(f"{where}: the band {label!r} starts above where it ends.")
        if severity and severity not in SEVERITIES:
            errors.append(f"{where}: unknown band severity {severity!r}.")
        bands.append(Band(low, high, label, severity))
    ordered = sorted(bands, key=lambda b: b.low)
    for before, after in itertools.pairwise(ordered):
        if after.low <= before.high:
            errors.append(f"{where}: the bands {before.label!r} and {after.label!r} overlap.")
    return tuple(ordered)


def _points_bands(
    raw: dict[str, Any], minimum: float | None, maximum: float | None, errors: list[str], where: str
) -> tuple[PointsBand, ...]:
    """Read an item's points bands and check that every value from minValue to maxValue
    falls in exactly one of them."""
    bands: list[PointsBand] = []
    for ext in _extensions(raw, EXT_POINTS_BAND):
        points = _number(_sub_value(ext, "points"))
        label = _sub_value(ext, "label", "")
        at_least, above = _number(_sub_value(ext, "atLeast")), _number(_sub_value(ext, "above"))
        at_most, below = _number(_sub_value(ext, "atMost")), _number(_sub_value(ext, "below"))
        if points is None or not isinstance(label, str) or not label:
            errors.append(f"{where}: every points band needs points and a label.")
            continue
        if (at_least is not None and above is not None) or (
            at_most is not None and below is not None
        ):
            errors.append(f"{where}: the points band {label!r} has two lower or upper bounds.")
            continue
        bands.append(
            PointsBand(
                points=points,
                label=label,
                low=at_least if at_least is not None else above,
                low_inclusive=above is None,
                high=at_most if at_most is not None else below,
                high_inclusive=below is None,
            )
        )
    if not bands:
        return ()
    if minimum is None or maximum is None:
        errors.append(f"{where}: points bands need a number item with minValue and maxValue.")
        return ()
    ordered = sorted(bands, key=lambda b: (b.low is not None, b.low or 0.0, b.low_inclusive))
    first, last = ordered[0], ordered[-1]
    if first.low is not None and not (first.low < minimum or first.holds(minimum)):
        errors.append(f"{where}: no points band holds the lowest value {minimum:g}.")
    if last.high is not None and not (last.high > maximum or last.holds(maximum)):
        errors.append(f"{where}: no points band holds the highest value {maximum:g}.")
    for before, after in itertools.pairwise(ordered):
        joined = (
            before.high is not None
            and before.high == after.low
            and before.high_inclusive != after.low_inclusive
        )
        if not joined:
            errors.append(
                f"{where}: the points bands {before.label!r} and {after.label!r} leave a gap or "
                "overlap; one must end exactly where the next begins."
            )
    return tuple(ordered)


def _coding(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict) and value.get("code"):
        return {
            "system": str(value.get("system", "")),
            "code": str(value["code"]),
            "display": str(value.get("display", "")),
        }
    return None


def _read_items(raw_items: Any, errors: list[str]) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    if not isinstance(raw_items, list) or not raw_items:
        errors.append("The Questionnaire has no items.")
        return items
    if len(raw_items) > MAX_ITEMS:
        errors.append(f"The Questionnaire has more than {MAX_ITEMS} items.")
        return items
    for raw in raw_items:
        link_id = raw.get("linkId", "")
        where = f"Item {link_id!r}"
        if raw.get("item"):
            errors.append(f"{where}: nested items (groups) are not supported in an instrument.")
            continue
        if link_id in seen:
            errors.append(f"{where}: two items share this linkId.")
            continue
        seen.add(link_id)
        kind = raw.get("type", "")
        if kind not in ITEM_TYPES:
            errors.append(f"{where}: item type {kind!r} is not supported.")
            continue
        minimum = maximum = None
        for ext in _extensions(raw, EXT_MIN):
            minimum = _number(_value(ext))
        for ext in _extensions(raw, EXT_MAX):
            maximum = _number(_value(ext))
        if kind in {"integer", "decimal"} and (
            minimum is None or maximum is None or minimum > maximum
        ):
            errors.append(f"{where}: a number item needs minValue and maxValue extensions.")
            continue
        options = []
        for opt in raw.get("answerOption", []) or []:
            coding = _coding(opt.get("valueCoding"))
            if coding is None:
                errors.append(f"{where}: each answer option needs a valueCoding with a code.")
                continue
            points = None
            for ext in _extensions(opt, EXT_ORDINAL):
                points = _number(_value(ext))
            options.append(Option(coding["system"], coding["code"], coding["display"], points))
        if kind == "choice":
            if not options:
                errors.append(f"{where}: a choice item needs answer options.")
                continue
            codes = [o.code for o in options]
            if len(set(codes)) != len(codes):
                errors.append(f"{where}: two answer options share a code.")
        points_bands = _points_bands(raw, minimum, maximum, errors, where)
        anchors = _extensions(raw, EXT_ANCHORS)
        codes_raw = raw.get("code") or []
        items.append(
            Item(
                link_id=link_id,
                text=str(raw.get("text", link_id)),
                type=kind,
                required=bool(raw.get("required", False)),
                repeats=bool(raw.get("repeats", False)),
                minimum=minimum,
                maximum=maximum,
                options=tuple(options),
                code=_coding(codes_raw[0]) if codes_raw else None,
                points_bands=points_bands,
                anchor_low=str(_sub_value(anchors[0], "low", "")) if anchors else "",
                anchor_high=str(_sub_value(anchors[0], "high", "")) if anchors else "",
            )
        )
    return items


def _possible_values(item: Item) -> tuple[float, float] | None:
    """The lowest and highest points an item can contribute."""
    if item.points_bands:
        points = [b.points for b in item.points_bands]
        return min(points), max(points)
    if item.type in {"integer", "decimal"}:
        assert item.minimum is not None and item.maximum is not None
        return item.minimum, item.maximum
    points = [o.points for o in item.options if o.points is not None]
    if not points:
        return None
    if item.repeats:
        return 0.0, float(sum(p for p in points if p > 0))
    return min(points), max(points)


def _read_scales(q: dict[str, Any], items: list[Item], errors: list[str]) -> list[Scale]:
    by_id = {i.link_id: i for i in items}
    scales: list[Scale] = []
    for ext in _extensions(q, EXT_SCALE):
        name = _sub_value(ext, "name", "")
        where = f"Scale {name!r}"
        if not isinstance(name, str) or not name:
            errors.append("Every scale needs a name.")
            continue
        if any(s.name == name for s in scales):
            errors.append(f"{where}: two scales share this name.")
            continue
        method = _sub_value(ext, "method", "")
        if method not in SCALE_METHODS:
            errors.append(f"{where}: method must be one of {sorted(SCALE_METHODS)}.")
            continue
        links = [v for v in _sub_values(ext, "item") if isinstance(v, str)]
        missing = [link for link in links if link not in by_id]
        if not links or missing:
            errors.append(f"{where}: it scores items the Questionnaire does not have {missing}.")
            continue
        unscored = [link for link in links if not by_id[link].scored]
        if unscored:
            errors.append(f"{where}: items {unscored} carry no points.")
            continue
        if method == "value" and len(links) != 1:
            errors.append(f"{where}: a 'value' scale takes exactly one item.")
            continue
        minimum = _number(_sub_value(ext, "min"))
        maximum = _number(_sub_value(ext, "max"))
        if minimum is None or maximum is None or minimum > maximum:
            errors.append(f"{where}: it needs a min and a max.")
            continue
        ranges = [_possible_values(by_id[link]) for link in links]
        low = sum(r[0] for r in ranges if r)
        high = sum(r[1] for r in ranges if r)
        if low < minimum or high > maximum:
            errors.append(
                f"{where}: its items can score {low:g} to {high:g}, outside its declared "
                f"range {minimum:g} to {maximum:g}."
            )
        bands = _bands(ext, errors, where)
        for band in bands:
            if band.low < minimum or band.high > maximum:
                errors.append(f"{where}: the band {band.label!r} lies outside the scale's range.")
        scales.append(
            Scale(
                name=name,
                title=str(_sub_value(ext, "title", name)),
                method=method,
                items=tuple(links),
                minimum=minimum,
                maximum=maximum,
                bands=bands,
                code=_coding(_sub_value(ext, "code")),
            )
        )
    return scales


def _fhir_check(q: dict[str, Any]) -> list[str]:
    from fhir.resources.R4B.questionnaire import Questionnaire
    from pydantic import ValidationError as PydanticError

    try:
        Questionnaire.model_validate(q)
    except PydanticError as exc:
        problems = []
        for error in exc.errors()[:10]:
            where = ".".join(str(p) for p in error.get("loc", ()))
            problems.append(f"Not a valid FHIR R4 Questionnaire: {where}: {error.get('msg')}")
        return problems
    except (ValueError, TypeError) as exc:
        return [f"Not a valid FHIR R4 Questionnaire: {exc}"]
    return []


def spec_from_questionnaire(q: Any) -> InstrumentSpec:
    """Read and check a Questionnaire (a dict). Raises InstrumentError naming every problem."""
    if not isinstance(q, dict) or q.get("resourceType") != "Questionnaire":
        raise InstrumentError("The file is not a FHIR Questionnaire (resourceType).")
    errors = _fhir_check(q)
    if errors:
        raise InstrumentError(errors)
    if q.get("status") not in {"draft", "active", "retired", "unknown"}:
        errors.append("The Questionnaire's status must be draft, active, retired or unknown.")
    url = q.get("url", "")
    if not isinstance(url, str) or not url:
        errors.append("The Questionnaire needs a canonical url.")
    key_ext = _extensions(q, EXT_KEY)
    key = _value(key_ext[0]) if key_ext else q.get("name", "")
    if not isinstance(key, str) or not key or len(key) > 60:
        errors.append("The Questionnaire needs an instrument key (the instrument-key extension).")
    licence = _extensions(q, EXT_LICENCE)
    terms = _sub_value(licence[0], "terms", "") if licence else ""
    if terms not in LICENCE_TERMS:
        errors.append(f"The licence extension must give terms, one of {sorted(LICENCE_TERMS)}.")
    citation_ext = _extensions(q, EXT_CITATION)
    citation = _value(citation_ext[0]) if citation_ext else ""
    if not isinstance(citation, str) or not citation.strip():
        errors.append("The Questionnaire must cite its source (the citation extension).")
    items = _read_items(q.get("item"), errors)
    scales = _read_scales(q, items, errors) if items else []
    if items and not _extensions(q, EXT_SCALE):
        errors.append("The Questionnaire declares no scale (the scale extension).")
    item_bands: tuple[Band, ...] = ()
    banded: tuple[str, ...] = ()
    for ext in _extensions(q, EXT_ITEM_BANDS):
        banded = tuple(v for v in _sub_values(ext, "item") if isinstance(v, str))
        unknown = [b for b in banded if all(i.link_id != b for i in items)]
        if unknown:
            errors.append(f"Item bands name items the Questionnaire does not have {unknown}.")
        item_bands = _bands(ext, errors, "Item bands")
    if errors:
        raise InstrumentError(errors)
    codes = q.get("code") or []
    return InstrumentSpec(
        key=str(key),
        url=str(url),
        version=str(q.get("version", "")),
        title=str(q.get("title") or key),
        description=str(q.get("description", "")),
        citation=str(citation),
        licence_terms=str(terms),
        wording_included=bool(_sub_value(licence[0], "wording-included", False)),
        licence_note=str(_sub_value(licence[0], "note", "")),
        copyright=str(q.get("copyright", "")),
        items=tuple(items),
        scales=tuple(scales),
        item_bands=item_bands,
        banded_items=banded,
        code=_coding(codes[0]) if codes else None,
        wording_languages=tuple(
            str(v).lower() for v in _sub_values(licence[0], "wording-languages") if v
        )
        or ("en",),
    )


def parse_questionnaire_bytes(data: bytes) -> tuple[dict[str, Any], InstrumentSpec]:
    """An uploaded file: size, encoding, JSON shape, then the Questionnaire checks."""
    if len(data) > MAX_QUESTIONNAIRE_BYTES:
        raise InstrumentError(
            f"The file is larger than {MAX_QUESTIONNAIRE_BYTES // 1024} KB; "
            "an instrument is much smaller."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InstrumentError("The file is not UTF-8 text.") from None

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, value in pairs:
            if name in result:
                raise InstrumentError(f"The JSON names {name!r} twice in one object.")
            result[name] = value
        return result

    def no_constants(name: str) -> Any:
        raise InstrumentError(f"{name} is not a JSON number.")

    try:
        q = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except RecursionError:
        raise InstrumentError("The JSON is nested too deeply.") from None
    except json.JSONDecodeError as exc:
        raise InstrumentError(
            f"The file is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    return q, spec_from_questionnaire(q)


@cache
def shipped_questionnaires() -> tuple[tuple[str, str], ...]:
    """(file name, text) of every instrument shipped with Pallio."""
    return tuple(
        (path.name, path.read_text("utf-8")) for path in sorted(SHIPPED_DIR.glob("*.json"))
    )


@cache
def _spec_cached(text: str) -> InstrumentSpec:
    return spec_from_questionnaire(json.loads(text))


def spec_of(questionnaire: dict[str, Any]) -> InstrumentSpec:
    """The spec of a stored (already validated) Questionnaire, cached by its content."""
    return _spec_cached(json.dumps(questionnaire, sort_keys=True))


__all__ = [
    "EXT_ANCHORS",
    "EXT_CITATION",
    "EXT_ITEM_BANDS",
    "EXT_KEY",
    "EXT_LICENCE",
    "EXT_MAX",
    "EXT_MIN",
    "EXT_ORDINAL",
    "EXT_POINTS_BAND",
    "EXT_SCALE",
    "ITEM_TYPES",
    "LICENCE_TERMS",
    "MAX_ITEMS",
    "MAX_QUESTIONNAIRE_BYTES",
    "MAX_TEXT_ANSWER",
    "PALLIO_SD",
    "SCALE_METHODS",
    "SEVERITIES",
    "SHIPPED_DIR",
    "Band",
    "InstrumentError",
    "InstrumentSpec",
    "Item",
    "Option",
    "PointsBand",
    "Scale",
    "ScoreResult",
    "clean_answers",
    "item_points",
    "parse_questionnaire_bytes",
    "score",
    "shipped_questionnaires",
    "spec_from_questionnaire",
    "spec_of",
    "unanswered",
]
