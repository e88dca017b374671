"""The `firecircle` command as a user runs it: clear lines, exit codes, nothing half-done."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from firecircle.sample import DATA
from tests.harness import run


def test_every_command_has_help():
    for argv in (
        ["--help"],
        ["serve", "--help"],
        ["demo", "--help"],
        ["grids", "import", "--help"],
        ["staff", "add", "--help"],
        ["staff", "list", "--help"],
        ["staff", "update", "--help"],
        ["grids", "list", "--help"],
        ["db", "upgrade", "--help"],
        ["classify", "--help"],
        ["residents", "block", "--help"],
        ["residents", "unblock", "--help"],
        ["stats", "--help"],
        ["teams", "add", "--help"],
        ["places", "import", "--help"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "firecircle.cli", *argv],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0 and "usage: firecircle" in result.stdout, argv


def test_upgrade_import_and_staff(workdir, capsys):
    assert run(capsys, "db", "upgrade")[1].startswith("schema at revision")
    assert "already" in run(capsys, "db", "upgrade")[1]
    code, out, _ = run(capsys, "grids", "import", str(DATA / "sample_district.geojson"))
    assert code == 0 and "9 grid cells (9 new, 0 updated)" in out
    code, out, _ = run(capsys, "grids", "import", str(DATA / "sample_district.geojson"))
    assert "(0 new, 9 updated)" in out
    code, out, _ = run(
        capsys,
        "staff",
        "add",
        "--telegram-id",
        "42",
        "--name",
        "王建国",
        "--role",
        "worker",
        "--grid",
        "DH-01-01",
        "--duty-hours",
        "08:00-20:00",
    )
    assert code == 0 and "DH-01-01" in out
    code, _, err = run(
        capsys, "staff", "add", "--telegram-id", "42", "--name", "又一个", "--role", "admin"
    )
    assert code == 1 and "already on the staff list" in err
    assert "王建国" in run(capsys, "staff", "list")[1]
    assert run(capsys, "staff", "remove", "--telegram-id", "42")[0] == 0
    assert "(removed)" in run(capsys, "staff", "list")[1]
    code, _, err = run(capsys, "staff", "remove", "--telegram-id", "42")
    assert code == 1 and "no active staff member" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["staff", "add", "--telegram-id", "abc", "--name", "x", "--role", "worker"],
            "not a Telegram user id",
        ),
        (
            ["staff", "add", "--telegram-id", "5", "--name", "x", "--role", "chief"],
            "invalid choice",
        ),
        (
            [
                "staff",
                "add",
                "--telegram-id",
                "5",
                "--name",
                "x",
                "--role",
                "worker",
                "--grid",
                "NOPE",
            ],
            "no grid cell with code NOPE",
        ),
        (
            [
                "staff",
                "add",
                "--telegram-id",
                "5",
                "--name",
                "x",
                "--role",
                "worker",
                "--grid",
                "DH-01-01",
                "--duty-hours",
                "8-20",
            ],
            "duty hours must look like",
        ),
        (
            [
                "staff",
                "add",
                "--telegram-id",
                "5",
                "--name",
                "x",
                "--role",
                "officer",
                "--grid",
                "DH-01-01",
            ],
            "only workers",
        ),
        (["grids", "import", "missing.geojson"], "cannot read missing.geojson"),
        (["demo", "--port", "99999"], "not a port number"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_arguments_get_one_clear_line(workdir, capsys, argv, message):
    run(capsys, "db", "upgrade")
    run(capsys, "grids", "import", str(DATA / "sample_district.geojson"))
    code, out, err = run(capsys, *argv)
    assert code != 0 and message in err
    assert "Traceback" not in err


def test_a_bad_grid_file_imports_nothing(workdir, capsys):
    run(capsys, "db", "upgrade")
    collection = json.loads((DATA / "sample_district.geojson").read_text("utf-8"))
    del collection["features"][3]["properties"]["community"]
    (workdir / "bad.geojson").write_text(json.dumps(collection), "utf-8")
    code, _, err = run(capsys, "grids", "import", "bad.geojson")
    assert code == 1 and "feature 4: missing properties community" in err
    assert "nothing was imported" in err
    (workdir / "broken.geojson").write_text("{not json", "utf-8")
    assert "not valid JSON" in run(capsys, "grids", "import", "broken.geojson")[2]
    assert "9 new" in run(capsys, "grids", "import", str(DATA / "sample_district.geojson"))[1]


def test_commands_refuse_an_old_schema_and_name_the_fix(workdir, capsys):
    code, _, err = run(capsys, "staff", "list")
    assert code == 1 and "firecircle db upgrade" in err


def test_bad_settings_stop_with_one_line(workdir, capsys, monkeypatch):
    monkeypatch.setenv("FIRECIRCLE_HTTP_PORT", "eighty")
    code, _, err = run(capsys, "staff", "list")
    assert code == 1 and err.strip().count("\n") == 0 and "FIRECIRCLE_HTTP_PORT" in err
    monkeypatch.delenv("FIRECIRCLE_HTTP_PORT")
    (workdir / "firecircle.toml").write_text("database_url = [broken", "utf-8")
    code, _, err = run(capsys, "staff", "list")
    assert code == 1 and "firecircle.toml" in err and "Traceback" not in err


def test_serve_without_a_token_says_so(workdir, capsys):
    run(capsys, "db", "upgrade")
    code, _, err = run(capsys, "serve")
    assert code == 1 and "FIRECIRCLE_BOT_TOKEN" in err


def test_classify_reads_json_lines_and_keeps_going_past_bad_ones():
    lines = [
        json.dumps({"text": "楼道里有电动车在充电"}, ensure_ascii=False),
        "not json",
        json.dumps({"id": 7, "text": "my kitchen is on fire, the smoke is everywhere"}),
        "[1, 2]",
        json.dumps({"text": "灭火器多久换一次？"}, ensure_ascii=False),
    ]
    result = subprocess.run(
        [sys.executable, "-m", "firecircle.cli", "classify"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and len(out) == 5
    assert (out[0]["kind"], out[0]["category"]) == ("hazard", "ebike") and out[0]["cues"]
    assert "error" in out[1] and "error" in out[3]
    assert out[2]["kind"] == "emergency" and out[2]["id"] == 7
    assert out[4]["kind"] == "question"
