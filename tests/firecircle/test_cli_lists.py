"""staff add/update checks, the --json lists, grid overlaps, and errors nobody foresaw."""

from __future__ import annotations

import json

import pytest

from firecircle import commands
from firecircle.sample import DATA
from tests.harness import run


def staff_json(capsys) -> list[dict]:
    code, out, _ = run(capsys, "staff", "list", "--json")
    assert code == 0
    return json.loads(out)


def add(capsys, telegram_id: str, *more: str) -> tuple[int, str, str]:
    return run(capsys, "staff", "add", "--telegram-id", telegram_id, "--name", "王建国", *more)


@pytest.mark.parametrize(
    ("telegram_id", "more", "message"),
    [
        (str(2**63), ["--role", "admin"], "is not a Telegram user id"),
        (str(2**52), ["--role", "admin"], "from 1 to 4503599627370495"),
        ("0", ["--role", "admin"], "is not a Telegram user id"),
        ("-5", ["--role", "admin"], "is not a Telegram user id"),
        ("42", ["--role", "worker", "--grid", "NOPE"], "no grid cell with code NOPE"),
        ("42", ["--role", "coordinator", "--community", "无名社区"], "no community named 无名社区"),
        ("42", ["--role", "worker"], "a worker needs at least one grid cell"),
        ("42", ["--role", "worker", "--grid", "DH-01-01", "--language", "fr"], "invalid choice"),
    ],
)
def test_staff_add_refuses_and_stores_nothing(district, capsys, telegram_id, more, message):
    code, _, err = add(capsys, telegram_id, *more)
    assert code != 0 and message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("firecircle: ", "firecircle staff add: "))
    assert staff_json(capsys) == []


def test_staff_update_changes_only_what_is_given(district, capsys):
    add(capsys, "42", "--role", "worker", "--grid", "DH-01-01", "--duty-hours", "08:00-20:00")
    add(capsys, "43", "--role", "worker", "--grid", "DH-02-01")
    code, out, _ = run(capsys, "staff", "update", "--telegram-id", "42", "--name", "王建华")
    assert code == 0 and "王建华" in out and "DH-01-01" in out
    (first, _) = staff_json(capsys)
    assert first == {
        "telegram_id": 42,
        "name": "王建华",
        "role": "worker",
        "grids": ["DH-01-01"],
        "community": "幸福社区",
        "street": "东湖街道",
        "duty_hours": "08:00-20:00",
        "language": "zh",
        "active": True,
    }
    # new cells replace the old; community follows; DH-02-01's worker stays on duty there
    argv = ["staff", "update", "--telegram-id", "42", "--grid", "DH-02-01", "--grid", "DH-02-02"]
    assert run(capsys, *argv, "--language", "en")[0] == 0
    (first, _) = staff_json(capsys)
    assert first["grids"] == ["DH-02-01", "DH-02-02"] and first["community"] == "和平社区"
    assert first["language"] == "en" and first["duty_hours"] == "08:00-20:00"
    cells = {c["code"]: c["workers"] for c in json.loads(run(capsys, "grids", "list", "--json")[1])}
    assert [w["telegram_id"] for w in cells["DH-02-01"]] == [43, 42]
    assert cells["DH-01-01"] == [] and [w["telegram_id"] for w in cells["DH-02-02"]] == [42]
    # a worker made coordinator leaves the cells
    assert run(capsys, "staff", "update", "--telegram-id", "42", "--role", "coordinator")[0] == 0
    (first, _) = staff_json(capsys)
    assert first["role"] == "coordinator" and first["grids"] == []


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--grid", "NOPE"], "no grid cell with code NOPE"),
        (["--grid", "DH-01-02", "--community", "无名社区"], "no community named 无名社区"),
        (["--role", "officer", "--grid", "DH-01-02"], "only workers"),
        (["--name", " "], "name must not be empty"),
        (["--duty-hours", "25:00-08:00"], "duty hours must look like"),
    ],
)
def test_staff_update_refuses_and_changes_nothing(district, capsys, more, message):
    add(capsys, "42", "--role", "worker", "--grid", "DH-01-01")
    before = staff_json(capsys)
    code, _, err = run(capsys, "staff", "update", "--telegram-id", "42", *more)
    assert code == 1 and message in err and "nothing was changed" in err
    assert staff_json(capsys) == before


def test_staff_update_of_someone_not_on_staff(district, capsys):
    code, _, err = run(capsys, "staff", "update", "--telegram-id", "77", "--name", "x")
    assert code == 1 and "no active staff member with telegram id 77" in err
    add(capsys, "78", "--role", "admin")
    code, _, err = run(capsys, "staff", "update", "--telegram-id", "78", "--role", "worker")
    assert code == 1 and "a worker needs at least one grid cell" in err


def test_grids_list_in_lines_and_json(district, capsys):
    add(capsys, "42", "--role", "worker", "--grid", "DH-01-01")
    code, out, _ = run(capsys, "grids", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 9
    assert lines[0].startswith("DH-01-01") and "王建国 (42)" in lines[0]
    cells = json.loads(run(capsys, "grids", "list", "--json")[1])
    assert [c["code"] for c in cells][:2] == ["DH-01-01", "DH-01-02"]
    assert cells[0] == {
        "code": "DH-01-01",
        "name": "幸福社区第一网格",
        "community": "幸福社区",
        "street": "东湖街道",
        "workers": [{"telegram_id": 42, "name": "王建国"}],
    }


def test_empty_lists(workdir, capsys):
    run(capsys, "db", "upgrade")
    assert run(capsys, "grids", "list")[1].strip() == "no grid cells yet"
    assert json.loads(run(capsys, "grids", "list", "--json")[1]) == []
    assert json.loads(run(capsys, "staff", "list", "--json")[1]) == []


def _collection() -> dict:
    return json.loads((DATA / "sample_district.geojson").read_text("utf-8"))


def _square(code: str, lon: float, lat: float, size: float = 0.004) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": code, "community": "幸福社区", "street": "东湖街道"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_overlapping_cells_in_a_file_are_named_and_nothing_imported(workdir, capsys):
    run(capsys, "db", "upgrade")
    collection = _collection()
    collection["features"].append(_square("DH-09-09", 114.332, 30.541))  # inside DH-01-01
    (workdir / "overlap.geojson").write_text(json.dumps(collection), "utf-8")
    code, _, err = run(capsys, "grids", "import", "overlap.geojson")
    assert code == 1 and "cells DH-01-01 and DH-09-09 overlap" in err
    assert "nothing was imported" in err and err.count("\n") == 1
    assert json.loads(run(capsys, "grids", "list", "--json")[1]) == []


def test_a_new_cell_overlapping_a_stored_one_is_refused(district, capsys):
    (district / "more.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [_square("X-1", 114.332, 30.541)]}),
        "utf-8",
    )
    code, _, err = run(capsys, "grids", "import", "more.geojson")
    assert code == 1 and "cells X-1 and DH-01-01 (already stored) overlap" in err
    assert len(json.loads(run(capsys, "grids", "list", "--json")[1])) == 9
    # touching an edge is fine: a square just east of the district's easternmost cells
    east = max(x for f in _collection()["features"] for x, _ in f["geometry"]["coordinates"][0])
    (district / "next.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [_square("X-2", east, 30.540)]}),
        "utf-8",
    )
    code, out, err = run(capsys, "grids", "import", "next.geojson")
    assert code == 0 and "1 new" in out, err


def test_an_unforeseen_error_is_one_masked_line(district, capsys, monkeypatch):
    token = "123456:AAH-never-shown"
    monkeypatch.setenv("FIRECIRCLE_BOT_TOKEN", token)

    async def broken(args, settings):
        raise RuntimeError(f"calling https://api.telegram.org/bot{token}/getMe went wrong")

    monkeypatch.setattr(commands, "staff", broken)
    code, out, err = run(capsys, "staff", "list")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("firecircle: RuntimeError: calling https://api.telegram.org/bot***/")
    assert "-v" in err and token not in out + err
    code, out, err = run(capsys, "-v", "staff", "list")  # the traceback, for developers
    assert code == 1 and "Traceback" in err and "RuntimeError" in err
    assert token not in out + err
