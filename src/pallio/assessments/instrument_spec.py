"""What an instrument is once read: its items, options, bands and scales, the FHIR extension
addresses that carry them, and the limits a Questionnaire is held to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

PALLIO_SD = "https://pallio.org/fhir/StructureDefinition/"
EXT_KEY = PALLIO_SD + "instrument-key"
EXT_CITATION = PALLIO_SD + "citation"
EXT_LICENCE = PALLIO_SD + "licence"
EXT_SCALE = PALLIO_SD + "scale"
EXT_ITEM_BANDS = PALLIO_SD + "item-bands"
EXT_POINTS_BAND = PALLIO_SD + "points-band"
EXT_ANCHORS = PALLIO_SD + "anchors"
EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
MAX_QUESTIONNAIRE_BYTES = 256 * 1024
MAX_ITEMS = 200
MAX_TEXT_ANSWER = 2000
ITEM_TYPES = {"integer", "decimal", "choice", "string", "text", "boolean"}
SCALE_METHODS = {"sum", "value"}
LICENCE_TERMS = {
    "free",
    "free-with-acknowledgement",
    "open-access",
    "restricted",
    "verify",
    "pallio",
    "program",
}
SEVERITIES = {"mild", "moderate", "severe", "positive"}


class InstrumentError(ValidationError):
    """A Questionnaire that cannot be used as an instrument; the messages say why."""


@dataclass(frozen=True)
class Option:
    system: str
    code: str
    display: str
    points: float | None


@dataclass(frozen=True)
class PointsBand:
    """The points a number scores when it falls in this band. A bound left out is open."""

    points: float
    label: str
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True

    def holds(self, value: float) -> bool:
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return self.high is None or not (
            value > self.high or (value == self.high and not self.high_inclusive)
        )


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    type: str
    required: bool
    repeats: bool = False
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[Option, ...] = ()
    code: dict[str, str] | None = None
    points_bands: tuple[PointsBand, ...] = ()
    anchor_low: str = ""
    anchor_high: str = ""

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    def points_band(self, value: float) -> PointsBand | None:
        return next((b for b in self.points_bands if b.holds(value)), None)

    @property
    def label(self) -> str:
        """The item's short name ("Pain"), for alert details and charts."""
        return self.text.split(":")[0]

    @property
    def scored(self) -> bool:
        return self.type in {"integer", "decimal"} or any(
            o.points is not None for o in self.options
        )


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str
    severity: str = ""

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Scale:
    name: str
    title: str
    method: str
    items: tuple[str, ...]
    minimum: float
    maximum: float
    bands: tuple[Band, ...] = ()
    code: dict[str, str] | None = None

    def band_for(self, value: float | None) -> Band | None:
        if value is None:
            return None
        return next((b for b in self.bands if b.holds(value)), None)


@dataclass(frozen=True)
class InstrumentSpec:
    key: str
    url: str
    version: str
    title: str
    description: str
    citation: str
    licence_terms: str
    wording_included: bool
    licence_note: str
    copyright: str
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    item_bands: tuple[Band, ...] = ()
    banded_items: tuple[str, ...] = ()
    code: dict[str, str] | None = None
    # The languages whose wording ships (the licence extension's "wording-languages"). A
    # validated translation is added only where its licence allows its wording; a portal
    # page in another language says the questionnaire is in English only.
    wording_languages: tuple[str, ...] = ("en",)

    def in_language(self, language: str) -> bool:
        """Whether the wording ships in `language` ("es", "es-mx": the base language)."""
        return (language or "en").split("-")[0].lower() in self.wording_languages

    def item(self, link_id: str) -> Item | None:
        return next((i for i in self.items if i.link_id == link_id), None)

    def scale(self, name: str) -> Scale | None:
        return next((s for s in self.scales if s.name == name), None)

    @property
    def primary_scale(self) -> Scale | None:
        return self.scales[0] if self.scales else None

    def item_band(self, link_id: str, value: float | None) -> Band | None:
        if value is None or link_id not in self.banded_items:
            return None
        return next((b for b in self.item_bands if b.holds(value)), None)


@dataclass
class ScoreResult:
    """What a set of answers scores: each scale's value and band, each banded item's band."""

    scales: dict[str, float | None] = field(default_factory=dict)
    bands: dict[str, str] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)
    item_bands: dict[str, str] = field(default_factory=dict)
    item_severities: dict[str, str] = field(default_factory=dict)
    item_values: dict[str, float] = field(default_factory=dict)

    # Scales with an unanswered item (their value is None), and for a 'sum' scale the sum of
    # what was answered: a floor the full scale cannot fall below when no item scores < 0.
    incomplete: list[str] = field(default_factory=list)
    answered_sums: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "incomplete": self.incomplete,
            "answered_sums": self.answered_sums,
            "scales": self.scales,
            "bands": self.bands,
            "severities": self.severities,
            "item_bands": self.item_bands,
            "item_severities": self.item_severities,
            "item_values": self.item_values,
        }
