"""`firecircle places import|list` and `teams add|list`: a file is checked whole, one bad row
names itself and nothing is imported."""

from __future__ import annotations

import json

import pytest

from firecircle.sample import DATA
from tests.harness import run

HEADER = "name,type,address,phone,hours,lat,lon,community\n"
GOOD = "幸福社区微型消防站,micro_station,幸福社区3栋旁,027-8765 4321,24h,30.5422,114.3338,\n"


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("咨询点,shop,某路1号,,,30.5418,114.3372,", "line 3 (咨询点): type is one of consultation"),
        ("咨询点,consultation,,,,30.5418,114.3372,", "line 3: a place needs a name and an address"),
        ("咨询点,consultation,某路1号,,,north,114.3372,", "line 3 (咨询点): lat and lon must be"),
        ("咨询点,consultation,某路1号,,9点到5点,30.5418,114.3372,", "line 3 (咨询点): hours look"),
        ("咨询点,consultation,某路1号,call me,,30.5418,114.3372,", "line 3 (咨询点): phone"),
        (
            "咨询点,consultation,某路1号,,,31.2304,121.4737,",
            "line 3 (咨询点): outside the district",
        ),
        (GOOD.strip(), "the name '幸福社区微型消防站' is on more than one row"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_imported(district, capsys, bad_row, message):
    (district / "places.csv").write_text(HEADER + GOOD + bad_row + "\n", "utf-8")
    code, out, err = run(capsys, "places", "import", "places.csv")
    assert code == 1 and message in err and "nothing was imported" in err, err
    assert "Traceback" not in err
    assert run(capsys, "places", "list", "--json")[1].strip() == "[]"


ODD_FEATURES = [
    (5, "feature 1: not a GeoJSON Feature"),
    ({"type": "Feature", "geometry": "here", "properties": {}}, "feature 1: a place is a Point"),
    (
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": "xy"}, "properties": {}},
        "feature 1: a place is a Point",
    ),
    (
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [1, 2]},
            "properties": ["x"],
        },
        "feature 1: properties are not an object",
    ),
]


@pytest.mark.parametrize(("feature", "message"), ODD_FEATURES)
def test_an_odd_geojson_feature_is_named_not_a_traceback(district, capsys, feature, message):
    collection = {"type": "FeatureCollection", "features": [feature]}
    (district / "places.geojson").write_text(json.dumps(collection), "utf-8")
    code, _, err = run(capsys, "places", "import", "places.geojson")
    assert code == 1 and message in err and "nothing was imported" in err, err
    assert "Error" not in err


def test_places_import_list_and_geojson(district, capsys):
    code, out, _ = run(capsys, "places", "import", str(DATA / "sample_places.csv"))
    assert code == 0 and "imported 5 places (5 new, 0 updated)" in out
    listed = json.loads(run(capsys, "places", "list", "--json")[1])
    assert {p["type"] for p in listed} >= {"micro_station", "refill", "police_room"}
    station = next(p for p in listed if p["name"] == "幸福社区微型消防站")
    assert station["hours"] is None and station["community"] == "幸福社区"  # 24h: always open

    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [114.3338, 30.5422]},
        "properties": {"name": "幸福社区微型消防站", "type": "微型消防站", "address": "3栋旁"},
    }
    line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}}
    bad = {"type": "FeatureCollection", "features": [feature, line]}
    (district / "bad.geojson").write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    code, _, err = run(capsys, "places", "import", "bad.geojson")
    assert code == 1 and "feature 2: a place is a Point; nothing was imported" in err
    good = {"type": "FeatureCollection", "features": [feature]}
    (district / "good.geojson").write_text(json.dumps(good, ensure_ascii=False), "utf-8")
    assert "(0 new, 1 updated)" in run(capsys, "places", "import", "good.geojson")[1]
    listed = json.loads(run(capsys, "places", "list", "--json")[1])
    assert next(p for p in listed if p["name"] == "幸福社区微型消防站")["address"] == "3栋旁"


def test_teams_add_update_list_remove(district, capsys):
    for telegram_id, name in ((42, "张伟"), (43, "陈静")):
        run(capsys, "staff", "add", "--telegram-id", str(telegram_id), "--name", name,
            "--role", "worker", "--grid", "DH-01-01")  # fmt: skip
    add = ("teams", "add", "--name", "幸福社区巡逻队", "--street", "东湖街道")
    code, out, _ = run(capsys, *add, "--community", "幸福社区", "--members", "42,43",
                       "--base", "30.5420,114.3425", "--duty-hours", "08:00-20:00")  # fmt: skip
    assert code == 0 and out.startswith("added 幸福社区巡逻队  [东湖街道 / 幸福社区] 08:00-20:00")
    for argv, message in (
        ((*add, "--members", "42"), "there is already a team named '幸福社区巡逻队'"),
        (("teams", "add", "--name", "B", "--street", "西湖街道", "--members", "42"), "no grid"),
        (
            ("teams", "add", "--name", "B", "--street", "东湖街道", "--members", "99"),
            "not staff: 99",
        ),
        (("teams", "update", "--name", "幸福社区巡逻队", "--base", "north"), "--base is LAT,LON"),
        (
            ("teams", "update", "--name", "幸福社区巡逻队", "--base", "0,0"),
            "--base 0.0,0.0 is more than 10 km outside the district",
        ),
        (
            ("teams", "update", "--name", "幸福社区巡逻队", "--base", "31.2304,121.4737"),
            "outside the district (LAT,LON, in that order?)",
        ),
        (
            ("teams", "update", "--name", "幸福社区巡逻队", "--community", "春风社区"),
            "not a community",
        ),
        (("teams", "update", "--name", "无名队", "--duty-hours", "24h"), "no team is named"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 1 and message in err and "nothing was changed" in err, (argv, err)
    code, out, _ = run(capsys, "teams", "update", "--name", "幸福社区巡逻队", "--members", "43")
    assert code == 0 and "陈静 (43)" in out and "张伟" not in out
    code, _, err = run(
        capsys, "teams", "update", "--name", "幸福社区巡逻队", "--base", "30.542，114.3425"
    )
    assert code == 0, err  # a full-width comma, as a Chinese keyboard types it
    listed = json.loads(run(capsys, "teams", "list", "--json")[1])
    assert listed == [
        {
            "name": "幸福社区巡逻队",
            "street": "东湖街道",
            "community": "幸福社区",
            "members": [{"telegram_id": 43, "name": "陈静"}],
            "base": [30.542, 114.3425],
            "duty_hours": "08:00-20:00",
            "active": True,
        }
    ]
    assert "removed 幸福社区巡逻队" in run(capsys, "teams", "remove", "--name", "幸福社区巡逻队")[1]
    assert "(removed)" in run(capsys, "teams", "list")[1]


def test_removing_a_teams_last_member_is_refused_unless_forced(district, capsys):
    for telegram_id, name in ((42, "张伟"), (43, "陈静")):
        run(capsys, "staff", "add", "--telegram-id", str(telegram_id), "--name", name,
            "--role", "worker", "--grid", "DH-01-01")  # fmt: skip
    run(capsys, "teams", "add", "--name", "幸福社区巡逻队", "--street", "东湖街道",
        "--members", "42,43")  # fmt: skip
    run(capsys, "teams", "add", "--name", "东湖巡逻队", "--street", "东湖街道", "--members", "43")
    code, out, _ = run(capsys, "staff", "remove", "--telegram-id", "42")
    assert code == 0 and "removed 张伟" in out and "no members" not in out  # 陈静 is still on it
    code, _, err = run(capsys, "staff", "remove", "--telegram-id", "43")
    assert code == 1 and "陈静 is the last member of patrol team" in err
    assert "'幸福社区巡逻队', '东湖巡逻队'" in err or "'东湖巡逻队', '幸福社区巡逻队'" in err
    assert "--force" in err and "nothing was changed" in err
    assert "(removed)" not in run(capsys, "staff", "list")[1].split("陈静")[1]
    listed = json.loads(run(capsys, "teams", "list", "--json")[1])
    assert all(t["members"] == [{"telegram_id": 43, "name": "陈静"}] for t in listed)
    code, out, _ = run(capsys, "staff", "remove", "--telegram-id", "43", "--force")
    assert code == 0 and "removed 陈静" in out
    assert "patrol team '东湖巡逻队' has no members now" in out
    assert "patrol team '幸福社区巡逻队' has no members now" in out
    removed = run(capsys, "teams", "remove", "--name", "东湖巡逻队")  # an empty team still goes
    assert removed[0] == 0
