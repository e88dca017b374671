"""One reader for the import commands' files: the same messages under each command's error."""

import json

import pytest

from triage.circle.places import PlaceProblem, parse_places
from triage.districts.grid_import import GridFileError, parse_grid_file
from triage.fieldwork.sites import SiteProblem, parse_sites

PARSERS = [
    (lambda text: parse_grid_file(text), GridFileError),
    (lambda text: parse_places(text, geojson=True), PlaceProblem),
    (lambda text: parse_sites(text, geojson=True), SiteProblem),
]


@pytest.mark.parametrize(("parse", "problem"), PARSERS)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON (line 1:"),
        ("[]", "not a GeoJSON FeatureCollection"),
        ('{"type": "Feature", "features": []}', "not a GeoJSON FeatureCollection"),
        ('{"features": [5]}', "feature 1: not a GeoJSON Feature"),
        ('{"features": [{"properties": ["x"]}]}', "feature 1: properties are not an object"),
    ],
)
def test_a_bad_file_is_the_callers_problem_with_one_message(parse, problem, text, message):
    with pytest.raises(problem, match=message.replace("(", r"\(")):
        parse(text)


def test_a_bom_before_json_or_csv_is_dropped():
    feature = {"geometry": {"type": "Point", "coordinates": [114.3, 30.5]}}
    feature["properties"] = {"name": "A", "address": "B", "type": "shop"}
    text = "\ufeff" + json.dumps({"type": "FeatureCollection", "features": [feature]})
    assert parse_sites(text, geojson=True)[0].longitude == 114.3
    assert (
        parse_sites("\ufeffname, address ,type,grid\nA,B,商铺,X-1\n", geojson=False)[0].grid
        == "X-1"
    )
