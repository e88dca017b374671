"""`firecircle sites import|list`, `campaign create|status`, and `staff add --role volunteer`:
what they print, and that a bad row or item stops them with nothing stored."""

from __future__ import annotations

import json

import pytest

from tests.harness import run

SITES_CSV = """name,address,type,lat,lon,grid
幸福小区3号楼,幸福路12号3栋,住宅,30.5415,114.3320,
幸福小区5号楼,幸福路12号5栋,residential,,,DH-01-01
老王五金店,幸福路20号,三合一,30.5418,114.3325,
和平仓库,和平街8号,warehouse,,,DH-02-01
"""
CHECKLIST = """\
items:
  - question: 是否有电动车在楼道或室内充电？
    question_en: Are e-bikes charged in the hallway or indoors?
    type: yesno
    hazard: {when: yes, category: ebike, severity: high}
  - question: 灭火器有几具？
    type: number
    hazard: {below: 1, category: fire_equipment}
  - question: 现场照片
    type: photo
    required: false
"""


def sites_json(capsys) -> list[dict]:
    code, out, _ = run(capsys, "sites", "list", "--json")
    assert code == 0
    return json.loads(out)


def test_sites_import_places_each_site_in_its_cell(district, capsys):
    (district / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    code, out, err = run(capsys, "sites", "import", "sites.csv")
    assert code == 0, err
    assert "imported 4 sites (4 new, 0 updated)" in out
    found = {s["name"]: s for s in sites_json(capsys)}
    assert (
        found["幸福小区3号楼"]["grid"] == "DH-01-01"
        and found["幸福小区3号楼"]["type"] == "residential"
    )
    assert found["老王五金店"]["type"] == "three_in_one"
    assert found["和平仓库"] == {
        "name": "和平仓库",
        "address": "和平街8号",
        "type": "warehouse",
        "grid": "DH-02-01",
        "community": "和平社区",
        "latitude": None,
        "longitude": None,
    }
    code, out, _ = run(capsys, "sites", "import", "sites.csv")  # again: updated, not doubled
    assert "(0 new, 4 updated)" in out and len(sites_json(capsys)) == 4


def test_sites_import_geojson(district, capsys):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [114.3320, 30.5415]},
            "properties": {"name": "幸福小区3号楼", "address": "幸福路12号3栋", "type": "住宅"},
        }
    ]
    (district / "sites.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    code, out, err = run(capsys, "sites", "import", "sites.geojson")
    assert code == 0, err
    assert [s["grid"] for s in sites_json(capsys)] == ["DH-01-01"]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ("here", "feature 1: a site is a Point"),
        ({"type": "Point", "coordinates": "xy"}, "feature 1: a site is a Point"),
        ({"type": "Point", "coordinates": {"a": 1, "b": 2}}, "feature 1: a site is a Point"),
    ],
)
def test_an_odd_geometry_is_named_not_a_traceback(district, capsys, geometry, message):
    feature = {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"name": "楼", "address": "路"},
    }
    collection = {"type": "FeatureCollection", "features": [feature]}
    (district / "sites.geojson").write_text(json.dumps(collection), encoding="utf-8")
    code, _, err = run(capsys, "sites", "import", "sites.geojson")
    assert code == 1 and message in err and "nothing was imported" in err, err
    assert "Error" not in err and sites_json(capsys) == []


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("仓库A,某路1号,castle,,,DH-01-01", "line 3 (仓库A): type 'castle' is not one of"),
        ("仓库A,某路1号,warehouse,,,", "line 3 (仓库A): give a location (lat, lon) or a grid"),
        ("仓库A,某路1号,warehouse,,,ZZ-99", "line 3 (仓库A): no grid cell 'ZZ-99'"),
        ("仓库A,某路1号,warehouse,0.0,-160.0,", "line 3 (仓库A): the location is in no grid cell"),
        ("仓库A,某路1号,warehouse,north,east,", "line 3 (仓库A): lat and lon must be numbers"),
        (
            "幸福小区3号楼,另一个地址,shop,,,DH-01-02",
            "line 3: the name '幸福小区3号楼' is also on line 2",
        ),
        (",某路1号,shop,,,DH-01-02", "line 3: a site needs a name and an address"),
    ],
)
def test_a_bad_row_names_itself_and_nothing_is_imported(district, capsys, bad_row, message):
    good = SITES_CSV.splitlines()[:2]
    (district / "bad.csv").write_text("\n".join([*good, bad_row, ""]), encoding="utf-8")
    code, _, err = run(capsys, "sites", "import", "bad.csv")
    assert code == 1 and message in err and "nothing was imported" in err, err
    assert "Traceback" not in err
    assert sites_json(capsys) == []


def test_a_gbk_csv_is_refused_with_a_way_out_and_a_bom_is_read(district, capsys):
    (district / "gbk.csv").write_bytes(SITES_CSV.encode("gbk"))
    code, _, err = run(capsys, "sites", "import", "gbk.csv")
    assert code == 1 and "is not UTF-8 text (line 2;" in err and "第2行不是 UTF-8 编码" in err
    assert "codec" not in err and err.count("\n") == 1
    assert sites_json(capsys) == []
    (district / "bom.csv").write_bytes(SITES_CSV.encode("utf-8-sig"))
    code, out, err = run(capsys, "sites", "import", "bom.csv")
    assert code == 0 and "4 new" in out, err


def test_campaign_create_prints_its_id_last_and_status_counts_per_grid(district, capsys):
    (district / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    (district / "checklist.yaml").write_text(CHECKLIST, encoding="utf-8")
    run(capsys, "sites", "import", "sites.csv")
    code, out, err = run(
        capsys,
        "campaign", "create", "--title", "电动车入户充电专项排查", "--checklist", "checklist.yaml",
        "--grids", "DH-01-01,DH-02-01", "--site-type", "住宅", "--until", "2099-01-15",
    )  # fmt: skip
    assert code == 0, err
    campaign_id = out.strip().splitlines()[-1]
    assert campaign_id.isdigit() and "2 sites (DH-01-01 2, DH-02-01 0)" in out
    code, out, err = run(capsys, "campaign", "status", campaign_id, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["title"] == "电动车入户充电专项排查" and found["until"] == "2099-01-15"
    first, second = found["by_grid"]
    assert first == {
        "grid": "DH-01-01",
        "name": "幸福社区第一网格",
        "sites": 2,
        "visited": 0,
        "visited_rate": 0.0,
        "hazards": 0,
        "hazards_per_100_sites": 0.0,
        "rectified": 0,
        "overdue": 0,
    }
    assert second["sites"] == 0 and second["hazards_per_100_sites"] is None
    code, out, _ = run(capsys, "campaign", "status", campaign_id)
    assert code == 0 and "DH-01-01  2  0  0  0.0  0  0" in out


def test_a_site_moved_to_another_cell_takes_its_unvisited_visit_along(district, capsys):
    (district / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    (district / "checklist.yaml").write_text(CHECKLIST, encoding="utf-8")
    run(capsys, "sites", "import", "sites.csv")
    code, out, err = run(
        capsys,
        "campaign", "create", "--title", "排查", "--checklist", "checklist.yaml",
        "--grids", "DH-01-01,DH-02-01", "--until", "2099-01-15",
    )  # fmt: skip
    campaign_id = out.strip().splitlines()[-1]
    moved = SITES_CSV.replace("residential,,,DH-01-01", "residential,,,DH-02-01")
    (district / "sites.csv").write_text(moved, encoding="utf-8")
    run(capsys, "sites", "import", "sites.csv")
    code, out, err = run(capsys, "campaign", "status", campaign_id, "--json")
    assert code == 0, err
    sites = {row["grid"]: row["sites"] for row in json.loads(out)["by_grid"]}
    assert sites == {"DH-01-01": 2, "DH-02-01": 2}  # 幸福小区5号楼 now counts in DH-02-01


def test_a_row_without_a_location_keeps_the_one_its_site_had_and_says_so(district, capsys):
    header, located = SITES_CSV.splitlines()[:2]  # 幸福小区3号楼 at 30.5415,114.3320
    (district / "sites.csv").write_text(f"{header}\n{located}\n", encoding="utf-8")
    assert run(capsys, "sites", "import", "sites.csv")[0] == 0
    (district / "sites.csv").write_text(
        f"{header}\n幸福小区3号楼,幸福路12号3栋,住宅,,,DH-01-01\n", encoding="utf-8"
    )
    code, out, err = run(capsys, "sites", "import", "sites.csv")
    assert code == 0, err
    assert "(0 new, 1 updated)" in out
    assert "line 2（幸福小区3号楼）：文件里没有坐标，保留原来的 30.5415,114.332" in out
    assert "line 2 (幸福小区3号楼): no lat,lon in the file, kept its old 30.5415,114.332" in out
    (site,) = sites_json(capsys)
    assert (site["latitude"], site["longitude"], site["grid"]) == (30.5415, 114.332, "DH-01-01")


def test_a_grid_column_naming_another_cell_than_the_location_wins_with_a_warning(district, capsys):
    header = SITES_CSV.splitlines()[0]
    (district / "sites.csv").write_text(
        f"{header}\n幸福小区3号楼,幸福路12号3栋,住宅,30.5415,114.3320,DH-02-01\n"
        "老王五金店,幸福路20号,三合一,30.5418,114.3325,DH-01-01\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "sites", "import", "sites.csv")
    assert code == 0, err
    assert (
        "line 2 (幸福小区3号楼): its location is in cell DH-01-01 but its grid column says"
        " DH-02-01: placed in DH-02-01 (the grid column wins)" in out
    )
    assert "line 2（幸福小区3号楼）：坐标在网格 DH-01-01，grid 列写的是 DH-02-01" in out
    assert "老王五金店" not in out  # its column and its location agree
    assert {s["name"]: s["grid"] for s in sites_json(capsys)} == {
        "幸福小区3号楼": "DH-02-01",
        "老王五金店": "DH-01-01",
    }


@pytest.mark.parametrize(
    ("checklist", "args", "message"),
    [
        (
            "- question: 有没有？\n  type: date\n",
            [],
            "item 1 (有没有？): type 'date' is not one of yesno, number, photo, text",
        ),
        ("- question: 照片\n  type: photo\n", [], "no item says which answer is a hazard"),
        (
            "- {question: 有吗, type: yesno, hazard: {when: yes, category: fire}}\n",
            [],
            "item 1: hazard category 'fire' is not one of",
        ),
        (
            "- {question: 照片, type: photo, hazard: {category: other}}\n",
            [],
            "item 1: a photo answer cannot be a hazard",
        ),
        ("items: [\n", [], "not YAML"),
        (CHECKLIST, ["--grids", "ZZ-99"], "no grid cell 'ZZ-99'"),
        (CHECKLIST, ["--site-type", "castle"], "--site-type 'castle' is not one of"),
        (CHECKLIST, ["--site-type", "shop"], "no shop sites in DH-01-01"),
        (CHECKLIST, ["--until", "2020-01-01"], "--until 2020-01-01 has already passed"),
    ],
)
def test_campaign_create_refuses_clearly_and_makes_nothing(
    district, capsys, checklist, args, message
):
    (district / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    (district / "checklist.yaml").write_text(checklist, encoding="utf-8")
    run(capsys, "sites", "import", "sites.csv")
    given = {"--grids": "DH-01-01", "--until": "2099-01-15"}
    given.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = ["campaign", "create", "--title", "排查", "--checklist", "checklist.yaml"]
    for key, value in given.items():
        argv += [key, value]
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err and "no campaign was created" in err, err
    assert "Traceback" not in err
    code, _, err = run(capsys, "campaign", "status", "1")
    assert code == 1 and "no campaign 1" in err


@pytest.mark.parametrize("until", ["9999-12-31", "2026-02-30"])
def test_campaign_create_refuses_a_day_it_cannot_count_to(district, capsys, until):
    (district / "checklist.yaml").write_text(CHECKLIST, encoding="utf-8")
    argv = ["campaign", "create", "--title", "排查", "--checklist", "checklist.yaml"]
    code, _, err = run(capsys, *argv, "--grids", "DH-01-01", "--until", until)
    assert code == 2 and "--until" in err and "Error" not in err, err
    assert run(capsys, "campaign", "status", "1")[0] == 1


@pytest.mark.parametrize("given", ["abc", "-1", "0", "99999999999999999999999", "１"])
def test_campaign_status_refuses_what_is_not_an_id(district, capsys, given):
    code, _, err = run(capsys, "campaign", "status", given)
    assert code == 2 and "is not a campaign id" in err and "不是排查活动编号" in err, err
    assert "Traceback" not in err and "OverflowError" not in err


def test_a_volunteer_is_placed_on_a_grid_cell_but_works_none(district, capsys):
    code, out, err = run(
        capsys, "staff", "add", "--telegram-id", "77", "--name", "张志愿", "--role", "volunteer",
        "--grid", "DH-01-01",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "staff", "add", "--telegram-id", "78", "--name", "李志愿",
                       "--role", "volunteer")  # fmt: skip
    assert code == 1 and "a volunteer needs at least one grid cell" in err
    code, out, _ = run(capsys, "staff", "list", "--json")
    (volunteer,) = json.loads(out)
    assert volunteer["role"] == "volunteer" and volunteer["grids"] == ["DH-01-01"]
    code, out, _ = run(capsys, "grids", "list", "--json")
    cell = next(c for c in json.loads(out) if c["code"] == "DH-01-01")
    assert cell["workers"] == []  # tasks never go to a volunteer
