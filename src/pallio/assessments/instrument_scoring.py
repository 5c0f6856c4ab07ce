"""An instrument's answers and scores: clean the answers given, list the unanswered items,
and score the scales."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from pallio.assessments.instrument_spec import MAX_TEXT_ANSWER, InstrumentSpec, Item, ScoreResult

# --- answers and scores -----------------------------------------------------------------------


def clean_answers(spec: InstrumentSpec, answers: Any) -> dict[str, Any]:
    """Check answers against the instrument. Returns them normalised; raises ValidationError
    naming every problem (unknown items, out-of-range scores, unknown codes).

    A report answered in part is kept: a blank item is not an error (see ``unanswered``), as
    long as at least one item is answered."""
    errors: dict[str, list[str]] = {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": ["Send the answers as an object keyed by item."]})
    clean: dict[str, Any] = {}
    for link_id in answers:
        if spec.item(str(link_id)) is None:
            errors.setdefault(str(link_id)[:60], []).append(
                f"{spec.title} has no item {str(link_id)[:60]!r}."
            )
    for item in spec.items:
        value = answers.get(item.link_id)
        if value is None or value == "" or value == []:
            continue
        problem = None
        if item.type in {"integer", "decimal"}:
            number: Any = value
            if isinstance(value, str):
                try:
                    number = int(value) if item.type == "integer" else float(value)
                except ValueError:
                    number = None
            if isinstance(number, bool) or not isinstance(number, int | float):
                problem = "Enter a number."
            elif item.type == "integer" and float(number) != int(number):
                problem = "Enter a whole number."
            else:
                assert item.minimum is not None and item.maximum is not None
                if not item.minimum <= number <= item.maximum:
                    problem = (
                        f"'{item.text}' must be between {item.minimum:g} and {item.maximum:g}."
                    )
                else:
                    clean[item.link_id] = int(number) if item.type == "integer" else number
        elif item.type == "choice":
            chosen = value if isinstance(value, list) else [value]
            if not item.repeats and len(chosen) != 1:
                problem = "Choose one answer."
            elif not all(isinstance(c, str) and item.option(c) for c in chosen):
                problem = f"Choose an answer from the list for '{item.text}'."
            elif len(set(chosen)) != len(chosen):
                problem = "An answer was chosen twice."
            else:
                clean[item.link_id] = list(chosen) if item.repeats else chosen[0]
        elif item.type == "boolean":
            if not isinstance(value, bool):
                problem = "Answer yes or no."
            else:
                clean[item.link_id] = value
        else:
            if not isinstance(value, str):
                problem = "Enter text."
            elif len(value) > MAX_TEXT_ANSWER or "\x00" in value:
                problem = f"Keep this under {MAX_TEXT_ANSWER} characters of plain text."
            else:
                clean[item.link_id] = value
        if problem:
            errors.setdefault(item.link_id, []).append(problem)
    if not clean and not errors:
        errors["answers"] = [f"Answer at least one item of {spec.title}."]
    if errors:
        raise ValidationError(errors)
    return clean


def unanswered(spec: InstrumentSpec, answers: dict[str, Any]) -> list[str]:
    """The required items left blank (in the instrument's order): a report with any is
    partial."""
    return [i.link_id for i in spec.items if i.required and i.link_id not in answers]


def item_points(item: Item, value: Any) -> float | None:
    if value is None:
        return None
    if item.points_bands:
        band = item.points_band(float(value))
        return band.points if band is not None else None
    if item.type in {"integer", "decimal"}:
        return float(value)
    if item.type == "choice":
        chosen = value if isinstance(value, list) else [value]
        options = [item.option(c) for c in chosen]
        numbers = [o.points for o in options if o is not None and o.points is not None]
        if not numbers:
            return None
        return float(sum(numbers))
    return None


def score(spec: InstrumentSpec, answers: dict[str, Any]) -> ScoreResult:
    """Score clean answers. A scale with an unanswered item has no value (None), never a
    partial sum that would read as an improvement; it is listed as incomplete, with the sum
    of what was answered kept apart (``answered_sums``)."""
    result = ScoreResult()
    for item in spec.items:
        points = item_points(item, answers.get(item.link_id))
        if points is not None and item.scored:
            result.item_values[item.link_id] = points
            band = spec.item_band(item.link_id, points)
            if band is not None:
                result.item_bands[item.link_id] = band.label
                if band.severity:
                    result.item_severities[item.link_id] = band.severity
    for scale in spec.scales:
        values = [result.item_values.get(link) for link in scale.items]
        if any(v is None for v in values):
            result.scales[scale.name] = None
            result.incomplete.append(scale.name)
            answered = [v for v in values if v is not None]
            if scale.method == "sum" and answered:
                result.answered_sums[scale.name] = round(sum(answered), 2)
            continue
        numbers = [v for v in values if v is not None]
        total = sum(numbers) if scale.method == "sum" else numbers[0]
        total = round(total, 2)
        result.scales[scale.name] = total
        band = scale.band_for(total)
        if band is not None:
            result.bands[scale.name] = band.label
            if band.severity:
                result.severities[scale.name] = band.severity
    return result
