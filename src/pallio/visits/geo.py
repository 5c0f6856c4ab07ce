"""Geography for the home-visit day plan: travel times and geocodes, with no outside service.

Travel times come from one of two sources, both usable by `pallio.visits.routing.plan_day`:

- `StraightLineTravel`: the great-circle (haversine) distance between two points, times a road
  factor (roads are longer than the straight line), at an average speed.
- `MatrixTravel`: a travel-time table the program uploads, a CSV of `from,to,minutes` rows
  naming places by the program's own keys (`parse_travel_matrix` reads it and says which row
  is wrong and why). Pairs missing from the table fall back to the straight line when a
  fallback is given.

Geocodes come only from the local gazetteer (`data/gazetteer.csv`, see `data/README.md`):
street addresses, postal code centroids and city centroids. `geocode` never calls out.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
DEFAULT_ROAD_FACTOR = 1.3
DEFAULT_SPEED_KMH = 40.0

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.csv"
GAZETTEER_FIELDS = ("kind", "line", "city", "postal_code", "latitude", "longitude", "count")


@dataclass(frozen=True)
class Location:
    """A point on the map. `key` names it in an uploaded travel-time table (may be empty)."""

    lat: float
    lon: float
    key: str = ""

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0) or not (-180.0 <= self.lon <= 180.0):
            raise ValueError(f"Latitude {self.lat} or longitude {self.lon} is out of range.")


class TravelSource(Protocol):
    """Where `plan_day` gets travel times (minutes) and road distances (km) between points."""

    def minutes(self, a: Location, b: Location) -> float: ...

    def km(self, a: Location, b: Location) -> float: ...


def haversine_km(a: Location, b: Location) -> float:
    """The great-circle distance between two points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class StraightLineTravel:
    """Straight-line distance times a road factor, driven at an average speed."""

    road_factor: float = DEFAULT_ROAD_FACTOR
    speed_kmh: float = DEFAULT_SPEED_KMH

    def __post_init__(self) -> None:
        if self.road_factor < 1.0:
            raise ValueError("The road factor must be at least 1 (roads are never shorter).")
        if self.speed_kmh <= 0:
            raise ValueError("The average speed must be more than 0 km/h.")

    def km(self, a: Location, b: Location) -> float:
        return haversine_km(a, b) * self.road_factor

    def minutes(self, a: Location, b: Location) -> float:
        return self.km(a, b) / self.speed_kmh * 60.0


class TravelMatrixError(ValueError):
    """An uploaded travel-time table cannot be read; the message says which row and why."""


class MissingTravelTime(LookupError):
    """The uploaded table has no time between two places and there is no fallback."""


@dataclass(frozen=True)
class MatrixTravel:
    """Travel minutes from an uploaded table, by the places' keys; km from the straight line."""

    table: dict[tuple[str, str], float]
    fallback: StraightLineTravel | None = None

    def minutes(self, a: Location, b: Location) -> float:
        if a.key and a.key == b.key:
            return 0.0
        found = self.table.get((a.key, b.key))
        if found is not None:
            return found
        if self.fallback is not None:
            return self.fallback.minutes(a, b)
        raise MissingTravelTime(
            f"The travel-time table has no time from {a.key or 'an unnamed place'} "
            f"to {b.key or 'an unnamed place'}."
        )

    def km(self, a: Location, b: Location) -> float:
        return (self.fallback or StraightLineTravel()).km(a, b)


def parse_travel_matrix(text: str, *, symmetric: bool = False) -> dict[tuple[str, str], float]:
    """Read a `from,to,minutes` CSV (a header row is optional) into a table.

    With `symmetric`, a row also gives the way back unless the table has its own row for it.
    Raises TravelMatrixError naming the first bad row (by its line number) and the fault.
    """
    table: dict[tuple[str, str], float] = {}
    reverse: dict[tuple[str, str], float] = {}
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise TravelMatrixError("The travel-time table is empty.")
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and [c.lower() for c in cells[:3]] == ["from", "to", "minutes"]:
            continue
        if len(cells) != 3:
            raise TravelMatrixError(
                f"Line {number}: expected 3 columns (from, to, minutes), found {len(cells)}."
            )
        origin, destination, raw = cells
        if not origin or not destination:
            raise TravelMatrixError(f"Line {number}: the 'from' and 'to' places must be named.")
        try:
            minutes = float(raw)
        except ValueError:
            raise TravelMatrixError(f"Line {number}: '{raw}' is not a number of minutes.") from None
        if not math.isfinite(minutes) or minutes < 0:
            raise TravelMatrixError(f"Line {number}: minutes must be 0 or more, not '{raw}'.")
        if minutes > 24 * 60:
            raise TravelMatrixError(f"Line {number}: {raw} minutes is more than a day.")
        if (origin, destination) in table:
            raise TravelMatrixError(
                f"Line {number}: the time from {origin} to {destination} is given twice."
            )
        table[(origin, destination)] = minutes
        reverse[(destination, origin)] = minutes
    if symmetric:
        for pair, minutes in reverse.items():
            table.setdefault(pair, minutes)
    return table


# ---- geocoding from the local gazetteer ---------------------------------------------------

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[.,#]")


def normalise(text: str) -> str:
    """Upper case, no full stops, commas or '#', single spaces."""
    return _SPACES.sub(" ", _PUNCT.sub(" ", text or "")).strip().upper()


def normalise_postal_code(text: str) -> str:
    """US ZIP codes as five digits (the leading zero restored, ZIP+4 cut); others as typed."""
    code = normalise(text).replace(" ", "")
    digits = code.split("-")[0]
    if digits.isdigit() and len(digits) in (3, 4, 5, 9):
        return digits[:5].zfill(5)
    return code


@dataclass(frozen=True)
class GeocodeMatch:
    """A gazetteer hit: the point and how precise it is ("street", "postal code" or "city")."""

    lat: float
    lon: float
    precision: str


@dataclass(frozen=True)
class Gazetteer:
    streets: dict[tuple[str, str], tuple[float, float]]  # (line, postal code) -> point
    streets_by_city: dict[tuple[str, str], tuple[float, float]]  # (line, city) -> point
    postal_codes: dict[str, tuple[float, float]]
    cities: dict[str, tuple[float, float]]

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> Gazetteer:
        streets: dict[tuple[str, str], tuple[float, float]] = {}
        by_city: dict[tuple[str, str], tuple[float, float]] = {}
        postal: dict[str, tuple[float, float]] = {}
        cities: dict[str, tuple[float, float]] = {}
        for row in rows:
            point = (float(row["latitude"]), float(row["longitude"]))
            line, city = normalise(row["line"]), normalise(row["city"])
            code = normalise_postal_code(row["postal_code"])
            if row["kind"] == "street":
                if code:
                    streets.setdefault((line, code), point)
                if city:
                    by_city.setdefault((line, city), point)
            elif row["kind"] == "postal_code":
                postal[code] = point
            elif row["kind"] == "city":
                cities[city] = point
        return cls(streets, by_city, postal, cities)

    def match(self, *, line: str, city: str, postal_code: str) -> GeocodeMatch | None:
        line_n, city_n, code_n = (
            normalise(line),
            normalise(city),
            normalise_postal_code(postal_code),
        )
        point = None
        if line_n:
            point = self.streets.get((line_n, code_n)) or self.streets_by_city.get((line_n, city_n))
        if point:
            return GeocodeMatch(point[0], point[1], "street")
        if code_n and code_n in self.postal_codes:
            point = self.postal_codes[code_n]
            return GeocodeMatch(point[0], point[1], "postal code")
        if city_n and city_n in self.cities:
            point = self.cities[city_n]
            return GeocodeMatch(point[0], point[1], "city")
        return None


def load_gazetteer(path: Path) -> Gazetteer:
    with path.open(newline="", encoding="utf-8") as handle:
        return Gazetteer.from_rows(csv.DictReader(handle))


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return load_gazetteer(GAZETTEER_PATH)


def geocode_match(
    *, line: str, city: str, postal_code: str, program: Any = None
) -> GeocodeMatch | None:
    """Like `geocode`, also saying how precise the hit is."""
    # `program` is kept for a per-program gazetteer; every program shares the shipped one now.
    del program
    return default_gazetteer().match(line=line, city=city, postal_code=postal_code)


def geocode(
    *, line: str, city: str, postal_code: str, program: Any = None
) -> tuple[float, float] | None:
    """(latitude, longitude) of an address from the local gazetteer, or None when unknown.

    The street address first (by postal code, else by city), then the postal code's centroid,
    then the city's. Never calls an outside service.
    """
    found = geocode_match(line=line, city=city, postal_code=postal_code, program=program)
    return (found.lat, found.lon) if found else None


# ---- building the gazetteer from FHIR Patient addresses ------------------------------------

GEOLOCATION_URL = "http://hl7.org/fhir/StructureDefinition/geolocation"


def fhir_address_points(resource: dict[str, Any]) -> Iterator[tuple[str, str, str, float, float]]:
    """(line, city, postal code, latitude, longitude) for each geolocated address of a resource."""
    for address in resource.get("address") or []:
        lat = lon = None
        for extension in address.get("extension") or []:
            if extension.get("url") != GEOLOCATION_URL:
                continue
            for part in extension.get("extension") or []:
                if part.get("url") == "latitude":
                    lat = part.get("valueDecimal")
                elif part.get("url") == "longitude":
                    lon = part.get("valueDecimal")
        if lat is None or lon is None:
            continue
        line = " ".join(address.get("line") or [])
        yield line, address.get("city", ""), address.get("postalCode", ""), float(lat), float(lon)


def gazetteer_rows(points: Iterable[tuple[str, str, str, float, float]]) -> list[dict[str, str]]:
    """Street rows for every address, then postal code and city centroids (mean points)."""
    streets: dict[tuple[str, str, str], tuple[float, float]] = {}
    by_code: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_city: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for line, city, code, lat, lon in points:
        line_n, city_n, code_n = normalise(line), normalise(city), normalise_postal_code(code)
        if not code_n.strip("0"):
            code_n = ""  # Synthea writes 00000 for an unknown postal code
        if line_n:
            streets.setdefault((line_n, city_n, code_n), (lat, lon))
        if code_n:
            by_code[code_n].append((lat, lon))
        if city_n:
            by_city[city_n].append((lat, lon))

    def mean(points: list[tuple[float, float]]) -> tuple[str, str]:
        return (
            f"{sum(p[0] for p in points) / len(points):.6f}",
            f"{sum(p[1] for p in points) / len(points):.6f}",
        )

    rows = [
        {"kind": "street", "line": line, "city": city, "postal_code": code,
         "latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}", "count": "1"}
        for (line, city, code), (lat, lon) in sorted(streets.items())
    ]  # fmt: skip
    for code, pts in sorted(by_code.items()):
        lat_s, lon_s = mean(pts)
        rows.append({"kind": "postal_code", "line": "", "city": "", "postal_code": code,
                     "latitude": lat_s, "longitude": lon_s, "count": str(len(pts))})  # fmt: skip
    for city, pts in sorted(by_city.items()):
        lat_s, lon_s = mean(pts)
        rows.append({"kind": "city", "line": "", "city": city, "postal_code": "",
                     "latitude": lat_s, "longitude": lon_s, "count": str(len(pts))})  # fmt: skip
    return rows


def build_gazetteer(sources: Iterable[Path], out: Path) -> int:
    """Write a gazetteer CSV from FHIR bundles (.json) and bulk files (.ndjson); returns rows."""
    points: list[tuple[str, str, str, float, float]] = []
    for source in sources:
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".ndjson":
            resources = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            resources = [e.get("resource", {}) for e in json.loads(text).get("entry", [])]
        for resource in resources:
            if resource.get("resourceType") == "Patient":
                points.extend(fhir_address_points(resource))
    rows = gazetteer_rows(points)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=GAZETTEER_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":  # pragma: no cover - a maintenance command, see data/README.md
    import sys

    directory = Path(sys.argv[1])
    found = sorted([*directory.glob("bundles/*.json"), *directory.glob("*/Patient.*.ndjson")])
    count = build_gazetteer(found, GAZETTEER_PATH)
    print(f"Wrote {count} rows from {len(found)} files to {GAZETTEER_PATH.name}.")
