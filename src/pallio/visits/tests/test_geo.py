"""Travel times and geocodes for the home-visit day plan: haversine, road factor, the uploaded
travel-time table (and its errors), and the local gazetteer (hits, fallbacks, misses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pallio.visits import geo
from pallio.visits.geo import (
    Location,
    MatrixTravel,
    MissingTravelTime,
    StraightLineTravel,
    TravelMatrixError,
    geocode,
    geocode_match,
    haversine_km,
    parse_travel_matrix,
)

PARIS = Location(48.8566, 2.3522)
LONDON = Location(51.5074, -0.1278)


def test_haversine_known_distance_paris_london():
    # The great-circle distance Paris-London is about 343.5 km.
    assert haversine_km(PARIS, LONDON) == pytest.approx(343.5, abs=1.0)
    assert haversine_km(LONDON, PARIS) == pytest.approx(haversine_km(PARIS, LONDON))
    assert haversine_km(PARIS, PARIS) == 0


def test_haversine_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(Location(0, 0), Location(1, 0)) == pytest.approx(111.19, abs=0.05)


def test_straight_line_travel_applies_road_factor_and_speed():
    a, b = Location(0, 0), Location(1, 0)  # 111.19 km apart
    travel = StraightLineTravel(road_factor=1.5, speed_kmh=50)
    assert travel.km(a, b) == pytest.approx(111.19 * 1.5, abs=0.1)
    assert travel.minutes(a, b) == pytest.approx(111.19 * 1.5 / 50 * 60, abs=0.1)


def test_straight_line_travel_refuses_nonsense_parameters():
    with pytest.raises(ValueError, match="road factor"):
        StraightLineTravel(road_factor=0.5)
    with pytest.raises(ValueError, match="speed"):
        StraightLineTravel(speed_kmh=0)


def test_location_out_of_range_is_refused():
    with pytest.raises(ValueError, match="out of range"):
        Location(91, 0)


def test_parse_travel_matrix_with_header_blank_lines_and_symmetry():
    text = "from,to,minutes\noffice,a,12\n\na,b, 7.5\nb,a,9\n"
    table = parse_travel_matrix(text, symmetric=True)
    assert table[("office", "a")] == 12
    assert table[("a", "office")] == 12  # filled in from the way out
    assert table[("a", "b")] == 7.5
    assert table[("b", "a")] == 9  # its own row wins over symmetry
    assert ("a", "office") not in parse_travel_matrix(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("office,a\n", "Line 1: expected 3 columns"),
        ("office,a,12\na,b,soon\n", "Line 2: 'soon' is not a number"),
        ("office,a,-3\n", "Line 1: minutes must be 0 or more"),
        ("office,a,nan\n", "minutes must be 0 or more"),
        ("office,a,2000\n", "more than a day"),
        (",a,3\n", "must be named"),
        ("office,a,3\noffice,a,4\n", "Line 2: the time from office to a is given twice"),
    ],
)
def test_parse_travel_matrix_bad_rows_are_named(text, message):
    with pytest.raises(TravelMatrixError, match=message):
        parse_travel_matrix(text)


def test_matrix_travel_uses_table_then_fallback_then_says_what_is_missing():
    a, b, c = Location(0, 0, "a"), Location(0, 0.1, "b"), Location(0, 0.2, "c")
    table = {("a", "b"): 11.0}
    with_fallback = MatrixTravel(table, fallback=StraightLineTravel())
    assert with_fallback.minutes(a, b) == 11.0
    assert with_fallback.minutes(a, a) == 0.0
    assert with_fallback.minutes(a, c) == pytest.approx(StraightLineTravel().minutes(a, c))
    with pytest.raises(MissingTravelTime, match="from a to c"):
        MatrixTravel(table).minutes(a, c)


def test_geocode_street_hit_from_the_shipped_gazetteer():
    # A Synthea patient address with its geolocation, in the shipped gazetteer.
    found = geocode_match(line="616 Daugherty Arcade", city="Worcester", postal_code="01545")
    assert found is not None
    assert found.precision == "street"
    assert (found.lat, found.lon) == pytest.approx((42.269478, -71.807783))
    assert geocode(line="616 daugherty arcade.", city="WORCESTER", postal_code="1545") == (
        pytest.approx(42.269478),
        pytest.approx(-71.807783),
    )


def test_geocode_falls_back_to_postal_code_then_city_then_none():
    by_code = geocode_match(line="1 Nowhere Road", city="Worcester", postal_code="01545")
    assert by_code is not None and by_code.precision == "postal code"
    by_city = geocode_match(line="1 Nowhere Road", city="Worcester", postal_code="99999")
    assert by_city is not None and by_city.precision == "city"
    assert geocode(line="1 Nowhere Road", city="Atlantis", postal_code="99999") is None
    assert geocode(line="", city="", postal_code="") is None


def test_geocode_accepts_a_program_and_is_keyword_only():
    assert geocode(line="", city="Worcester", postal_code="", program=object()) is not None
    with pytest.raises(TypeError):
        geocode("616 Daugherty Arcade", "Worcester", "01545")  # type: ignore[call-arg]


def test_build_gazetteer_from_fhir_patients(tmp_path: Path):
    def patient(line: str, city: str, code: str, lat: float, lon: float) -> dict:
        extension = {
            "url": geo.GEOLOCATION_URL,
            "extension": [
                {"url": "latitude", "valueDecimal": lat},
                {"url": "longitude", "valueDecimal": lon},
            ],
        }
        return {
            "resourceType": "Patient",
            "address": [{"extension": [extension], "line": [line], "city": city,
                         "postalCode": code}],
        }  # fmt: skip

    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps({"entry": [
        {"resource": patient("1 Main St.", "Springfield", "1101", 42.0, -72.0)},
        {"resource": {"resourceType": "Organization", "address": [{"city": "Springfield"}]}},
    ]}))  # fmt: skip
    bulk = tmp_path / "Patient.000.ndjson"
    bulk.write_text(
        json.dumps(patient("9 Elm St", "Springfield", "01101", 42.2, -72.2))
        + "\n"
        + json.dumps({"resourceType": "Patient", "address": [{"city": "Nogeo"}]})
        + "\n"
    )
    out = tmp_path / "g.csv"
    assert geo.build_gazetteer([bundle, bulk], out) == 4  # 2 streets, 1 postal code, 1 city
    gazetteer = geo.load_gazetteer(out)
    assert gazetteer.match(line="1 MAIN ST", city="", postal_code="01101") == geo.GeocodeMatch(
        42.0, -72.0, "street"
    )
    centroid = gazetteer.match(line="", city="", postal_code="01101")
    assert centroid is not None
    assert (centroid.lat, centroid.lon) == pytest.approx((42.1, -72.1))
    assert gazetteer.match(line="", city="Nogeo", postal_code="") is None
