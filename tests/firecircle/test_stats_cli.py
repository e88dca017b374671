"""`firecircle stats` refuses what it cannot answer with one clear line and exit code 1."""

from __future__ import annotations

import json

import pytest

from tests.harness import run


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--since", "2026-11-31", "--until", "2026-12-01"], "--since '2026-11-31' is not a date"),
        (["--since", "2026-11-01", "--until", "11/30"], "--until '11/30' is not a date"),
        (["--since", "2026-12-02", "--until", "2026-12-01"], "is after --until 2026-12-01"),
        (["--since", "0001-01-01", "--until", "0001-01-31"], "give a day from 1900 to 2999"),
        (
            ["--since", "2026-11-01", "--until", "2026-11-30", "--community", "无名社区"],
            "no community '无名社区'",
        ),
        (
            ["--since", "2026-11-01", "--until", "2026-11-30", "--street", "无名街道"],
            "no street '无名街道'",
        ),
        (
            ["--since", "2026-11-01", "--until", "2026-11-30", "--grid", "NOPE"],
            "no grid cell 'NOPE'",
        ),
    ],
)
def test_stats_refuses_with_a_reason(district, capsys, more, message):
    code, out, err = run(capsys, "stats", *more)
    assert code == 1 and out == "" and message in err and err.count("\n") == 1


def test_stats_of_an_empty_district(district, capsys):
    code, out, _ = run(
        capsys,
        "stats",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--street",
        "东湖街道",
        "--json",
    )
    figures = json.loads(out)
    assert code == 0 and figures["received"] == 0 and figures["closed_rate"] is None
    assert figures["previous"]["period"] == {"since": "2026-10-02", "until": "2026-10-31"}
    assert len(figures["by_grid"]) == 9 and {g["rank"] for g in figures["by_grid"]} == {None}
    code, out, _ = run(capsys, "stats", "--since", "2026-11-01", "--until", "2026-11-30")
    assert code == 0 and "结案率" in out and "环比" in out
